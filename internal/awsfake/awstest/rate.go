package awstest

import (
	"testing"
	"time"
)

// RateWindow is how long a window CheckRate counts calls in.
const RateWindow = 5 * time.Second

// CheckRate fails t when more calls than perSecond a second arrive in any
// RateWindow of at (the times the fake stamped them, in order), and
// returns the most it saw in one window. A limiter spaces calls as they
// leave, the fake stamps them as they arrive: on a loaded machine a late
// call arrives next to the ones after it, and a window sees d×rate calls
// more for a delay d, whatever its length. So the window is five seconds
// and a quarter second of delay is allowed; a limiter a tenth too fast
// still fails.
func CheckRate(t testing.TB, at []time.Time, perSecond int) int {
	t.Helper()
	worst := 0
	for i := range at {
		j := i
		for j < len(at) && at[j].Sub(at[i]) < RateWindow {
			j++
		}
		worst = max(worst, j-i)
	}
	if limit := int(RateWindow/time.Second) * perSecond; worst > limit+perSecond/4 {
		t.Errorf("%d calls within %s, the rate limit is %d a second (%d)", worst, RateWindow, perSecond, limit)
	}
	return worst
}
