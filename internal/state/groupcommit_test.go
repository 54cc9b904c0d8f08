package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestGroupCommit: concurrent Updates share transactions (fewer commits
// than updates), each still returns after its own change is durable, and a
// function that fails in a shared batch writes nothing while the others
// land.
func TestGroupCommit(t *testing.T) {
	b, _ := openTemp(t)
	ctx := context.Background()
	const workers, each = 32, 20
	var wg sync.WaitGroup
	boom := errors.New("boom")
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name := fmt.Sprintf("/s/%d", w)
				err := b.Update(ctx, name, func(tx *Tx) error {
					if i == each-1 && w%2 == 0 {
						return boom // the last update of even workers fails
					}
					tx.Secret.UserName = fmt.Sprint(i)
					tx.Audit("", "n", "", fmt.Sprint(i))
					return nil
				})
				if err != nil && !errors.Is(err, boom) {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for w := range workers {
		s, err := b.Get(ctx, fmt.Sprintf("/s/%d", w))
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprint(each - 1)
		if w%2 == 0 {
			want = fmt.Sprint(each - 2)
		}
		if s.UserName != want {
			t.Errorf("worker %d: last write %q, want %q", w, s.UserName, want)
		}
		evs, err := b.History(ctx, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		if wantN := each - 1 + w%2; len(evs) != wantN {
			t.Errorf("worker %d: %d events, want %d", w, len(evs), wantN)
		}
	}
	st := b.Stats()
	if want := uint64(workers*each - workers/2); st.Updates != want {
		t.Errorf("Stats.Updates = %d, want %d", st.Updates, want)
	}
	if st.Commits >= st.Updates {
		t.Errorf("%d commits for %d updates: nothing was grouped", st.Commits, st.Updates)
	}
	t.Logf("%d updates in %d commits", st.Updates, st.Commits)
}

// BenchmarkUpdateParallel is 64 goroutines updating different secrets, as
// 64 workers do: the group commit shares each fsync among them.
func BenchmarkUpdateParallel(b *testing.B) {
	st, _ := openTemp(b)
	ctx := context.Background()
	b.SetParallelism(32) // × GOMAXPROCS goroutines
	var n sync.Mutex
	next := 0
	b.RunParallel(func(pb *testing.PB) {
		n.Lock()
		name := fmt.Sprintf("/bench/%d", next)
		next++
		n.Unlock()
		for pb.Next() {
			if err := st.Update(ctx, name, func(tx *Tx) error {
				tx.Audit("", "bench", "", "")
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	s := st.Stats()
	b.ReportMetric(float64(s.Updates)/float64(max(s.Commits, 1)), "updates/commit")
}
