package daemon

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
	"github.com/rotatord/rotatord/internal/pace"
)

// manySecrets seeds n users and returns a configuration whose secrets all
// rotate at every hour's start (rotation_schedule: "@hourly"), with the
// target's rate_limit.
func manySecrets(w *world, n int, rateLimit string) string {
	var b strings.Builder
	b.WriteString(strings.Replace(w.header(""), "rate_limit: 1000", "rate_limit: "+rateLimit, 1))
	for i := range n {
		u := fmt.Sprintf("u%03d", i)
		w.user(u)
		b.WriteString(w.secretYAML(u, "auto_rotate: true", `rotation_schedule: "@hourly"`))
	}
	return b.String()
}

// checkAllRotatedOnce asserts that every user got exactly one new key.
func checkAllRotatedOnce(t *testing.T, w *world) {
	t.Helper()
	for u := range w.users {
		st := w.state("/app/" + u)
		if st.Journal != nil || st.LastError != "" || len(w.fake.Keys(u)) != 2 || st.Current().N != 2 {
			t.Fatalf("%s: journal %v, last error %q, %d keys, current version %d; want one finished rotation",
				u, st.Journal, st.LastError, len(w.fake.Keys(u)), st.Current().N)
		}
	}
}

// TestRateLimit: 200 secrets due at once, 4 workers, rate_limit 20/s: all
// rotate exactly once and IAM never sees more than 20 calls a second (in
// any five seconds, 100 and a quarter second of arrival jitter).
func TestRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("20 s of rate-limited calls")
	}
	const n, perSecond = 200, 20
	w := newWorld(t)
	w.start(manySecrets(w, n, fmt.Sprint(perSecond)))
	w.fake.RecordCalls(true)
	w.advance(t0.Add(time.Hour))
	checkAllRotatedOnce(t, w)
	if got := w.fake.Calls("CreateAccessKey"); got != n {
		t.Errorf("CreateAccessKey called %d times for %d secrets", got, n)
	}

	var iam []time.Time
	for _, c := range w.fake.CallLog() {
		if c.Service == "iam" {
			iam = append(iam, c.At)
		}
	}
	if len(iam) < 2*n {
		t.Fatalf("%d IAM calls recorded, want at least %d", len(iam), 2*n)
	}
	worst := awstest.CheckRate(t, iam, perSecond) // five-second windows, arrival jitter allowed
	took := iam[len(iam)-1].Sub(iam[0])
	t.Logf("%d IAM calls in %s (%.1f/s), at most %d in any five seconds", len(iam), took.Round(time.Millisecond), float64(len(iam)-1)/took.Seconds(), worst)
}

// TestThrottledIAM: with 30% of all AWS calls throttled, every rotation
// still succeeds (the SDK's retryer, and rotatord's own retries of
// CreateAccessKey and verify).
func TestThrottledIAM(t *testing.T) {
	const n = 50
	w := newWorld(t)
	w.start(manySecrets(w, n, "1000"))
	w.fake.ThrottleRandomly(0.3, 42)
	w.advance(t0.Add(time.Hour))
	checkAllRotatedOnce(t, w)
	if w.fake.Calls("ListAccessKeys") < n+5 {
		t.Errorf("ListAccessKeys called %d times for %d secrets: no throttled call was retried?", w.fake.Calls("ListAccessKeys"), n)
	}
}

// TestRateLimitAutoRotations: 150 secrets due at once on a target with
// rate_limit: auto, against an account whose IAM answers Throttling beyond
// 40 calls/s: every rotation succeeds, exactly once, and the limiter's
// gauge shows the rate it found. (TestRateLimitAutoFindsRate checks the
// rate itself.)
func TestRateLimitAutoRotations(t *testing.T) {
	if testing.Short() {
		t.Skip("about 15 s of rate-limited calls")
	}
	t.Parallel()
	const n, perSecond = 150, 40
	w := newWorld(t)
	w.fake.SetAccountRate(perSecond, perSecond)
	cfg := strings.Replace(manySecrets(w, n, "auto"), "workers: 4", "workers: 16", 1)
	w.start(cfg)
	w.d.mu.Lock()
	lim := w.d.limiters["prod"]
	w.d.mu.Unlock()
	// The most the limiter let through while the secrets rotated: once
	// they are done it falls back towards 2 calls/s, the rate it would
	// start a quiet target at.
	stop, peak := make(chan struct{}), make(chan float64)
	go func() {
		best := 0.0
		for {
			best = max(best, lim.Rate())
			select {
			case <-stop:
				peak <- best
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	w.advance(t0.Add(time.Hour))
	close(stop)
	found := <-peak
	checkAllRotatedOnce(t, w)
	t.Logf("%d IAM calls throttled; the limiter reached %.1f calls/s", w.fake.Throttled(), found)
	if lim.Auto() == nil || found <= 2*pace.StartRate || found > 4*perSecond {
		t.Errorf("the limiter reached %.1f calls/s over %d rotations, want it to grow from 2 towards %d", found, n, perSecond)
	}
	if got, ok := gauge(t, w.d, "rotatord_rate_limit", "prod"); !ok || got < pace.MinRate {
		t.Errorf("rotatord_rate_limit{target=\"prod\"} = %v (present: %v), want the limiter's rate", got, ok)
	}
}

// gauge returns the value of the daemon's metric name for target.
func gauge(t *testing.T, d *Daemon, name, target string) (float64, bool) {
	t.Helper()
	mfs, err := d.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "target" && l.GetValue() == target {
					return m.GetGauge().GetValue(), true
				}
			}
		}
	}
	return 0, false
}
