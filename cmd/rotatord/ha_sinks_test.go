package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/state"
)

// The soak tests of issue 12: three replicas on one DynamoDB table, each
// with its own file sink of every secret (a file on its host), graceful
// rotations every few lease durations. A sampler looks at every replica's
// sinks twice a second and fails the test if a live replica's sink holds a
// key IAM no longer has, or lacks the current key longer than a lease
// duration after the rotation.

const (
	soakLease  = 5 * time.Second  // lease_duration (its minimum)
	soakPeriod = 15 * time.Second // rotation_schedule: three lease durations
	soakSample = 500 * time.Millisecond
	// soakSlack is what the lag check allows beyond a lease duration: the
	// sampling interval, and the time to read 90 files.
	soakSlack = 1500 * time.Millisecond
)

// soakPeriods is how many periods the soaks run: 5 in CI (each secret
// rotates about five times, under every replica), or
// ROTATORD_SOAK_PERIODS for a long soak outside it
// (ROTATORD_SOAK_PERIODS=240 go test -race -run TestReplicaSinks
// ./cmd/rotatord runs an hour).
func soakPeriods(t *testing.T) int {
	if s := os.Getenv("ROTATORD_SOAK_PERIODS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 3 {
			t.Fatalf("ROTATORD_SOAK_PERIODS=%q: want a number of at least 3", s)
		}
		return n
	}
	return 5
}

// newSoakWorld is an haWorld of n graceful secrets rotated every
// soakPeriod, plus /ha/m000, rotated only by hand.
func newSoakWorld(t *testing.T, n int) *haWorld {
	t.Helper()
	w := newHAWorld(t, n)
	k := w.fake.SeedUser("m000", false)
	w.users = append(w.users, "m000")
	w.bootstrap["m000"] = k.AccessKeyID
	w.secret = func(u string) string {
		if u == "m000" {
			return "    grace_rotation: true\n    auto_rotate: false\n    verify_timeout: 10s\n"
		}
		return fmt.Sprintf("    grace_rotation: true\n    auto_rotate: true\n    rotation_schedule: \"@every %s\"\n    verify_timeout: 10s\n", soakPeriod)
	}
	return w
}

// sampler watches the replicas' sinks.
type sampler struct {
	w    *haWorld
	reps []*replica

	mu sync.Mutex
	// excused are replicas the lag check skips: stopped or killed, they
	// cannot write their sinks. The deleted-key check skips a replica only
	// once its heartbeat has expired, as the README allows.
	excused map[string]bool
	// expired are replicas seen without a live heartbeat since they were
	// last excused: their host's files may hold a key deleted meanwhile,
	// until they have caught up (the test clears it with excuse).
	expired  map[string]bool
	problems []string
	samples  int
	maxLag   time.Duration

	stop, done chan struct{}
}

