package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/state"
)

// TestPlanMatchesDaemon: the plan of a mixed configuration (interval with
// a grace period and reminders, cron in strict mode, catch_up: immediate,
// grace_timing: before, graceful without a grace period), made offline
// after 50 days of downtime, lists exactly what the daemon then does over
// 400 days on the fake clock: every rotation, retirement and
// rotation.upcoming reminder, at its time. The running daemon's plan,
// through the control socket, is the same once its start-up is done.
func TestPlanMatchesDaemon(t *testing.T) {
	w := newWorld(t)
	for _, u := range planUsers {
		w.user(u)
	}
	for u, age := range map[string]int{"iv": 40, "imm": 10, "hd": 40} {
		if err := w.fake.SetKeyCreateDate(w.users[u].AccessKeyID, t0.AddDate(0, 0, -age)); err != nil {
			t.Fatal(err)
		}
	}
	n := newNotifyReceiver(t, "notify-hmac")
	w.file("notify.secret", "notify-hmac")
	notifyCfg := fmt.Sprintf("notify:\n  - {url: %q, hmac_secret_file: notify.secret, events: [rotation.upcoming]}\n", n.srv.URL)
	cfg := w.header(notifyCfg) +
		w.secretYAML("iv", "auto_rotate: true", "rotation_interval: 30", "rotation_hour: 3", "grace_period: 2", "notify_before: [7, 1]", "rotation_timezone: Europe/Berlin") +
		w.secretYAML("cr", "auto_rotate: true", `rotation_schedule: "0 4 1,15 * *"`, "grace_rotation: false", "notify_before: [2]", "rotation_timezone: Australia/Lord_Howe") +
		w.secretYAML("imm", "auto_rotate: true", "rotation_interval: 45", "rotation_hour: 5", "catch_up: immediate") +
		w.secretYAML("bf", "auto_rotate: true", "rotation_interval: 20", "rotation_hour: 6", "grace_period: 5", "grace_timing: before") +
		w.secretYAML("gr", "auto_rotate: true", "rotation_interval: 60", "rotation_hour: 7") +
		// retire_when: unused: each strict rotation's old key is held until
		// IAM can show it unused (a day and 4 h, and 15 min: the key signed
		// its own replacement); the first is held across the downtime.
		w.secretYAML("hd", "auto_rotate: true", "rotation_interval: 30", "rotation_hour: 8", "grace_rotation: false",
			"retire_when: unused", "catch_up: immediate") +
		// A one-day grace period ends before IAM can show the key unused:
		// its retirement waits for that too.
		w.secretYAML("hg", "auto_rotate: true", "rotation_interval: 25", "rotation_hour: 9", "grace_period: 1", "retire_when: unused")

	// A first run discovers the keys' ages and rotates hd (overdue,
	// catch_up: immediate), whose old key is then held; then the daemon is
	// down for 50 days, so that iv and bf catch up at their hour, imm and
	// hd at once, and hd's held key is retired at once.
	w.start(cfg)
	w.idle()
	if n := w.fake.Calls("CreateAccessKey"); n != 1 {
		t.Fatalf("%d rotations in the first run, want hd's", n)
	}
	if st := w.state("/app/hd"); st.Held == nil || st.Held.Settles.IsZero() {
		t.Fatalf("hd after its strict rotation: held %+v, want its old key held until IAM shows it unused", st.Held)
	}
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}
	for _, e := range w.clock.Entries() {
		w.clock.Remove(e.ID) // the stopped daemon's
	}
	t1 := t0.AddDate(0, 0, 50)
	w.clock.Advance(t1)

	plan := offlinePlan(t, w, 400)
	want := planLines(plan.Items)

	for _, r := range []string{schedule.ReasonInterval, schedule.ReasonCron, schedule.ReasonCatchUp, schedule.ReasonGracePeriod, schedule.ReasonMakeRoom, schedule.ReasonStrict, schedule.ReasonNotifyBefore, schedule.ReasonHeld} {
		if !slices.ContainsFunc(plan.Items, func(it control.PlanItem) bool { return it.Reason == r }) {
			t.Errorf("the plan has no item of reason %s:\n%s", r, strings.Join(want, "\n"))
		}
	}
	if plan.Running || !plan.From.Equal(t1) || !plan.To.Equal(t1.AddDate(0, 0, 400)) {
		t.Fatalf("plan from %s to %s (running %v), want %s + 400 days offline", plan.From, plan.To, plan.Running, t1)
	}

	var mu sync.Mutex
	var did []string
	record := func(at time.Time, secret, kind string) {
		mu.Lock()
		did = append(did, line(at, secret, kind))
		mu.Unlock()
	}
	w.start(cfg, func(o *Options) {
		o.AfterRotation = func(secret string, _ *iamrotate.Result, err error) {
			if err == nil {
				record(w.clock.Now(), secret, schedule.KindRotation)
			}
		}
	})
	w.idle()

	running := runningPlan(t, w, 400)
	var fromStore []string
	for _, l := range want {
		if !strings.HasPrefix(l, t1.Format(time.RFC3339)) {
			fromStore = append(fromStore, l) // what start-up did is done
		}
	}
	if got := planLines(running.Items); !running.Running || !slices.Equal(got, fromStore) {
		t.Errorf("the running daemon's plan (running %v) differs from the offline one after start-up:\n%s", running.Running, diffLines(fromStore, got))
	}

	retired := map[string]bool{}
	noteRetired := func() {
		for _, rs := range planUsers {
			st, err := w.d.store.Get(context.Background(), "/app/"+rs)
			if errors.Is(err, state.ErrNotFound) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			for _, v := range st.Versions {
				if !v.Retired.IsZero() && !retired[v.AccessKeyID] {
					retired[v.AccessKeyID] = true
					record(v.Retired, "/app/"+rs, schedule.KindRetirement)
				}
			}
		}
	}
	noteRetired()
	for {
		var next time.Time
		if es := w.clock.Entries(); len(es) > 0 {
			next = es[0].Next
		}
		if next.IsZero() || next.After(plan.To) {
			break
		}
		w.advance(next)
		noteRetired()
	}
	w.advance(plan.To)

	// Stopping sends the notifications still queued.
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}
	for _, e := range n.kind("rotation.upcoming") {
		at, err := time.Parse(time.RFC3339, fmt.Sprint(e["timestamp"]))
		if err != nil {
			t.Fatalf("notification timestamp: %v", err)
		}
		record(at, fmt.Sprint(e["secret"]), schedule.KindReminder)
	}
	mu.Lock()
	got := slices.Sorted(slices.Values(did))
	mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("the daemon did (+) not what the plan said (-):\n%s", diffLines(want, got))
	}
	if len(want) < 100 {
		t.Errorf("the plan has %d items, want a busy year (over 100)", len(want))
	}
}

