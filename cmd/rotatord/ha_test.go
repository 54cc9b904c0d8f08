package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/state"
)

// TestReplicasRotateEachSecretOnce: three `rotatord run` processes share
// one table, and 100 secrets fall due at once. Each secret is rotated
// exactly once (100 CreateAccessKey calls, and every user has a new
// key), the work is shared, each replica's own file sinks end up with the
// current key, and no raw item holds a secret in clear.
func TestReplicasRotateEachSecretOnce(t *testing.T) {
	const n = 100
	w := newHAWorld(t, n)
	start := time.Now()
	var reps []*replica
	for _, name := range []string{"r0", "r1", "r2"} {
		reps = append(reps, w.startReplica(name))
	}
	all := w.waitRotated(2 * time.Minute)
	took := time.Since(start)

	if got := w.fake.Calls("CreateAccessKey"); got != n {
		t.Errorf("CreateAccessKey called %d times for %d secrets, want exactly one each", got, n)
	}
	w.checkIAM(all)
	total := 0
	for _, r := range reps {
		did := r.count("rotation finished")
		total += did
		if did == 0 {
			t.Errorf("replica %s rotated nothing: the work is not shared", r.name)
		}
		t.Logf("replica %s finished %d rotations", r.name, did)
	}
	if total != n {
		t.Errorf("the replicas finished %d rotations, want %d", total, n)
	}
	t.Logf("%d secrets rotated by 3 replicas in %s", n, took.Round(time.Millisecond))
	if d := os.Getenv("HA_DUMP"); d != "" {
		for _, r := range reps {
			_ = os.WriteFile(filepath.Join(d, r.name+".log"), []byte(r.logs()), 0o600)
		}
	}

	// The replicas that lost a secret's lease look again when it ends,
	// find it rotated, and write its key to their own sinks.
	for _, r := range reps {
		for _, u := range w.users {
			w.waitSink(r.name, u, all["/ha/"+u].Current().AccessKeyID)
		}
	}
	// A replica that finds a secret rotated by another counts it; one
	// that started after the rotation only refreshed its sinks.
	// Its own sinks may be current (it looks for that every quarter lease)
	// before its job that lost the lease has looked again: wait for the
	// count and the log to agree while nothing changes.
	elsewhere := 0.0
	for _, r := range reps {
		series := `rotatord_lease_outcomes_total{outcome="rotated_elsewhere"}`
		deadline := time.Now().Add(time.Minute)
		for {
			got := r.metric(series)
			logged := r.count("another replica rotated this secret; skipped")
			if got == float64(logged) && r.metric(series) == got {
				elsewhere += got
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("replica %s: rotated_elsewhere is %v, but it logged %d such skips", r.name, got, logged)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if elsewhere == 0 || elsewhere > 2*n {
		t.Errorf("rotated_elsewhere sums to %v over the replicas, want 1..%d", elsewhere, 2*n)
	}
	for _, r := range reps {
		r.stop()
	}
	if got := w.fake.Calls("CreateAccessKey"); got != n {
		t.Errorf("after the replicas looked again: CreateAccessKey called %d times, want %d", got, n)
	}
	w.checkRawItems(w.states())
}

// TestKilledHolderIsFinishedByAnother: the replica holding a secret's
// lease is SIGKILLed in the middle of its rotation; once the lease
// expires, another replica finishes (or undoes) that rotation. No orphan
// key is left, and the surviving replica's sink holds a working key.
func TestKilledHolderIsFinishedByAnother(t *testing.T) {
	for _, point := range []string{"creating", "created-unsaved", "verified", "promoted"} {
		t.Run(point, func(t *testing.T) {
			t.Parallel()
			w := newHAWorld(t, 1)
			holder := w.startReplica("r0", "ROTATORD_FAILPOINT="+point)
			holder.waitLog("failpoint " + point + " reached")
			other := w.startReplica("r1")
			if point == "verified" {
				w.askWhileHeld()
			}
			holder.signal(syscall.SIGKILL)
			<-holder.exited

			all := w.waitRotated(time.Minute)
			w.checkIAM(all)
			s := all["/ha/u000"]
			k := w.waitSink("r1", "u000", s.Current().AccessKeyID)
			if arn, err := w.whoami(k); err != nil || arn != w.fake.UserARN("u000") {
				t.Fatalf("r1's sink key does not work: %v %s", err, arn)
			}
			if other.count("resuming open rotation") != 1 {
				t.Errorf("r1 did not resume the open rotation:\n%s", other.logs())
			}
			other.stop()
		})
	}
}

// TestPausedHolderIsFenced: the lease holder is SIGSTOPped while its
// CreateAccessKey is on the wire, past its lease; another replica takes
// the secret over and finishes the rotation. SIGCONT: the paused replica
// gets its new key, but its record of it is refused (the fencing
// condition fails), so it deletes that key and says so in its log. The
// store holds the other replica's rotation only, and IAM only its key.
func TestPausedHolderIsFenced(t *testing.T) {
	w := newHAWorld(t, 1)
	hold := w.fake.Hold("CreateAccessKey")
	paused := w.startReplica("r0")
	select {
	case <-hold.Reached():
	case <-time.After(time.Minute):
		t.Fatal("r0 did not call CreateAccessKey within a minute")
	}
	paused.signal(syscall.SIGSTOP)
	other := w.startReplica("r1")
	all := w.waitRotated(time.Minute)
	winner := all["/ha/u000"]
	hold.Release()
	<-hold.Done() // r0's key now exists in IAM; r0 has not seen it yet

	before := w.events("/ha/u000")
	paused.signal(syscall.SIGCONT)
	paused.waitLog("the lease passed to another replica; the write was refused")
	deadline := time.Now().Add(time.Minute)
	for len(w.fake.Keys("u000")) != 1 { // r0 deletes the key it could not record
		if time.Now().After(deadline) {
			t.Fatalf("r0's key was not deleted: %v\n%s", w.fake.Keys("u000"), paused.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The job counts its outcome once it has returned, just after the
	// deletion the loop above saw.
	for got := paused.metric(`rotatord_lease_outcomes_total{outcome="lost"}`); got != 1; got = paused.metric(`rotatord_lease_outcomes_total{outcome="lost"}`) {
		if time.Now().After(deadline) {
			t.Fatalf("r0's rotatord_lease_outcomes_total{outcome=\"lost\"} is %v, want 1", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	paused.stop()
	other.stop()

	after := w.states()["/ha/u000"]
	if after.Current().AccessKeyID != winner.Current().AccessKeyID || len(after.Versions) != len(winner.Versions) || after.Journal != nil {
		t.Errorf("the store changed after r0 resumed: current %s (was %s), %d versions (was %d), journal %v",
			after.Current().AccessKeyID, winner.Current().AccessKeyID, len(after.Versions), len(winner.Versions), after.Journal)
	}
	if got := w.events("/ha/u000"); len(got) != len(before) {
		t.Errorf("r0 wrote %d audit events after it was fenced", len(got)-len(before))
	}
	w.checkIAM(map[string]*state.Secret{"/ha/u000": after})
	if n := w.fake.Calls("CreateAccessKey"); n != 2 {
		t.Errorf("CreateAccessKey called %d times, want 2 (r0's, deleted, and r1's)", n)
	}
}

// TestReplicasSpeedup measures what sharing the work buys: 100 secrets,
// due at once (their state says they were last rotated 60 days ago), with
// 50 ms of latency on every IAM and STS call, rotated by one replica and
// then, in a fresh world, by three. It is a measurement, not a CI check:
// it runs only with ROTATORD_HA_SPEEDUP=1, and reports the times.
//
//	ROTATORD_HA_SPEEDUP=1 go test ./cmd/rotatord -run TestReplicasSpeedup -v
func TestReplicasSpeedup(t *testing.T) {
	if os.Getenv("ROTATORD_HA_SPEEDUP") == "" {
		t.Skip("a measurement: set ROTATORD_HA_SPEEDUP=1 to run it")
	}
	const n = 100
	took := map[int]time.Duration{}
	for _, replicas := range []int{1, 3} {
		w := newHAWorld(t, n)
		w.dueNow()
		for _, a := range []string{"ListAccessKeys", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "GetUser", "GetCallerIdentity"} {
			w.fake.SetLatency(a, 50*time.Millisecond)
		}
		start := time.Now()
		var reps []*replica
		for i := range replicas {
			reps = append(reps, w.startReplica(fmt.Sprintf("r%d", i)))
		}
		w.waitRotated(5 * time.Minute)
		took[replicas] = time.Since(start)
		if got := w.fake.Calls("CreateAccessKey"); got != n {
			t.Errorf("%d replicas: CreateAccessKey called %d times, want %d", replicas, got, n)
		}
		for _, r := range reps {
			t.Logf("%d replicas: %s finished %d rotations", replicas, r.name, r.count("rotation finished"))
			r.stop()
		}
		t.Logf("%d replicas: %d secrets rotated in %s", replicas, n, took[replicas].Round(time.Millisecond))
	}
	t.Logf("3 replicas took %.2f of the time one took", took[3].Seconds()/took[1].Seconds())
}
