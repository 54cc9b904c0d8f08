package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/state"
)

// TestIntervalSchedule: a key 40 days old on a 30-day interval is
// discovered, rotates at the next 03:00 UTC (catch_up: next-hour), and then
// exactly every 30 days at 03:00, driven by the fake clock.
func TestIntervalSchedule(t *testing.T) {
	w := newWorld(t)
	k := w.user("app")
	if err := w.fake.SetKeyCreateDate(k.AccessKeyID, t0.AddDate(0, 0, -40)); err != nil {
		t.Fatal(err)
	}
	w.start(w.header("") + w.secretYAML("app", "auto_rotate: true", "rotation_interval: 30", "rotation_hour: 3"))
	w.idle() // discovery
	first := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	if got := w.next("/app/app"); !got.Equal(first) {
		t.Fatalf("next rotation %s, want %s (the next 03:00 UTC)", got, first)
	}
	if n := w.fake.Calls("CreateAccessKey"); n != 0 {
		t.Fatalf("%d keys created before the rotation hour", n)
	}
	w.advance(first)
	last := w.state("/app/app").LastRotation
	if !last.Equal(first) {
		t.Fatalf("last rotation %s, want %s", last, first)
	}
	if v, ok := w.series("rotatord_rotation_interval_seconds", map[string]string{"secret": "/app/app"}); !ok || v != 30*86400 {
		t.Fatalf("rotatord_rotation_interval_seconds %v (present %v), want 30 days", v, ok)
	}
	for i := 1; i <= 3; i++ {
		want := first.AddDate(0, 0, 30*i)
		if got := w.next("/app/app"); !got.Equal(want) {
			t.Fatalf("rotation %d: next %s, want %s", i+1, got, want)
		}
		w.advance(want.Add(-time.Minute))
		if n := w.fake.Calls("CreateAccessKey"); n != i {
			t.Fatalf("rotation %d: %d keys created a minute early", i+1, n)
		}
		w.advance(want)
		if n := w.fake.Calls("CreateAccessKey"); n != i+1 {
			t.Fatalf("rotation %d did not happen at %s", i+1, want)
		}
		now := w.state("/app/app").LastRotation
		if gap := now.Sub(last); gap != 30*24*time.Hour {
			t.Fatalf("rotation %d: %s after the last, want exactly 30 days", i+1, gap)
		}
		last = now
	}
}

// TestCatchUpImmediate: an overdue key with catch_up: immediate rotates as
// soon as its age is known, without waiting for the rotation hour.
func TestCatchUpImmediate(t *testing.T) {
	w := newWorld(t)
	k := w.user("app")
	if err := w.fake.SetKeyCreateDate(k.AccessKeyID, t0.AddDate(0, 0, -40)); err != nil {
		t.Fatal(err)
	}
	w.start(w.header("") + w.secretYAML("app", "auto_rotate: true", "rotation_interval: 30", "rotation_hour: 3", "catch_up: immediate"))
	eventually(t, "the catch-up rotation", func() bool { return w.fake.Calls("CreateAccessKey") == 1 })
	w.idle()
	if want := t0.AddDate(0, 0, 30); !w.next("/app/app").Equal(time.Date(2026, 12, 25, 3, 0, 0, 0, time.UTC)) {
		t.Fatalf("next %s, want 30 days later at 03:00 (%s)", w.next("/app/app"), want)
	}
}