// planUsers are TestPlanMatchesDaemon's secrets, one user each.
var planUsers = []string{"iv", "cr", "imm", "bf", "gr", "hd", "hg"}

// offlinePlan is the plan of a CLI that finds no daemon: from the store,
// at the test's clock.
func offlinePlan(t *testing.T, w *world, days int) *control.Plan {
	t.Helper()
	cfg, err := config.Load(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	o, err := OpenOffline(context.Background(), cfg, "plan test", EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	o.now = w.clock.Now
	p, err := o.Plan(context.Background(), control.PlanQuery{Days: days})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runningPlan asks the running daemon through its control socket.
func runningPlan(t *testing.T, w *world, days int) *control.Plan {
	t.Helper()
	c, err := control.Dial(context.Background(), w.socket)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.Plan(context.Background(), control.PlanQuery{Days: days})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// planLines is the plan as sorted "TIME SECRET KIND" lines: retirements
// of any reason and looks are one kind, as the daemon's record has them.
func planLines(items []control.PlanItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		kind := it.Kind
		if kind == schedule.KindLook {
			kind = schedule.KindRetirement
		}
		out = append(out, line(it.At, it.Secret, kind))
	}
	slices.Sort(out)
	return out
}

func line(at time.Time, secret, kind string) string {
	return at.UTC().Format(time.RFC3339) + " " + secret + " " + kind
}

// diffLines shows the lines only in want (-) and only in got (+).
func diffLines(want, got []string) string {
	var b strings.Builder
	for _, l := range want {
		if !slices.Contains(got, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	if b.Len() == 0 {
		return fmt.Sprintf("(the same lines, counted differently: want %d, got %d)", len(want), len(got))
	}
	return b.String()
}

// kind returns the events of one kind received so far.
func (n *notifyReceiver) kind(k string) []map[string]any {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []map[string]any
	for _, e := range n.events {
		if e["event"] == k {
			out = append(out, e)
		}
	}
	return out
}

// TestPlanPendingDelivery: a rotation left open by a sink that cannot take
// the key is, in the running daemon's plan, finished at its delivery
// retry (reason resume, the strict retirement with it), then the schedule
// goes on from that rotation.
func TestPlanPendingDelivery(t *testing.T) {
	w := newWorld(t)
	w.user("app")
	cfg := w.header("") + strings.Replace(w.secretYAML("app", "auto_rotate: true", `rotation_schedule: "@daily"`, "grace_rotation: false"),
		"path: app.ini", "path: later/app.ini", 1)
	w.start(cfg)
	w.advance(t0.Add(14 * time.Hour)) // midnight: the rotation's delivery fails
	if st := w.state("/app/app"); st.Journal == nil {
		t.Fatal("no rotation left open")
	}
	retryAt := w.next("/app/app")
	p, err := w.d.backend().Plan(context.Background(), control.PlanQuery{Days: 2})
	if err != nil {
		t.Fatal(err)
	}
	midnight := t0.Add(14*time.Hour).AddDate(0, 0, 1)
	want := []string{
		line(retryAt, "/app/app", "rotation resume"), line(retryAt, "/app/app", "retirement strict"),
		line(midnight, "/app/app", "rotation cron"), line(midnight, "/app/app", "retirement strict"),
		line(midnight.AddDate(0, 0, 1), "/app/app", "rotation cron"), line(midnight.AddDate(0, 0, 1), "/app/app", "retirement strict"),
	}
	var got []string
	for _, it := range p.Items {
		got = append(got, line(it.At, it.Secret, it.Kind+" "+it.Reason))
	}
	if !p.Running || !slices.Equal(got, want) {
		t.Errorf("plan (running %v):\n%s\nwant:\n%s", p.Running, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
