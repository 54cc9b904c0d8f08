// Package pace finds the rate at which an endpoint that does not publish
// its limit answers without throttling, and holds a target's calls to it:
// the limiter behind `rate_limit: auto`.
//
// An Auto limiter grows and shrinks its rate as TCP does its window
// (AIMD, in the CUBIC form that the AWS SDK's adaptive retry mode also
// uses):
//
//   - Slow start. It starts at StartRate and, until the first throttle,
//     adds SlowStartGain calls/s for every call that succeeds: the rate
//     grows by about 35% a second while calls wait for it.
//   - Cut. A call answered Throttling (or a clear rise in latency: the
//     smoothed latency over twice its floor plus 50 ms, which then becomes
//     the floor) cuts the rate to Beta of the rate it was sent at. Calls
//     sent before the last cut do not cut again: they were sent at the
//     rate already cut.
//   - Recovery. After a cut the rate follows a cubic curve back to the
//     rate that was throttled (W) over Recovery seconds, flat near W, then
//     rises faster and faster beyond it to probe for more. With the curve
//     scaled to W, a cycle takes about the same time at 5 calls/s as at
//     100: a throttle every 15-30 s, one call in 300-600 at 20 calls/s.
//   - Bounds. The rate never exceeds Max, never goes under MinRate, and
//     never exceeds twice the rate calls were actually sent at over the
//     last two seconds (or StartRate), so that a quiet target does not
//     build up a rate it has not tried.
//
// Every worker calling a target shares its limiter, so the target's calls
// together find and hold the account's rate; two processes (two rotatord
// daemons, or rotatord and another tool) sharing an account each cut when
// throttled; the one that sends more is throttled more, and they end up
// near an even share.
package pace

import (
	"math"
	"sync"
	"time"
)

// The constants of the algorithm; see the package comment.
const (
	StartRate     = 2.0  // calls/s before anything is known
	MinRate       = 0.5  // the floor of every cut
	SlowStartGain = 0.35 // calls/s added for each success before the first throttle
	Beta          = 0.9  // the share of the throttled rate a cut keeps
	Recovery      = 15.0 // seconds back to the throttled rate after a cut
	// fastConvergence: a cut at a rate lower than the previous cut's
	// aims the recovery below it, leaving room to a newcomer.
	fastConvergence = (1 + Beta) / 2
	window          = 2 * time.Second // the measured send rate's
	buckets         = 8
)

// Auto is an adaptive rate limiter. It is safe for concurrent use; every
// caller of one endpoint shares one. Create it with NewAuto.
type Auto struct {
	now func() time.Time

	mu        sync.Mutex
	max       float64
	rate      float64 // the curve's rate, before the send-rate bound
	slowStart bool
	wMax      float64      // the rate the last cut was made at
	lastW     float64      // wMax before it, for fast convergence
	cutAt     time.Time    // when the last cut was made
	sent      [buckets]int // calls let through, by span of time (a ring)
	lastSpan  int64        // the newest span number in sent
	ewma      float64      // smoothed latency of successful calls, seconds
	floor     float64      // the lowest latency seen, rising slowly
	throttles int64

	waiters []chan struct{} // callers waiting for their turn, first first (wait.go)
	last    time.Time       // when the last call was let through
}

// NewAuto returns a limiter that starts at StartRate (or max, if lower)
// and never exceeds max calls a second.
func NewAuto(max float64) *Auto { return newAuto(max, time.Now) }

func newAuto(max float64, now func() time.Time) *Auto {
	a := &Auto{now: now, max: max, slowStart: true}
	a.rate = math.Min(StartRate, max)
	a.cutAt = now()
	a.lastSpan = a.cutAt.UnixNano() / int64(span)
	return a
}

// SetMax changes the highest rate (a reload changed rate_limit_max).
func (a *Auto) SetMax(max float64) {
	a.mu.Lock()
	a.max = max
	a.rate = math.Min(a.rate, max)
	a.mu.Unlock()
	a.kick()
}

// Max returns the highest rate.
func (a *Auto) Max() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.max
}

// Rate returns the rate calls are let through at now, in calls a second.
func (a *Auto) Rate() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rateLocked(a.now())
}