// TestGracePeriod: with grace_period: 2 the previous key stays valid two
// days after it was replaced, then a second event of the cycle removes it.
func TestGracePeriod(t *testing.T) {
	w := newWorld(t)
	k := w.user("app")
	if err := w.fake.SetKeyCreateDate(k.AccessKeyID, t0.AddDate(0, 0, -40)); err != nil {
		t.Fatal(err)
	}
	w.start(w.header("") + w.secretYAML("app", "auto_rotate: true", "rotation_interval: 30", "rotation_hour: 3", "grace_period: 2"))
	w.idle()
	rot := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	w.advance(rot)
	if n := len(w.fake.Keys("app")); n != 2 {
		t.Fatalf("%d keys after the rotation, want 2", n)
	}
	w.advance(rot.AddDate(0, 0, 2).Add(-time.Minute))
	if n := len(w.fake.Keys("app")); n != 2 {
		t.Fatalf("%d keys a minute before the grace period ends, want 2", n)
	}
	w.advance(rot.AddDate(0, 0, 2))
	keys := w.fake.Keys("app")
	st := w.state("/app/app")
	if len(keys) != 1 || keys[0].ID != st.Current().AccessKeyID {
		t.Fatalf("IAM keys %v after the grace period, want only the current %s", keys, st.Current().AccessKeyID)
	}
	if v := st.ByKeyID(k.AccessKeyID); v.State != state.Retired {
		t.Fatalf("the previous version is %s, want retired", v.State)
	}
	if n := w.fake.Calls("CreateAccessKey"); n != 1 {
		t.Fatalf("CreateAccessKey called %d times, want 1", n)
	}
}

// TestDeliveryRetry: a sink that cannot take the key leaves the rotation
// open; the daemon retries with backoff and finishes once the sink can.
func TestDeliveryRetry(t *testing.T) {
	w := newWorld(t)
	w.user("app")
	cfg := w.header("") + strings.Replace(w.secretYAML("app", "auto_rotate: true", `rotation_schedule: "@daily"`, "grace_rotation: false"),
		"path: app.ini", "path: later/app.ini", 1)
	w.start(cfg)
	w.advance(t0.Add(14 * time.Hour)) // midnight
	st := w.state("/app/app")
	if st.Journal == nil || st.Journal.Step != state.StepDelivering {
		t.Fatalf("journal %+v, want delivering", st.Journal)
	}
	if n := len(w.fake.Keys("app")); n != 2 {
		t.Fatalf("%d keys while delivery is pending, want both (strict mode keeps the old one)", n)
	}
	pending := map[string]string{"secret": "/app/app"}
	if v, ok := w.series("rotatord_delivery_pending_since_timestamp_seconds", pending); !ok || v != float64(st.Journal.Started.Unix()) {
		t.Fatalf("rotatord_delivery_pending_since_timestamp_seconds %v (present %v), want %d, the rotation's start", v, ok, st.Journal.Started.Unix())
	}
	retryAt := w.next("/app/app")
	if d := retryAt.Sub(w.clock.Now()); d != 30*time.Second {
		t.Fatalf("delivery retry in %s, want 30s", d)
	}
	w.advance(retryAt) // still failing: backoff doubles
	if d := w.next("/app/app").Sub(w.clock.Now()); d != time.Minute {
		t.Fatalf("second retry in %s, want 1m", d)
	}
	if err := os.Mkdir(filepath.Join(w.dir, "later"), 0o700); err != nil {
		t.Fatal(err)
	}
	w.advance(w.next("/app/app"))
	st = w.state("/app/app")
	if st.Journal != nil {
		t.Fatalf("journal still open at %s", st.Journal.Step)
	}
	if n := len(w.fake.Keys("app")); n != 1 {
		t.Fatalf("%d keys after the delivery, want 1 (strict)", n)
	}
	if v, ok := w.series("rotatord_delivery_pending_since_timestamp_seconds", pending); ok {
		t.Fatalf("rotatord_delivery_pending_since_timestamp_seconds is %v after the delivery, want absent", v)
	}
	if v, ok := w.series("rotatord_rotation_interval_seconds", pending); !ok || v != 86400 {
		t.Fatalf("rotatord_rotation_interval_seconds of @daily %v (present %v), want a day", v, ok)
	}
	if n := w.fake.Calls("CreateAccessKey"); n != 1 {
		t.Fatalf("CreateAccessKey called %d times, want 1", n)
	}
}

