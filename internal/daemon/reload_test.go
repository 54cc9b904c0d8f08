package daemon

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestReload: a valid file is applied as a diff (added scheduled, removed
// unscheduled and archived, a changed schedule recomputed, an unchanged
// secret's entry untouched); an invalid file changes nothing and sets the
// reload metric to 0; fixing it sets it back to 1.
func TestReload(t *testing.T) {
	w := newWorld(t)
	for _, u := range []string{"keep", "resched", "gone", "added"} {
		w.user(u)
	}
	hourly := []string{"auto_rotate: true", `rotation_schedule: "@hourly"`}
	cfg := w.header("") + w.secretYAML("keep", hourly...) + w.secretYAML("resched", hourly...) + w.secretYAML("gone", hourly...)
	w.start(cfg)
	w.advance(t0.Add(time.Hour)) // one rotation each, so "gone" has state to archive
	ids := w.entryIDs()

	// Valid: add one, remove one, reschedule one, keep one.
	next := w.header("") + w.secretYAML("keep", hourly...) +
		w.secretYAML("resched", "auto_rotate: true", `rotation_schedule: "@daily"`) + w.secretYAML("added", hourly...)
	w.file("rotatord.yaml", next)
	w.d.reload(context.Background(), "test")
	w.idle() // the refresh jobs of added and changed secrets
	after := w.entryIDs()
	if after["/app/keep"] != ids["/app/keep"] {
		t.Errorf("the unchanged secret was rescheduled")
	}
	if after["/app/resched"] == ids["/app/resched"] || after["/app/resched"] == 0 {
		t.Errorf("the changed schedule was not recomputed")
	}
	if _, ok := after["/app/gone"]; ok {
		t.Errorf("the removed secret is still scheduled")
	}
	if after["/app/added"] == 0 {
		t.Errorf("the added secret is not scheduled")
	}
	if !w.state("/app/gone").Archived {
		t.Errorf("the removed secret's state is not archived")
	}
	if got := testutil.ToFloat64(w.d.metrics.reloadOK); got != 1 {
		t.Errorf("reload metric %v, want 1", got)
	}
	if want := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC); !w.next("/app/resched").Equal(want) {
		t.Errorf("rescheduled secret next at %s, want %s", w.next("/app/resched"), want)
	}

	// Invalid: nothing changes, the metric says so.
	w.file("rotatord.yaml", strings.Replace(next, "rotation_schedule: \"@daily\"", "rotation_interval: 400", 1))
	w.d.reload(context.Background(), "test")
	if got := testutil.ToFloat64(w.d.metrics.reloadOK); got != 0 {
		t.Errorf("reload metric %v after an invalid file, want 0", got)
	}
	if again := w.entryIDs(); !sameIDs(again, after) {
		t.Errorf("an invalid file changed the schedule: %v, was %v", again, after)
	}
	if !strings.Contains(w.logs.String(), "rotation_interval: 400 is out of range") {
		t.Errorf("the log does not say why the file was refused")
	}
	// The old configuration still runs: the next hour rotates all three.
	w.advance(t0.Add(2 * time.Hour))
	if v := w.state("/app/added").Current(); v == nil || v.N != 2 {
		t.Errorf("the running configuration stopped rotating after a refused reload")
	}

	w.file("rotatord.yaml", next)
	w.d.reload(context.Background(), "test")
	if got := testutil.ToFloat64(w.d.metrics.reloadOK); got != 1 {
		t.Errorf("reload metric %v after the fix, want 1", got)
	}
	if !strings.Contains(w.notes.String(), "RELOADING=1") {
		t.Errorf("no RELOADING=1 notification")
	}
}

func (w *world) entryIDs() map[string]int {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	out := map[string]int{}
	for name, e := range w.d.entries {
		out[name] = int(e.id)
	}
	return out
}

func sameIDs(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestReloadCatchUpImmediate: a reload that turns two overdue secrets
// (waiting for the next rotation hour, catch_up: next-hour) to catch_up:
// immediate rotates both at once, as a start would; a second reload with
// the same setting rotates neither again.
func TestReloadCatchUpImmediate(t *testing.T) {
	w := newWorld(t)
	names := []string{"a", "b"}
	for _, u := range names {
		k := w.user(u)
		if err := w.fake.SetKeyCreateDate(k.AccessKeyID, t0.AddDate(0, 0, -40)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := func(hour int, extra ...string) string {
		out := w.header("")
		for _, u := range names {
			out += w.secretYAML(u, append([]string{"auto_rotate: true", "rotation_interval: 30", fmt.Sprintf("rotation_hour: %d", hour)}, extra...)...)
		}
		return out
	}
	w.start(cfg(3))
	w.idle() // the key ages are discovered: both overdue, due at 03:00
	if n := w.fake.Calls("CreateAccessKey"); n != 0 {
		t.Fatalf("%d keys created before the rotation hour with catch_up: next-hour", n)
	}
	w.file("rotatord.yaml", cfg(3, "catch_up: immediate"))
	w.d.reload(context.Background(), "test")
	w.idle()
	if n := w.fake.Calls("CreateAccessKey"); n != 2 {
		t.Fatalf("%d keys created after the reload to catch_up: immediate, want 2 (one per overdue secret)", n)
	}
	for _, u := range names {
		if v := w.state("/app/" + u).Current(); v == nil || v.N != 2 {
			t.Errorf("%s: current version %v after the reload, want 2", u, v)
		}
	}
	w.file("rotatord.yaml", cfg(4, "catch_up: immediate"))
	w.d.reload(context.Background(), "test")
	w.idle()
	if got := testutil.ToFloat64(w.d.metrics.reloadOK); got != 1 {
		t.Fatalf("second reload refused (metric %v)", got)
	}
	if n := w.fake.Calls("CreateAccessKey"); n != 2 {
		t.Fatalf("%d keys created after a second reload, want still 2", n)
	}
	// A catch-up queued just as another job finished the rotation looks
	// at the store first and does nothing.
	w.d.submit(job{secret: "/app/a", kind: jobRotate, ifDue: true})
	w.idle()
	if n := w.fake.Calls("CreateAccessKey"); n != 2 {
		t.Fatalf("%d keys created by a catch-up of a secret no longer due, want still 2", n)
	}
}
