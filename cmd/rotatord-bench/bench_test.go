package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestRun runs a small benchmark end to end: every secret rotates once
// through the daemon, the figures add up, and the table shows them.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a daemon")
	}
	r, err := Run(context.Background(), Options{Secrets: 40, Targets: 2, Workers: 8, Latency: 5 * time.Millisecond, RateLimit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if r.Rotations != 40 || r.Failed != 0 {
		t.Fatalf("%d rotations, %d failed; want 40 and 0", r.Rotations, r.Failed)
	}
	if r.CallsPerRot != 3 || r.IAMCallsPerRot != 2 {
		t.Errorf("calls per rotation %v (IAM %v), want 3 (2): list, create, verify", r.CallsPerRot, r.IAMCallsPerRot)
	}
	// 2 targets at 20 IAM calls/s, 2 IAM calls per rotation: 20 rotations/s.
	if r.Limit != 20 || r.Achieved <= 0 || r.Achieved > 1.1*r.Limit {
		t.Errorf("limit %v, achieved %v", r.Limit, r.Achieved)
	}
	// The limiter grants at most 20 calls in any second (98% of the limit,
	// burst 1). They are counted where awsfake receives them, and
	// scheduling on a busy machine can bring two granted 50 ms apart
	// closer: one more may fall into a second of arrivals, never two.
	if r.MaxTargetPerSec > 21 {
		t.Errorf("a target made %d calls within a second, above its rate_limit of 20 (and one of jitter)", r.MaxTargetPerSec)
	}
	if r.UpdatesPerRot != 3 || r.CommitsPerRot <= 0 || r.CommitsPerRot > 3 {
		t.Errorf("updates %v, commits %v per rotation", r.UpdatesPerRot, r.CommitsPerRot)
	}
	table := Table([]*Result{r})
	if !strings.Contains(table, "achieved") || len(strings.Split(strings.TrimSpace(table), "\n")) != 2 {
		t.Errorf("table:\n%s", table)
	}
}

// TestRunAccountRate: against an account rate hidden in awsfake, with
// rate_limit: auto, connections closed after each answer and full-size
// answers, every rotation succeeds and the account figures add up.
func TestRunAccountRate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a daemon")
	}
	r, err := Run(context.Background(), Options{Secrets: 60, Targets: 1, Workers: 8, RateAuto: true,
		ThrottleRate: 40, ThrottleBurst: 40, CloseConnections: true, Realistic: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Rotations != 60 || r.Failed != 0 {
		t.Fatalf("%d rotations, %d failed; want 60 and 0", r.Rotations, r.Failed)
	}
	f := r.Account
	if f == nil || f.Rate != 40 || f.Steady <= 0 || len(f.Shares) != 1 || f.Shares[0] != f.Steady {
		t.Fatalf("account figures %+v", f)
	}
	if f.ThrottledAll > 0.1 || r.Throttled > 12 {
		t.Errorf("%d calls throttled (%.1f%%)", r.Throttled, 100*f.ThrottledAll)
	}
	if tab := AccountTable([]*Result{r}); !strings.Contains(tab, "auto") || len(strings.Split(strings.TrimSpace(tab), "\n")) != 2 {
		t.Errorf("account table:\n%s", tab)
	}
}

func TestMaxInWindow(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(ms ...int) []time.Time {
		var ts []time.Time
		for _, m := range ms {
			ts = append(ts, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return ts
	}
	for _, c := range []struct {
		ts   []time.Time
		want int
	}{
		{nil, 0},
		{at(0, 999), 2},
		{at(0, 1000), 1},
		{at(0, 10, 500, 1005, 1400), 3},
	} {
		if got := maxInWindow(c.ts, time.Second); got != c.want {
			t.Errorf("maxInWindow(%v) = %d, want %d", c.ts, got, c.want)
		}
	}
}
