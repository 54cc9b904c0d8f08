package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// usageWindow is the tests' IAM last-use lag, quiet span and look
// interval.
func usageWindow(lag, quiet, look time.Duration) func(*Options) {
	return func(o *Options) { o.Rotator.UsageLag, o.Rotator.UsageQuiet, o.Rotator.LookEvery = lag, quiet, look }
}

// heldWorld is a world with a notify receiver, for retire_when: unused.
type heldWorld struct {
	*world
	n *notifyReceiver
}

func newHeldWorld(t *testing.T, opts ...awsfake.Option) (*heldWorld, string) {
	w := newWorld(t, opts...)
	n := newNotifyReceiver(t, "notify-hmac")
	w.file("notify.secret", "notify-hmac")
	return &heldWorld{w, n}, w.header(fmt.Sprintf("notify:\n  - {url: %q, hmac_secret_file: notify.secret}\n", n.srv.URL))
}

// count is how many notifications of kind arrived.
func (n *notifyReceiver) count(kind string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, e := range n.events {
		if e["event"] == kind {
			c++
		}
	}
	return c
}

// audits is how many audit events of kind the secret has.
func (w *heldWorld) audits(name, kind string) int {
	w.t.Helper()
	hist, err := w.d.store.History(context.Background(), name)
	if err != nil {
		w.t.Fatal(err)
	}
	c := 0
	for _, e := range hist {
		if e.Kind == kind {
			c++
		}
	}
	return c
}

// keyIDs lists the user's keys in IAM.
func (w *heldWorld) keyIDs(user string) []string {
	var ids []string
	for _, k := range w.fake.Keys(user) {
		ids = append(ids, k.ID)
	}
	return ids
}

// held returns the secret's hold as status shows it, failing if none.
func (w *heldWorld) held(name string) *state.Hold {
	w.t.Helper()
	d, err := w.d.backend().Status(context.Background(), name)
	if err != nil {
		w.t.Fatal(err)
	}
	if d.Held == nil || d.State != "held" {
		w.t.Fatalf("status of %s: state %q, held %+v; want a held retirement", name, d.State, d.Held)
	}
	return d.Held
}

func (w *heldWorld) heldMetrics() (now, total float64) {
	return testutil.ToFloat64(w.d.metrics.held.now), testutil.ToFloat64(w.d.metrics.held.total)
}

