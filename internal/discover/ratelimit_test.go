package discover_test

import (
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
	"github.com/rotatord/rotatord/internal/discover"
)

// With rate_limit: 5, the per-user calls never exceed 5 a second, measured
// at the fake as internal/daemon's TestRateLimit does: in any window of
// five seconds at most 25 calls, and a quarter second of arrival jitter.
func TestPerUserRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("about 9 s of rate-limited calls")
	}
	const perSecond = 5
	a := newAccount(t, 20)
	c := a.client(t, perSecond)
	a.fake.RecordCalls(true)
	diff(t, "per-user at 5/s", run(t, a, c, discover.Options{Source: discover.PerUser}), a.wantKeys(nil, nil))

	var calls []time.Time
	for _, c := range a.fake.CallLog() {
		if c.Service == "iam" {
			calls = append(calls, c.At)
		}
	}
	if want := 1 + 22 + len(a.want); len(calls) != want { // ListUsers, ListAccessKeys per user, last use per key
		t.Fatalf("%d IAM calls recorded, want %d", len(calls), want)
	}
	worst := awstest.CheckRate(t, calls, perSecond)
	took := calls[len(calls)-1].Sub(calls[0])
	t.Logf("%d IAM calls in %s (%.2f/s), at most %d in any five seconds", len(calls), took.Round(time.Millisecond),
		float64(len(calls)-1)/took.Seconds(), worst)
}