// TestShutdownDuringRotation: SIGTERM (ctx cancelled) while a rotation
// waits on IAM: Run returns nil within shutdown_timeout, and the next
// start finishes the rotation without an orphan key.
func TestShutdownDuringRotation(t *testing.T) {
	w := newWorld(t)
	w.user("app")
	cfg := w.header("") + w.secretYAML("app", "auto_rotate: true", `rotation_schedule: "@hourly"`)
	w.start(cfg)
	hold := w.fake.Hold("CreateAccessKey")
	w.clock.Advance(t0.Add(time.Hour))
	<-hold.Reached()
	start := time.Now()
	if err := w.stop(); err != nil {
		t.Fatalf("Run returned %v, want nil", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("shutdown took %s with shutdown_timeout 2s", took)
	}
	hold.Release() // IAM creates the key after all: an orphan
	<-hold.Done()
	if n := len(w.fake.Keys("app")); n != 2 {
		t.Fatalf("%d keys after the interrupted create, want 2", n)
	}
	if !strings.Contains(w.notes.String(), "STOPPING=1") {
		t.Errorf("no STOPPING=1 notification: %q", w.notes.String())
	}

	w.start(cfg)
	w.idle()
	st := w.state("/app/app")
	if st.Journal != nil {
		t.Fatalf("journal still open at %s after the restart", st.Journal.Step)
	}
	for _, k := range w.fake.Keys("app") {
		if st.ByKeyID(k.ID) == nil {
			t.Errorf("orphan key %s left in IAM", k.ID)
		}
	}
	if n := len(w.fake.Keys("app")); n != 2 {
		t.Errorf("%d keys after recovery, want 2 (graceful)", n)
	}
}

// TestSecondDaemon: a second daemon on the same state file fails at once,
// naming the file and the holder's pid.
func TestSecondDaemon(t *testing.T) {
	w := newWorld(t)
	w.user("app")
	w.start(w.header("") + w.secretYAML("app"))
	err := Run(context.Background(), Options{ConfigPath: w.cfg, Logger: w.d.log, NoWatch: true})
	var le *state.LockedError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), filepath.Join(w.dir, "state.db")) || !strings.Contains(err.Error(), "pid ") {
		t.Fatalf("second Run: %v; want a lock error naming the file and pid", err)
	}
	_ = awsfake.Drop
}

// TestRefreshSinksAtStart: a sink file lost while the daemon was down (a
// tmpfs after a reboot) gets the current key back at the next start, and a
// sink added by a reload gets it at once; no rotation is needed.
func TestRefreshSinksAtStart(t *testing.T) {
	w := newWorld(t)
	w.user("app")
	cfg := w.header("") + w.secretYAML("app", "auto_rotate: true", `rotation_schedule: "@daily"`)
	w.start(cfg)
	w.advance(t0.Add(14 * time.Hour))
	cur := w.state("/app/app").Current()
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}
	sinkFile := filepath.Join(w.dir, "app.ini")
	if err := os.Remove(sinkFile); err != nil {
		t.Fatal(err)
	}
	w.start(cfg)
	w.idle()
	raw, err := os.ReadFile(sinkFile)
	if err != nil || !strings.Contains(string(raw), cur.AccessKeyID) {
		t.Fatalf("sink after restart (%v) lacks the current key %s", err, cur.AccessKeyID)
	}
	added := strings.Replace(cfg, "    sinks:\n", "    sinks:\n      - {type: file, path: extra.env, format: env}\n", 1)
	w.file("rotatord.yaml", added)
	w.d.reload(context.Background(), "test")
	w.idle()
	raw, err = os.ReadFile(filepath.Join(w.dir, "extra.env"))
	if err != nil || !strings.Contains(string(raw), "AWS_ACCESS_KEY_ID="+cur.AccessKeyID) {
		t.Fatalf("added sink: %v; want the current key %s", err, cur.AccessKeyID)
	}
	if n := w.fake.Calls("CreateAccessKey"); n != 1 {
		t.Errorf("CreateAccessKey called %d times, want 1", n)
	}
}
