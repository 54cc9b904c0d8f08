package pace

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

// server is a token bucket on a virtual clock: the account's hidden rate.
type server struct {
	rate, burst, tokens float64
	last                time.Time
}

func (s *server) take(now time.Time) bool {
	s.tokens = math.Min(s.burst, s.tokens+now.Sub(s.last).Seconds()*s.rate)
	s.last = now
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}

// client is one limiter with unlimited demand on a virtual clock.
type client struct {
	a             *Auto
	next          time.Time
	ok, throttled []time.Time
}

// simulate runs clients against srv for d of virtual time, each sending
// as fast as its limiter lets it, and returns them.
func simulate(srv *server, n int, d time.Duration) []*client {
	t0 := time.Unix(1_000_000, 0)
	now := t0
	srv.last, srv.tokens = t0, srv.burst
	clock := func() time.Time { return now }
	cs := make([]*client, n)
	for i := range cs {
		cs[i] = &client{a: newAuto(1000, clock), next: t0}
	}
	for {
		c := cs[0]
		for _, o := range cs[1:] {
			if o.next.Before(c.next) {
				c = o
			}
		}
		if now = c.next; now.Sub(t0) > d {
			return cs
		}
		c.a.mu.Lock()
		c.a.sentLocked(now)
		c.a.mu.Unlock()
		if srv.take(now) {
			c.ok = append(c.ok, now)
			c.a.Done(now, Success, time.Millisecond)
		} else {
			c.throttled = append(c.throttled, now)
			c.a.Done(now, Throttled, time.Millisecond)
		}
		c.next = now.Add(time.Duration(float64(time.Second) / c.a.Rate()))
	}
}

// between counts the times in [from, to) seconds after the first call.
func between(ts []time.Time, t0 time.Time, from, to float64) int {
	n := 0
	for _, t := range ts {
		if s := t.Sub(t0).Seconds(); s >= from && s < to {
			n++
		}
	}
	return n
}

// TestConverges: against a hidden rate of 5, 20 or 100 calls/s, a limiter
// sustains 0.9 of it after 30 s with under 2% of its calls throttled.
func TestConverges(t *testing.T) {
	for _, rate := range []float64{5, 20, 100} {
		for _, burst := range []float64{1, rate} {
			t.Run(fmt.Sprintf("rate=%v/burst=%v", rate, burst), func(t *testing.T) {
				srv := &server{rate: rate, burst: burst}
				c := simulate(srv, 1, 150*time.Second)[0]
				t0 := time.Unix(1_000_000, 0)
				for from := 30.0; from < 150; from += 30 {
					ok := between(c.ok, t0, from, from+30)
					th := between(c.throttled, t0, from, from+30)
					got := float64(ok) / 30
					t.Logf("%3.0f-%3.0fs: %.1f/s, %d throttled of %d (%.2f%%)", from, from+30, got, th, ok+th, 100*float64(th)/float64(ok+th))
					if got < 0.9*rate {
						t.Errorf("%v-%vs: %.2f calls/s succeeded, want at least %.2f", from, from+30, got, 0.9*rate)
					}
					if float64(th) >= 0.02*float64(ok+th) {
						t.Errorf("%v-%vs: %d of %d calls throttled, want under 2%%", from, from+30, th, ok+th)
					}
				}
				t.Logf("first 30s: %d ok, %d throttled", between(c.ok, t0, 0, 30), between(c.throttled, t0, 0, 30))
				reach := -1.0
				for s := 5.0; s <= 150; s += 0.1 {
					if float64(between(c.ok, t0, s-5, s))/5 >= 0.9*rate {
						reach = s
						break
					}
				}
				t.Logf("0.9 of the rate over 5 s first at %.1fs", reach)
				if reach < 0 || reach > 30 {
					t.Errorf("0.9 of the rate over 5 s first reached at %.1fs, want within 30 s", reach)
				}
			})
		}
	}
}

