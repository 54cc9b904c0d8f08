package daemon

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestPoolOneJobPerSecret: a secret queued or running is not queued again;
// at most n jobs run at once; close drops the queue and waits for the
// running jobs.
func TestPoolOneJobPerSecret(t *testing.T) {
	release := make(chan struct{})
	started := make(chan string, 10)
	var running, peak atomic.Int32
	var mu sync.Mutex
	ran := map[string]int{}
	p := newPool(context.Background(), 2, func(ctx context.Context, j job, awsDone func()) jobResult {
		n := running.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		started <- j.secret
		<-release
		running.Add(-1)
		mu.Lock()
		ran[j.secret]++
		mu.Unlock()
		return jobResult{}
	})
	for _, s := range []string{"a", "b", "c"} {
		if err := p.submit(job{secret: s}); err != nil {
			t.Fatal(err)
		}
	}
	<-started
	<-started // a and b run; c waits
	if err := p.submit(job{secret: "a"}); !errors.Is(err, errBusy) {
		t.Errorf("running secret queued again: %v", err)
	}
	if err := p.submit(job{secret: "c"}); !errors.Is(err, errBusy) {
		t.Errorf("queued secret queued again: %v", err)
	}
	if q, r := p.status("c"); !q || r {
		t.Errorf("status(c) = queued %v running %v, want queued", q, r)
	}
	done := make(chan jobResult, 1)
	if err := p.submit(job{secret: "d", done: done}); err != nil {
		t.Fatal(err)
	}
	close(release)
	<-started // c
	dropped, idle := p.close()
	<-idle
	if r := <-done; dropped == 1 && !errors.Is(r.err, errStopping) {
		t.Errorf("dropped job reported %v, want errStopping", r.err)
	}
	if peak.Load() > 2 {
		t.Errorf("%d jobs ran at once on 2 workers", peak.Load())
	}
	if ran["a"] != 1 || ran["b"] != 1 || ran["c"] != 1 {
		t.Errorf("ran %v, want a, b and c once each", ran)
	}
	if err := p.submit(job{secret: "e"}); !errors.Is(err, errStopping) {
		t.Errorf("submit after close: %v, want errStopping", err)
	}
}

// TestPoolFreesWorkerAfterAWS: a job that reports its last AWS call frees
// its worker, so the next job starts while it records its end; its secret
// stays busy until it returns, and close waits for it.
func TestPoolFreesWorkerAfterAWS(t *testing.T) {
	tail := make(chan struct{})
	started := make(chan string, 2)
	p := newPool(context.Background(), 1, func(ctx context.Context, j job, awsDone func()) jobResult {
		started <- j.secret
		if j.secret == "a" {
			awsDone()
			<-tail // the last commit, as it were
		}
		return jobResult{}
	})
	if err := p.submit(job{secret: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := p.submit(job{secret: "b"}); err != nil {
		t.Fatal(err)
	}
	if got := <-started; got != "a" {
		t.Fatalf("first job %s, want a", got)
	}
	if got := <-started; got != "b" {
		t.Fatalf("second job %s, want b", got)
	}
	// b ran on the one worker while a is still in its tail.
	if err := p.submit(job{secret: "a"}); !errors.Is(err, errBusy) {
		t.Errorf("a secret in its job's tail was queued again: %v", err)
	}
	_, idle := p.close()
	select {
	case <-idle:
		t.Fatal("close did not wait for the job in its tail")
	default:
	}
	close(tail)
	<-idle
}

// TestPoolJobWaitsForRefresh: a rotation submitted while its secret's
// refresh runs (a replica keeping its own sinks current) is not lost: it
// runs once the refresh has ended; a second one is refused as busy.
func TestPoolJobWaitsForRefresh(t *testing.T) {
	release, refreshing := make(chan struct{}), make(chan struct{})
	ran := make(chan jobKind, 4)
	p := newPool(context.Background(), 2, func(ctx context.Context, j job, awsDone func()) jobResult {
		if j.kind == jobRefresh {
			close(refreshing)
			<-release
		}
		ran <- j.kind
		return jobResult{}
	})
	if err := p.submit(job{secret: "a", kind: jobRefresh}); err != nil {
		t.Fatal(err)
	}
	<-refreshing
	done := make(chan jobResult, 1)
	if err := p.submit(job{secret: "a", kind: jobRotate, done: done}); err != nil {
		t.Fatalf("a rotation behind a refresh: %v", err)
	}
	if err := p.submit(job{secret: "a", kind: jobRetire}); !errors.Is(err, errBusy) {
		t.Errorf("a second job behind the refresh: %v, want errBusy", err)
	}
	if err := p.submit(job{secret: "a", kind: jobRefresh}); !errors.Is(err, errBusy) {
		t.Errorf("a refresh behind a refresh: %v, want errBusy", err)
	}
	close(release)
	if k := <-ran; k != jobRefresh {
		t.Fatalf("first ran %v, want refresh", k)
	}
	if k := <-ran; k != jobRotate {
		t.Fatalf("then ran %v, want rotate", k)
	}
	<-done
	_, idle := p.close()
	<-idle
}

// TestPoolRotationWaitsForRetirement: a rotation submitted while its
// secret's retirement is queued (a start that finds a grace period's end
// missed and a catch_up: immediate rotation) runs after it; anything else
// behind a retirement is refused as busy.
func TestPoolRotationWaitsForRetirement(t *testing.T) {
	release, retiring := make(chan struct{}), make(chan struct{})
	ran := make(chan jobKind, 4)
	p := newPool(context.Background(), 2, func(ctx context.Context, j job, awsDone func()) jobResult {
		if j.kind == jobRetire {
			close(retiring)
			<-release
		}
		ran <- j.kind
		return jobResult{}
	})
	if err := p.submit(job{secret: "a", kind: jobRetire}); err != nil {
		t.Fatal(err)
	}
	<-retiring
	if err := p.submit(job{secret: "a", kind: jobRefresh}); !errors.Is(err, errBusy) {
		t.Errorf("a refresh behind a retirement: %v, want errBusy", err)
	}
	if err := p.submit(job{secret: "a", kind: jobRotate}); err != nil {
		t.Fatalf("a rotation behind a retirement: %v", err)
	}
	if err := p.submit(job{secret: "a", kind: jobRotate}); !errors.Is(err, errBusy) {
		t.Errorf("a second rotation behind a retirement: %v, want errBusy", err)
	}
	close(release)
	for _, want := range []jobKind{jobRetire, jobRotate} {
		if k := <-ran; k != want {
			t.Fatalf("ran %v, want %v", k, want)
		}
	}
	_, idle := p.close()
	<-idle
}
