package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// guardFixture opens a store of 60 secrets and returns it with the page id
// of the secrets bucket's root.
func guardFixture(t *testing.T) (*Bolt, string, int) {
	t.Helper()
	b, path := openTemp(t)
	for i := range 60 {
		put(t, b, &Secret{Name: fmt.Sprintf("/team/s%03d", i), Versions: []Version{{N: 1, AccessKeyID: fmt.Sprintf("AKIA%016d", i), State: Current, Value: "v"}}})
	}
	var root int
	err := b.db.View(func(tx *bolt.Tx) error {
		root = int(tx.Bucket(bucketSecrets).Root())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b, path, root
}

// assertBroken checks that every call fails with a *FileError saying
// want, and that Close still works.
func assertBroken(t *testing.T, b *Bolt, want string) {
	t.Helper()
	ctx := context.Background()
	_, gerr := b.Get(ctx, "/team/s001")
	_, lerr := b.List(ctx)
	uerr := b.Update(ctx, "/team/s001", func(tx *Tx) error { return nil })
	for _, err := range []error{gerr, lerr, uerr} {
		if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want an error wrapping ErrUnusable that says %q", err, want)
		}
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestFileShrunkWhileOpen(t *testing.T) {
	b, path, _ := guardFixture(t)
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	assertBroken(t, b, "it shrank to 4096 bytes while rotatord had it open")
}

func TestFaultInTransactionIsCaught(t *testing.T) {
	// The file shrinks after the transaction checked its size: reading a
	// page past the end faults (SIGBUS), which must become an error.
	b, path, _ := guardFixture(t)
	err := b.db.View(func(tx *bolt.Tx) error {
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
		_ = tx.Bucket(bucketSecrets).Get([]byte("/team/s001"))
		return nil
	})
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "reading it faulted") {
		t.Fatalf("View over a truncated file: got %v, want a *FileError", err)
	}
	assertBroken(t, b, "reading it faulted")
}

func TestBoltPanicIsCaught(t *testing.T) {
	// A page damaged while the store is open: bbolt's assertion panics,
	// which must become an error, and the store must then write nothing.
	b, path, root := guardFixture(t)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff}, int64(root)*4096+1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before, _ := os.ReadFile(path)
	assertBroken(t, b, "assertion failed")
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("the store wrote to the file after it found it damaged")
	}
}

func TestCallerPanicGoesOn(t *testing.T) {
	b, _, _ := guardFixture(t)
	defer func() {
		if r := recover(); r != "a bug in the caller" {
			t.Fatalf("recovered %v, want the caller's own panic", r)
		}
		if _, err := b.Get(context.Background(), "/team/s001"); err != nil {
			t.Errorf("the caller's panic broke the store: %v", err)
		}
	}()
	_ = b.db.View(func(tx *bolt.Tx) error { panic("a bug in the caller") })
	t.Fatal("View returned")
}