// TestShares: two limiters on one account each end up near half of it.
func TestShares(t *testing.T) {
	for _, rate := range []float64{5, 20, 100} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			srv := &server{rate: rate, burst: rate}
			cs := simulate(srv, 2, 240*time.Second)
			t0 := time.Unix(1_000_000, 0)
			for from := 0.0; from < 240; from += 30 {
				a, b := between(cs[0].ok, t0, from, from+30), between(cs[1].ok, t0, from, from+30)
				ta, tb := between(cs[0].throttled, t0, from, from+30), between(cs[1].throttled, t0, from, from+30)
				t.Logf("%3.0fs: %.1f/s + %.1f/s, throttled %d+%d", from, float64(a)/30, float64(b)/30, ta, tb)
				if from == 0 {
					continue
				}
				if sum := float64(a+b) / 30; sum < 0.9*rate {
					t.Errorf("%vs: together %.1f calls/s, want at least %.1f", from, sum, 0.9*rate)
				}
				if share := float64(a) / float64(a+b); share < 0.3 || share > 0.7 {
					t.Errorf("%vs: the first limiter had %.0f%% of the calls, want 30-70%%", from, 100*share)
				}
				// Each finds the account's rate on its own: twice the
				// throttles of one.
				if float64(ta+tb) >= 0.05*float64(a+b+ta+tb) {
					t.Errorf("%vs: %d of %d calls throttled, want under 5%%", from, ta+tb, a+b+ta+tb)
				}
			}
		})
	}
}

// TestBounds: the rate stays under its max, does not grow while the
// target is quiet, and a rise in latency cuts it as a throttle does.
func TestBounds(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	clock := func() time.Time { return now }
	send := func(a *Auto, o Outcome, lat time.Duration) {
		a.mu.Lock()
		a.sentLocked(now)
		a.mu.Unlock()
		a.Done(now, o, lat)
		now = now.Add(time.Duration(float64(time.Second) / a.Rate()))
	}

	a := newAuto(8, clock)
	for range 500 {
		send(a, Success, time.Millisecond)
	}
	if got := a.Rate(); got != 8 {
		t.Errorf("after 500 successes the rate is %v, want its max 8", got)
	}
	a.SetMax(3)
	if got := a.Rate(); got != 3 {
		t.Errorf("after SetMax(3) the rate is %v", got)
	}

	q := newAuto(1000, clock)
	for range 40 {
		send(q, Success, time.Millisecond)
	}
	busy := q.Rate()
	now = now.Add(time.Minute)
	if got := q.Rate(); got > StartRate {
		t.Errorf("after a quiet minute the rate is %v (it was %v), want at most %v", got, busy, StartRate)
	}

	l := newAuto(1000, clock)
	for range 200 {
		send(l, Success, 10*time.Millisecond)
	}
	before := l.Rate()
	for range 20 {
		send(l, Success, 300*time.Millisecond)
	}
	if got := l.Rate(); got > before*(1+Beta)/2 {
		t.Errorf("latency 10ms → 300ms left the rate at %v (from %v), want a cut to about %v", got, before, before*Beta)
	}
	if l.slowStart {
		t.Error("still in slow start after a latency cut")
	}
	// A latency that stays high, whatever the rate, costs that one cut.
	cutAt := l.cutAt
	for range 500 {
		send(l, Success, 300*time.Millisecond)
	}
	if l.cutAt != cutAt {
		t.Errorf("cut again at %v under a steady 300ms (first cut at %v)", l.cutAt, cutAt)
	}
}

// TestWait: callers go in the order they came, at the limiter's rate, and
// one whose context ends leaves the line without holding it up.
func TestWait(t *testing.T) {
	a := NewAuto(1000) // 2 calls/s at the start
	ctx, cancel := context.WithCancel(t.Context())
	if _, err := a.Wait(t.Context()); err != nil { // the first goes at once
		t.Fatal(err)
	}
	order := make(chan int, 3)
	gone := make(chan error, 1)
	go func() { _, err := a.Wait(ctx); gone <- err }()
	waitLine(t, a, 1)
	for i := range 2 {
		go func() {
			if _, err := a.Wait(t.Context()); err == nil {
				order <- i
			}
		}()
		waitLine(t, a, i+2)
	}
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Wait returned %v", err)
	}
	start := time.Now()
	if a, b := <-order, <-order; a != 0 || b != 1 {
		t.Errorf("order %d, %d; want 0, 1", a, b)
	}
	// Two turns at 2 a second after the first: about a second.
	if took := time.Since(start); took < 700*time.Millisecond || took > 5*time.Second {
		t.Errorf("two turns took %v, want about 1s", took)
	}
}

// waitLine waits until n callers wait.
func waitLine(t *testing.T, a *Auto, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a.mu.Lock()
		got := len(a.waiters)
		a.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d callers wait, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}