// Throttles returns how many answers were throttled (whether or not they
// cut the rate).
func (a *Auto) Throttles() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.throttles
}

// rateLocked is the curve's rate bounded by Max and by twice the measured
// send rate. a.mu must be held.
func (a *Auto) rateLocked(now time.Time) float64 {
	r := a.rate
	if !a.slowStart {
		r = a.cubic(now)
	}
	r = math.Min(r, math.Max(2*a.sentRateLocked(now), StartRate))
	return math.Max(math.Min(r, a.max), math.Min(MinRate, a.max))
}

// cubic is the recovery curve: wMax·Beta at the cut, wMax after
// Recovery seconds, rising beyond. a.mu must be held.
func (a *Auto) cubic(now time.Time) float64 {
	t := now.Sub(a.cutAt).Seconds() - Recovery
	c := (1 - Beta) * a.wMax / (Recovery * Recovery * Recovery)
	return a.wMax + c*t*t*t
}

// Outcome is what became of one call.
type Outcome int

// The outcomes a limiter learns from. Other failures (a 5xx, a refused
// signature) say nothing about the rate: report them as Other.
const (
	Success Outcome = iota
	Throttled
	Other
)

// Done reports the outcome of a call sent at sent (as Wait returned it)
// that took latency.
func (a *Auto) Done(sent time.Time, o Outcome, latency time.Duration) {
	if o == Other {
		return
	}
	a.mu.Lock()
	now := a.now()
	changed := false
	switch o {
	case Throttled:
		a.throttles++
		if !sent.Before(a.cutAt) {
			a.cutLocked(now, sent)
			changed = true
		}
	case Success:
		if a.congestedLocked(latency) && now.Sub(a.cutAt) > window && !sent.Before(a.cutAt) {
			a.cutLocked(now, sent)
			// The latency is the new floor: it takes another doubling
			// to cut again, so that a latency that stays high whatever
			// the rate (a busy host, a slower route) costs one cut.
			a.floor = a.ewma
			changed = true
		} else if a.slowStart {
			a.rate = math.Min(a.rate+SlowStartGain, math.Max(a.max, MinRate))
		}
	}
	a.mu.Unlock()
	if changed {
		a.kick()
	}
}

// cutLocked makes a multiplicative decrease from the rate the call was
// sent at. a.mu must be held.
func (a *Auto) cutLocked(now, sent time.Time) {
	w := a.rateLocked(sent)
	if w < a.lastW {
		a.lastW = w
		w *= fastConvergence
	} else {
		a.lastW = w
	}
	a.wMax = w
	a.rate = math.Max(MinRate, w*Beta)
	a.slowStart = false
	a.cutAt = now
}

// congestedLocked feeds a successful call's latency into the smoothed
// latency and its floor (the lowest smoothed latency, rising slowly
// towards the present one), and reports a clear rise: the smoothed
// latency over twice the floor plus 50 ms. a.mu must be held.
func (a *Auto) congestedLocked(latency time.Duration) bool {
	l := latency.Seconds()
	if a.ewma == 0 {
		a.ewma, a.floor = l, l
		return false
	}
	a.ewma += (l - a.ewma) / 8
	a.floor = math.Min(a.ewma, a.floor+(a.ewma-a.floor)/512)
	return a.ewma > 2*a.floor+0.05
}

// sentLocked records a call let through at now. a.mu must be held.
func (a *Auto) sentLocked(now time.Time) {
	a.sent[a.advanceLocked(now)%buckets]++
}

// sentRateLocked is the rate calls were let through at over the last
// window. a.mu must be held.
func (a *Auto) sentRateLocked(now time.Time) float64 {
	a.advanceLocked(now)
	n := 0
	for _, c := range a.sent {
		n += c
	}
	return float64(n) / window.Seconds()
}

const span = window / buckets

// advanceLocked empties the buckets that now has left behind and returns
// now's span number. a.mu must be held.
func (a *Auto) advanceLocked(now time.Time) int64 {
	cur := now.UnixNano() / int64(span)
	for i := a.lastSpan + 1; i <= cur && i <= a.lastSpan+buckets; i++ {
		a.sent[i%buckets] = 0
	}
	a.lastSpan = max(a.lastSpan, cur)
	return cur
}
