// Package testlog collects a program's log output in tests, from any
// number of goroutines, so that a test can read it and search it for
// secrets.
package testlog

import (
	"bytes"
	"log/slog"
	"sync"
)

// Buffer is a goroutine-safe bytes.Buffer for a log handler.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// New returns a JSON logger at debug level and the Buffer it writes to.
func New() (*slog.Logger, *Buffer) {
	b := &Buffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}