// TestRetireWhenUnusedGraceful: a graceful secret whose previous key a
// consumer still uses when the next rotation comes: the rotation deletes
// nothing and waits; status names the service and region of the use;
// retirement.held and the metric fire once, not again at the next look;
// once the consumer stops, the next look retires the key and rotates.
func TestRetireWhenUnusedGraceful(t *testing.T) {
	w, head := newHeldWorld(t)
	old := w.user("app")
	const name = "/app/app"
	w.start(head+w.secretYAML("app", "auto_rotate: true", "rotation_interval: 1", "rotation_hour: 3", "retire_when: unused"),
		usageWindow(time.Minute, 10*time.Minute, time.Hour))
	w.idle()
	first := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	w.advance(first)
	mid := w.state(name).Current().AccessKeyID
	if mid == old.AccessKeyID || !slices.Contains(w.keyIDs("app"), old.AccessKeyID) {
		t.Fatalf("after the first rotation IAM holds %v; want the new key %s and the old %s", w.keyIDs("app"), mid, old.AccessKeyID)
	}

	second := first.AddDate(0, 0, 1)
	w.advance(second.Add(-10 * time.Minute))
	if err := w.fake.SetLastUsed(old.AccessKeyID, w.clock.Now(), "s3", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	w.advance(second)
	if ids := w.keyIDs("app"); !slices.Contains(ids, old.AccessKeyID) || len(ids) != 2 {
		t.Fatalf("the rotation deleted the key in use: IAM holds %v", ids)
	}
	if cur := w.state(name).Current().AccessKeyID; cur != mid {
		t.Fatalf("current key %s, want %s: a held rotation must not create a key", cur, mid)
	}
	h := w.held(name)
	if got := h.Describe(second); !strings.Contains(got, "still in use (s3, eu-west-1, 10 min ago)") || !h.Rotation || h.KeyID != old.AccessKeyID {
		t.Fatalf("held: %q (%+v); want the key in use in s3, eu-west-1, and the rotation waiting", got, h)
	}
	w.n.wait(t, "retirement.held")
	if now, total := w.heldMetrics(); now != 1 || total != 1 {
		t.Fatalf("metrics: held %v, total %v; want 1 and 1", now, total)
	}
	// An operator's rotate is told why it waits.
	if _, err := w.d.backend().Rotate(context.Background(), name); !errors.Is(err, iamrotate.ErrRetirementHeld) || !strings.Contains(err.Error(), old.AccessKeyID) {
		t.Fatalf("rotate while held: %v; want ErrRetirementHeld naming %s", err, old.AccessKeyID)
	}
	w.idle()

	// Still in use at the next look: still held, no second notice.
	if err := w.fake.SetLastUsed(old.AccessKeyID, second.Add(5*time.Minute), "s3", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	look := w.state(name).Held.NextLook
	w.advance(look.Add(5 * time.Minute))
	if !slices.Contains(w.keyIDs("app"), old.AccessKeyID) {
		t.Fatal("the key was deleted at a look while still in use")
	}
	if n := w.audits(name, "retirement.held"); n != 1 {
		t.Fatalf("%d retirement.held events, want 1", n)
	}
	if _, total := w.heldMetrics(); total != 1 {
		t.Fatalf("held total %v after a second look, want 1", total)
	}

	// The consumer switched: the next look retires the key and rotates.
	w.advance(w.state(name).Held.NextLook)
	w.idle()
	st := w.state(name)
	if st.Held != nil || slices.Contains(w.keyIDs("app"), old.AccessKeyID) {
		t.Fatalf("after the consumer stopped: held %+v, IAM %v; want the old key deleted", st.Held, w.keyIDs("app"))
	}
	if st.Current().AccessKeyID == mid || st.Previous().AccessKeyID != mid {
		t.Fatalf("the waiting rotation did not run: current %s, previous %v", st.Current().AccessKeyID, st.Previous())
	}
	if now, total := w.heldMetrics(); now != 0 || total != 1 {
		t.Fatalf("metrics after: held %v, total %v; want 0 and 1", now, total)
	}
	if c := w.n.count("retirement.held"); c != 1 {
		t.Fatalf("%d retirement.held notifications, want 1", c)
	}
}

// TestRetireWhenUnusedStrict: a strict rotation keeps the old key while
// IAM cannot yet show its use, sees the consumer at the next look, and
// retires the key once the consumer stops.
func TestRetireWhenUnusedStrict(t *testing.T) {
	w, head := newHeldWorld(t)
	old := w.user("app")
	const name = "/app/app"
	w.start(head+w.secretYAML("app", "grace_rotation: false", "retire_when: unused"), usageWindow(time.Minute, 10*time.Minute, time.Hour))
	w.idle()
	res, err := w.d.backend().Rotate(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	w.idle()
	if _, err := w.whoami(old); err != nil {
		t.Fatalf("the old key was deactivated at once: %v", err)
	}
	if h := w.held(name); !h.Unsettled || h.Rotation {
		t.Fatalf("held %+v right after the rotation; want waiting for IAM", h)
	}
	if n := w.audits(name, "retirement.held"); n != 0 {
		t.Fatalf("%d retirement.held events before any use was seen, want 0", n)
	}
	// The consumer uses the old key (past IAM's 15-minute coalescing of
	// the rotation's own use of it).
	w.advance(t0.Add(15*time.Minute + 30*time.Second))
	if _, err := w.whoami(old); err != nil {
		t.Fatal(err)
	}
	w.advance(w.state(name).Held.NextLook)
	h := w.held(name)
	if h.Unsettled || h.Service != "sts" || h.Region != "us-east-1" {
		t.Fatalf("held %+v; want in use with sts in us-east-1", h)
	}
	if got := h.Describe(w.clock.Now()); !strings.Contains(got, "still in use (sts, us-east-1,") {
		t.Fatalf("held: %q", got)
	}
	w.n.wait(t, "retirement.held")
	if now, total := w.heldMetrics(); now != 1 || total != 1 {
		t.Fatalf("metrics: held %v, total %v; want 1 and 1", now, total)
	}
	w.advance(w.state(name).Held.NextLook)
	eventually(t, "the old key's deletion", func() bool { return !slices.Contains(w.keyIDs("app"), old.AccessKeyID) })
	st := w.state(name)
	if v := st.ByKeyID(res.OldKeyID); st.Held != nil || v.State != state.Retired {
		t.Fatalf("after the consumer stopped: held %+v, old version %s; want retired", st.Held, v.State)
	}
	if n := w.audits(name, "retirement.held"); n != 1 {
		t.Fatalf("%d retirement.held events, want 1", n)
	}
}

// TestRetireWhenUnusedGracePeriod: at the end of grace_period a previous
// key still in use is held, and retired at the next look after its use
// stops.
func TestRetireWhenUnusedGracePeriod(t *testing.T) {
	w, head := newHeldWorld(t)
	old := w.user("app")
	const name = "/app/app"
	w.start(head+w.secretYAML("app", "grace_period: 1", "retire_when: unused"), usageWindow(time.Minute, 10*time.Minute, time.Hour))
	w.idle()
	if _, err := w.d.backend().Rotate(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	w.idle()
	end := t0.AddDate(0, 0, 1)
	w.advance(end.Add(-5 * time.Minute))
	if err := w.fake.SetLastUsed(old.AccessKeyID, w.clock.Now(), "s3", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	w.advance(end)
	if !slices.Contains(w.keyIDs("app"), old.AccessKeyID) {
		t.Fatal("the grace period's end deleted a key in use")
	}
	if h := w.held(name); h.Service != "s3" || h.Region != "eu-west-1" || h.Unsettled {
		t.Fatalf("held %+v; want in use with s3 in eu-west-1", h)
	}
	w.n.wait(t, "retirement.held")
	w.advance(w.state(name).Held.NextLook)
	eventually(t, "the old key's deletion", func() bool { return !slices.Contains(w.keyIDs("app"), old.AccessKeyID) })
	if st := w.state(name); st.Held != nil {
		t.Fatalf("still held after the retirement: %+v", st.Held)
	}
	if now, total := w.heldMetrics(); now != 0 || total != 1 {
		t.Fatalf("metrics: held %v, total %v; want 0 and 1", now, total)
	}
}

// TestRetireMaxWait: a consumer that never stops keeps the key for
// retire_max_wait (2d), then the key is retired anyway and
// retirement.forced is sent; with retire_on_timeout: keep it stays, held,
// and says so. For each of graceful (next rotation), strict and
// grace_period.
func TestRetireMaxWait(t *testing.T) {
	for _, tt := range []struct {
		name, mode string
		keep       bool
	}{
		{"graceful", "rotation_interval: 1", false},
		{"strict", "grace_rotation: false", false},
		{"grace period", "grace_period: 1", false},
		{"strict keep", "grace_rotation: false", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, head := newHeldWorld(t)
			old := w.user("app")
			const name = "/app/app"
			more := []string{"retire_when: unused", "retire_max_wait: 2d", tt.mode}
			if tt.keep {
				more = append(more, "retire_on_timeout: keep")
			}
			if tt.mode == "rotation_interval: 1" {
				more = append(more, "auto_rotate: true", "rotation_hour: 3")
			}
			w.start(head+w.secretYAML("app", more...), usageWindow(12*time.Hour, time.Hour, 12*time.Hour))
			w.idle()
			if _, err := w.d.backend().Rotate(context.Background(), name); err != nil {
				t.Fatal(err)
			}
			w.idle()
			// The consumer uses the old key every hour, for good.
			var since time.Time
			for step := 0; step < 24*5; step++ {
				now := w.clock.Now().Add(time.Hour)
				if err := w.fake.SetLastUsed(old.AccessKeyID, now, "s3", "eu-west-1"); err != nil {
					t.Fatal(err)
				}
				w.advance(now)
				st := w.state(name)
				if since.IsZero() && st.Held != nil && !st.Held.Unsettled {
					since = st.Held.Since
				}
				if !slices.Contains(w.keyIDs("app"), old.AccessKeyID) {
					if tt.keep {
						t.Fatalf("retire_on_timeout: keep, but the key was retired at %s", now)
					}
					if since.IsZero() || now.Sub(since) < 48*time.Hour || now.Sub(since) > 49*time.Hour {
						t.Fatalf("retired at %s, held since %s; want 2 days after", now, since)
					}
					w.n.wait(t, "retirement.forced")
					if n := w.audits(name, "retirement.forced"); n != 1 {
						t.Fatalf("%d retirement.forced events, want 1", n)
					}
					// Once when the use was seen, again a day later.
					if n := w.audits(name, "retirement.held"); n != 2 {
						t.Fatalf("%d retirement.held events over two days, want 2 (once, then daily)", n)
					}
					eventually(t, "two retirement.held notifications", func() bool { return w.n.count("retirement.held") == 2 })
					return
				}
			}
			if !tt.keep {
				t.Fatal("the key in use was never retired")
			}
			h := w.held(name)
			if !h.Kept || !strings.Contains(h.Describe(w.clock.Now()), "kept (retire_on_timeout: keep)") {
				t.Fatalf("held %+v: want kept", h)
			}
			if n := w.audits(name, "retirement.forced"); n != 0 {
				t.Fatalf("%d retirement.forced events with keep, want 0", n)
			}
		})
	}
}

// TestRetireWhenUnusedLaggingIAM: IAM shows a use only an hour after it
// (awsfake's last-used delay, the rotator's usage lag). A consumer that
// keeps calling STS with the old key of a strict secret every 30 minutes
// never loses it, although IAM never shows its latest calls; the hold is
// announced once; after the consumer stops, the key goes once IAM has
// shown no use for the quiet span (2h), not before.
func TestRetireWhenUnusedLaggingIAM(t *testing.T) {
	const lag, quiet = time.Hour, 2 * time.Hour
	w, head := newHeldWorld(t, awsfake.WithLastUsedDelay(lag))
	old := w.user("app")
	const name = "/app/app"
	w.start(head+w.secretYAML("app", "grace_rotation: false", "retire_when: unused"), usageWindow(lag, quiet, time.Hour))
	w.idle()
	if _, err := w.d.backend().Rotate(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	w.idle()
	var last time.Time
	for range 12 {
		w.advance(w.clock.Now().Add(30 * time.Minute))
		if _, err := w.whoami(old); err != nil {
			t.Fatalf("at %s the consumer lost its key: %v", w.clock.Now(), err)
		}
		last = w.clock.Now()
	}
	h := w.held(name)
	if h.Unsettled || h.Service != "sts" || h.Region != "us-east-1" || !h.LastUsed.Before(last) {
		t.Fatalf("held %+v; want in use with sts in us-east-1, IAM behind the last call at %s", h, last)
	}
	if n := w.audits(name, "retirement.held"); n != 1 {
		t.Fatalf("%d retirement.held events, want 1", n)
	}
	if now, total := w.heldMetrics(); now != 1 || total != 1 {
		t.Fatalf("metrics: held %v, total %v; want 1 and 1", now, total)
	}
	// The consumer switched.
	gone := time.Time{}
	for range 12 {
		w.advance(w.clock.Now().Add(30 * time.Minute))
		if !slices.Contains(w.keyIDs("app"), old.AccessKeyID) {
			gone = w.clock.Now()
			break
		}
	}
	earliest := last.Add(15*time.Minute + lag + quiet)
	if gone.IsZero() || gone.Before(earliest) || gone.After(earliest.Add(time.Hour)) {
		t.Fatalf("the old key went at %v; want between %s and an hour later", gone, earliest)
	}
	if now, total := w.heldMetrics(); now != 0 || total != 1 {
		t.Fatalf("metrics after: held %v, total %v; want 0 and 1", now, total)
	}
}
