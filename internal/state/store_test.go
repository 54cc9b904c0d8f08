package state

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func TestUpdateErrorWritesNothing(t *testing.T) {
	ctx := context.Background()
	b, _ := openTemp(t)
	errBoom := errors.New("boom")
	spoil := func(tx *Tx) error {
		tx.Secret.UserName = "changed"
		tx.Secret.Versions = append(tx.Secret.Versions, Version{N: 9, AccessKeyID: "AKIA9", State: Pending, Value: "v9"})
		tx.Audit("r", "spoiled", "AKIA9", "")
		return fmt.Errorf("step: %w", errBoom)
	}

	t.Run("new secret", func(t *testing.T) {
		if err := b.Update(ctx, "/new", spoil); !errors.Is(err, errBoom) {
			t.Fatalf("Update: got %v, want fn's error", err)
		}
		if _, err := b.Get(ctx, "/new"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get: got %v, want ErrNotFound", err)
		}
		if _, err := b.History(ctx, "/new"); !errors.Is(err, ErrNotFound) {
			t.Errorf("History: got %v, want ErrNotFound", err)
		}
	})
	t.Run("existing secret", func(t *testing.T) {
		err := b.Update(ctx, "/old", func(tx *Tx) error {
			tx.Secret.UserName = "user"
			tx.Audit("r", "created", "", "")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		before, _ := b.Get(ctx, "/old")
		if err := b.Update(ctx, "/old", spoil); !errors.Is(err, errBoom) {
			t.Fatalf("Update: got %v, want fn's error", err)
		}
		after, _ := b.Get(ctx, "/old")
		if !reflect.DeepEqual(after, before) {
			t.Errorf("failed Update changed the state: got %#v, want %#v", after, before)
		}
		if h, _ := b.History(ctx, "/old"); len(h) != 1 {
			t.Errorf("failed Update appended events: got %d events, want 1", len(h))
		}
	})
}

func TestUpdateRejectsRename(t *testing.T) {
	b, _ := openTemp(t)
	err := b.Update(context.Background(), "/a", func(tx *Tx) error {
		tx.Secret.Name = "/b"
		return nil
	})
	if err == nil {
		t.Fatal("Update that renames the secret: got no error")
	}
	if _, err := b.Get(context.Background(), "/a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get: got %v, want ErrNotFound", err)
	}
}

func TestHistory(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	b, _ := openTemp(t, WithClock(clock.Now))
	steps := []struct{ secret, kind string }{
		{"/a", "begin"}, {"/b", "begin"}, {"/a", "created"}, {"/a", "finished"}, {"/b", "failed"},
	}
	for _, s := range steps {
		err := b.Update(ctx, s.secret, func(tx *Tx) error {
			tx.Audit("r"+s.secret, s.kind, "AKIA", "detail")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var all []uint64
	for _, tt := range []struct {
		secret string
		kinds  []string
	}{
		{"/a", []string{"begin", "created", "finished"}},
		{"/b", []string{"begin", "failed"}},
	} {
		h, err := b.History(ctx, tt.secret)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for i, e := range h {
			kinds = append(kinds, e.Kind)
			if e.Secret != tt.secret || e.RotationID != "r"+tt.secret || e.KeyID != "AKIA" || e.Detail != "detail" {
				t.Errorf("%s event %d: got %+v", tt.secret, i, e)
			}
			if i > 0 && (e.Seq <= h[i-1].Seq || !e.Time.After(h[i-1].Time)) {
				t.Errorf("%s events %d and %d are out of order: %+v, %+v", tt.secret, i-1, i, h[i-1], e)
			}
			all = append(all, e.Seq)
		}
		if !reflect.DeepEqual(kinds, tt.kinds) {
			t.Errorf("History(%s): got %v, want %v", tt.secret, kinds, tt.kinds)
		}
	}
	if len(all) != 5 || all[0] == 0 {
		t.Errorf("sequence numbers: got %v", all)
	}
}

func TestUpdateConcurrent(t *testing.T) {
	const workers, rounds = 8, 50
	ctx := context.Background()
	b, _ := openTemp(t)
	inc := func(name string) error {
		return b.Update(ctx, name, func(tx *Tx) error {
			if tx.Secret.Journal == nil {
				tx.Secret.Journal = &Journal{RotationID: "r"}
			}
			tx.Secret.Journal.DeliveryAttempts++
			tx.Audit("r", "inc", "", "")
			return nil
		})
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*2)
	for w := range workers {
		wg.Go(func() {
			for range rounds {
				errs <- inc("/shared")
				errs <- inc(fmt.Sprintf("/own/%d", w))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	seqs := map[uint64]bool{}
	check := func(name string, want int) {
		s, err := b.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Journal.DeliveryAttempts; got != want {
			t.Errorf("%s: got %d increments, want %d", name, got, want)
		}
		h, _ := b.History(ctx, name)
		if len(h) != want {
			t.Errorf("%s: got %d events, want %d", name, len(h), want)
		}
		for _, e := range h {
			if seqs[e.Seq] {
				t.Errorf("sequence number %d given twice", e.Seq)
			}
			seqs[e.Seq] = true
		}
	}
	check("/shared", workers*rounds)
	for w := range workers {
		check(fmt.Sprintf("/own/%d", w), rounds)
	}
	list, _ := b.List(ctx)
	if len(list) != workers+1 {
		t.Errorf("List: got %d secrets, want %d", len(list), workers+1)
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	b, _ := openTemp(t)
	if got, err := b.List(ctx); err != nil || len(got) != 0 {
		t.Fatalf("List of an empty store: got %v, %v", got, err)
	}
	for _, name := range []string{"/team-b/x", "/team-a/z", "/team-a/y/1", "/a"} {
		put(t, b, &Secret{Name: name})
	}
	got, err := b.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
	}
	if want := []string{"/a", "/team-a/y/1", "/team-a/z", "/team-b/x"}; !reflect.DeepEqual(names, want) {
		t.Errorf("List: got %v, want %v", names, want)
	}
}

// TestRetiredValuesAreWiped: a retired version's value is never kept; an
// inactive one (its key only deactivated, for rollback) is, sealed, also
// after the file is reopened.
func TestRetiredValuesAreWiped(t *testing.T) {
	ctx := context.Background()
	b, path := openTemp(t)
	put(t, b, &Secret{Name: "/a", Versions: []Version{
		{N: 1, AccessKeyID: "AKIA1", State: Retired, Value: "must-go"},
		{N: 2, AccessKeyID: "AKIA2", State: Inactive, Value: "kept-inactive"},
		{N: 3, AccessKeyID: "AKIA3", State: Previous, Value: "kept"},
		{N: 4, AccessKeyID: "AKIA4", State: Current},
	}})
	check := func(b *Bolt) {
		t.Helper()
		s, err := b.Get(ctx, "/a")
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"", "kept-inactive", "kept", ""} {
			if got := s.Versions[i].Value.Reveal(); got != want {
				t.Errorf("version %d: got value %q, want %q", i+1, got, want)
			}
		}
	}
	check(b)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := Open(path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	check(b)
}

func TestCancelledContext(t *testing.T) {
	b, _ := openTemp(t)
	put(t, b, &Secret{Name: "/a"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	tests := map[string]func() error{
		"Get": func() error { _, err := b.Get(ctx, "/a"); return err },
		"Update": func() error {
			return b.Update(ctx, "/a", func(*Tx) error { called = true; return nil })
		},
		"List":    func() error { _, err := b.List(ctx); return err },
		"History": func() error { _, err := b.History(ctx, "/a"); return err },
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
		})
	}
	if called {
		t.Error("Update ran fn under a cancelled context")
	}
}

func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	store, _ := openTemp(b)
	put(b, store, &Secret{Name: "/bench", Versions: []Version{
		{N: 1, AccessKeyID: "AKIA1", State: Previous, Value: "previous-value"},
		{N: 2, AccessKeyID: "AKIA2", State: Current, Value: "current-value"},
	}})
	for b.Loop() {
		err := store.Update(ctx, "/bench", func(tx *Tx) error {
			tx.Secret.LastError = "x"
			tx.Audit("r", "bench", "AKIA2", "")
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