// watch starts sampling until stopSampling.
func watch(w *haWorld, reps ...*replica) *sampler {
	s := &sampler{w: w, reps: reps, excused: map[string]bool{}, expired: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(soakSample)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

// excuse stops or restarts the lag check of replica name; restarting it
// also forgets that its heartbeat expired.
func (s *sampler) excuse(name string, excused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.excused[name] = excused
	if !excused {
		delete(s.expired, name)
	}
}

// finish stops the sampler and fails the test on what it found.
func (s *sampler) finish(t *testing.T) {
	t.Helper()
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Logf("%d samples; a replica's sink lacked the current key at most %s after its rotation", s.samples, s.maxLag.Round(time.Millisecond))
	if s.samples < 10 {
		t.Errorf("only %d samples: the check proves little", s.samples)
	}
	for i, p := range s.problems {
		if i == 20 {
			t.Errorf("… and %d more", len(s.problems)-20)
			break
		}
		t.Error(p)
	}
}

func (s *sampler) problem(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
}

// sample looks at every replica's sink of every secret once.
func (s *sampler) sample() {
	all := s.w.statesOrNil()
	live := s.w.liveHosts()
	if all == nil || live == nil {
		return // the store did not answer: the next sample
	}
	now := time.Now()
	for _, r := range s.reps {
		s.mu.Lock()
		if !live[r.name] {
			s.expired[r.name] = true
		}
		excused, expired := s.excused[r.name], s.expired[r.name]
		s.mu.Unlock()
		for _, u := range s.w.users {
			st := all["/ha/"+u]
			if st == nil || st.Current() == nil {
				continue
			}
			k := s.w.sinkKeyOf(r.name, u).AccessKeyID
			if k != "" && live[r.name] && !expired {
				if _, ok := s.w.fake.KeyOwner(k); !ok && s.w.sinkKeyOf(r.name, u).AccessKeyID == k {
					// Its heartbeat may have expired since live was read
					// (the deletion is then allowed): ask again.
					if now := s.w.liveHosts(); now != nil && now[r.name] {
						s.problem("replica %s is live, but its sink of %s holds %s, which IAM no longer has", r.name, u, k)
					}
				}
			}
			if excused || st.Journal != nil || st.Current().N < 2 {
				continue
			}
			if v := st.ByKeyID(k); k != "" && (v == nil || v.N >= st.Current().N) {
				continue // current, or newer than the state read above
			}
			lag := now.Sub(st.LastRotation)
			s.mu.Lock()
			s.maxLag = max(s.maxLag, lag)
			s.mu.Unlock()
			if lag > soakLease+soakSlack {
				s.problem("replica %s's sink of %s holds %q, not the current key %s, %s after the rotation", r.name, u, k, st.Current().AccessKeyID, lag.Round(time.Millisecond))
			}
		}
	}
	s.mu.Lock()
	s.samples++
	s.mu.Unlock()
}

// statesOrNil is states, nil when the store cannot be read.
func (w *haWorld) statesOrNil() map[string]*state.Secret {
	st := w.store()
	defer st.Close()
	all, err := st.List(context.Background())
	if err != nil {
		return nil
	}
	out := map[string]*state.Secret{}
	for _, s := range all {
		out[s.Name] = s
	}
	return out
}

// liveHosts returns the replicas (by configured name) whose heartbeat has
// not expired; nil when the store cannot be read.
func (w *haWorld) liveHosts() map[string]bool {
	st := w.store()
	defer st.Close()
	reps, err := st.(state.Membership).Replicas(context.Background())
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, r := range reps {
		out[state.HostOf(r.Name)] = true
	}
	return out
}

// rotationsPerSecret counts each scheduled secret's finished rotations
// since from.
func (w *haWorld) rotationsPerSecret(from time.Time) map[string]int {
	out := map[string]int{}
	for _, u := range w.users {
		if u == "m000" {
			continue
		}
		for _, e := range w.events("/ha/" + u) {
			if e.Kind == "rotation.finished" && !e.Time.Before(from) {
				out[u]++
			}
		}
	}
	return out
}

// checkOncePerPeriod fails unless every scheduled secret rotated once per
// period since from, give or take one at either end.
func (w *haWorld) checkOncePerPeriod(t *testing.T, from time.Time) {
	t.Helper()
	periods := int(time.Since(from) / soakPeriod)
	for u, n := range w.rotationsPerSecret(from) {
		if n < periods-1 || n > periods+1 {
			t.Errorf("%s rotated %d times in %d periods", u, n, periods)
		}
	}
}

// useCLIOf points the world's CLI at replica name's configuration (its
// control socket).
func (w *haWorld) useCLIOf(name string) {
	w.cfg = filepath.Join(w.dir, name, "rotatord.yaml")
}

// TestReplicaSinksNeverHoldADeletedKey (issue 12, item 1): three replicas,
// 30 graceful secrets, soakPeriods periods: no live replica's sink ever
// holds a deleted key, every secret rotates once per period, and every
// replica's sink has the current key within a lease duration.
func TestReplicaSinksNeverHoldADeletedKey(t *testing.T) {
	t.Parallel()
	w := newSoakWorld(t, 30)
	reps := []*replica{w.startReplica("r0"), w.startReplica("r1"), w.startReplica("r2")}
	start := time.Now()
	s := watch(w, reps...)
	time.Sleep(time.Duration(soakPeriods(t)) * soakPeriod) // the soak's length, not a wait for an event
	s.finish(t)
	w.checkOncePerPeriod(t, start)
	for _, r := range reps {
		r.stop()
	}
}

// TestPausedReplicaHoldsRetirement (issue 12, item 2): a replica
// SIGSTOPped for three periods. While its heartbeat is live, a key its
// sinks hold is not retired (status names it); once the heartbeat expires,
// rotations go on; after SIGCONT it writes the current keys.
func TestPausedReplicaHoldsRetirement(t *testing.T) {
	t.Parallel()
	w := newSoakWorld(t, 30)
	reps := []*replica{w.startReplica("r0"), w.startReplica("r1"), w.startReplica("r2")}
	start := time.Now()
	s := watch(w, reps...)
	w.useCLIOf("r0")

	// m000 rotates by hand: once, and r2 writes its key.
	w.mustRun("rotate", "/ha/m000")
	b := w.states()["/ha/m000"].Current()
	w.waitSink("r2", "m000", b.AccessKeyID)
	w.waitAcked("/ha/m000", b.N, "r0", "r1", "r2")
	s.excuse("r2", true)
	reps[2].signal(syscall.SIGSTOP)
	stopped := time.Now()

	// Once more: that retires the key before b, which no sink holds.
	w.mustRun("rotate", "/ha/m000")
	c := w.states()["/ha/m000"].Current()
	w.waitAcked("/ha/m000", c.N, "r0", "r1")
	// Again: that would retire b, which r2's sink holds; r2 is paused but
	// its heartbeat lives, so the rotation waits, naming r2.
	_, errOut, code := w.run("rotate", "/ha/m000")
	if code == 0 || !strings.Contains(errOut, "waiting for replica r2#") {
		t.Errorf("rotate while r2 is paused with a live heartbeat: exit %d, want a refusal naming r2:\n%s", code, errOut)
	}
	if out := w.mustRun("status", "/ha/m000"); !strings.Contains(out, "waiting for replica r2#") {
		t.Errorf("status does not name r2:\n%s", out)
	}
	if _, ok := w.fake.KeyOwner(b.AccessKeyID); !ok {
		t.Errorf("key %s, which paused r2's sink holds, was deleted while r2's heartbeat lived", b.AccessKeyID)
	}

	// Three periods paused: its heartbeat (three lease durations) expires,
	// and the others' rotations go on.
	time.Sleep(3*soakPeriod - time.Since(stopped)) // the pause's length
	paused := w.rotationsPerSecret(stopped)
	for _, u := range w.users[:30] {
		if paused[u] < 2 {
			t.Errorf("%s rotated %d times while r2 was paused for three periods, want at least 2", u, paused[u])
		}
	}
	w.mustRun("rotate", "/ha/m000") // r2 no longer counts: goes on
	if st := w.states()["/ha/m000"]; st.Current().N <= c.N {
		t.Errorf("m000 did not rotate once r2's heartbeat expired: version %d", st.Current().N)
	}

	reps[2].signal(syscall.SIGCONT)
	all := w.states()
	for _, u := range w.users {
		w.waitSinkAtLeast("r2", u, all["/ha/"+u].Current().N)
	}
	s.excuse("r2", false)
	time.Sleep(2 * soakPeriod) // r2 back in the checked set for two more periods
	s.finish(t)
	w.checkOncePerPeriod(t, start)
	for _, r := range reps {
		r.stop()
	}
}

// TestKilledReplicaCatchesUpBeforeServing (issue 12, item 3): a replica
// SIGKILLed in the middle of its rotations; the others finish them, and
// when it starts again it has written every current key before it reports
// ready.
func TestKilledReplicaCatchesUpBeforeServing(t *testing.T) {
	t.Parallel()
	w := newSoakWorld(t, 30)
	// r2 starts first, so its schedule fires first each period: it takes
	// some secrets' leases and stops at the failpoint in each rotation.
	victim := w.startReplica("r2", "ROTATORD_FAILPOINT=promoted")
	reps := []*replica{w.startReplica("r0"), w.startReplica("r1")}
	start := time.Now()
	s := watch(w, reps...)
	victim.waitLog("failpoint promoted reached")
	victim.signal(syscall.SIGKILL)
	<-victim.exited
	killed := time.Now()

	// The others finish what r2 left open, and go on.
	time.Sleep(2 * soakPeriod)
	before := w.states()
	for _, u := range w.users[:30] {
		if st := before["/ha/"+u]; st.Journal != nil && st.Journal.Started.Before(killed) {
			t.Errorf("%s: the rotation r2 left open at %s is still open", u, st.Journal.Step)
		}
	}
	again := w.startReplica("r2") // returns once it reports ready
	held := map[string]string{}
	for _, u := range w.users {
		held[u] = w.sinkKeyOf("r2", u).AccessKeyID
	}
	// Read the state after the files: a key r2 wrote after it reported
	// ready (its first rotation) is then known too.
	after := w.states()
	for _, u := range w.users {
		st := before["/ha/"+u]
		if st == nil || st.Current() == nil || st.Current().N < 2 {
			continue // never rotated: no sink holds a key yet
		}
		v, k := st.Current(), held[u]
		if got := after["/ha/"+u].ByKeyID(k); got == nil || got.N < v.N {
			t.Errorf("r2 reported ready with %q in its sink of %s, older than the current key %s (version %d); r2 said of it:\n%s",
				k, u, v.AccessKeyID, v.N, linesAbout(again.logs(), "/ha/"+u))
		}
	}
	reps = append(reps, again)
	s2 := watch(w, again)
	time.Sleep(2 * soakPeriod) // r2 checked too for two more periods
	s2.finish(t)
	s.finish(t)
	w.checkOncePerPeriod(t, start)
	for _, r := range reps {
		r.stop()
	}
}

// waitAcked polls until each named replica's host acknowledged at least
// version n of secret.
func (w *haWorld) waitAcked(secret string, n int, hosts ...string) {
	w.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st := w.store()
		acks, err := st.(state.Acknowledger).Acks(context.Background(), secret)
		st.Close()
		if err != nil {
			w.t.Fatal(err)
		}
		got := map[string]int{}
		for _, a := range acks {
			got[a.Host] = a.Version
		}
		missing := ""
		for _, h := range hosts {
			if got[h] < n {
				missing += fmt.Sprintf(" %s (version %d)", h, got[h])
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s: version %d not acknowledged within a minute by%s", secret, n, missing)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitSinkAtLeast polls replica name's sink of u until it holds version
// n or a later one.
func (w *haWorld) waitSinkAtLeast(name, u string, n int) {
	w.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		k := w.sinkKeyOf(name, u).AccessKeyID
		if st := w.statesOrNil()["/ha/"+u]; st != nil {
			if v := st.ByKeyID(k); v != nil && v.N >= n {
				return
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("replica %s's sink of %s holds %q, not version %d or later, a minute after SIGCONT", name, u, k, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// linesAbout returns the log lines that name secret.
func linesAbout(logs, secret string) string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"`+secret+`"`) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
