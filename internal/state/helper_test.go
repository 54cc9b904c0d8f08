package state

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testKey returns a protection key of KeySize bytes, all b.
func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

// testClock is a clock that moves one second per reading.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// openTemp opens a new store in a temporary directory and closes it at the
// end of the test.
func openTemp(t testing.TB, opts ...Option) (*Bolt, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := Open(path, testKey(1), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, path
}

// put stores s as the named secret's whole state.
func put(t testing.TB, b *Bolt, s *Secret) {
	t.Helper()
	err := b.Update(context.Background(), s.Name, func(tx *Tx) error {
		*tx.Secret = *s
		return nil
	})
	if err != nil {
		t.Fatalf("Update %s: %v", s.Name, err)
	}
}
