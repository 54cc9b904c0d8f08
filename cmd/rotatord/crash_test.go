package main

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestCrashMatrix SIGKILLs a real `rotatord rotate` at every step boundary
// (including between CreateAccessKey's answer and its persistence), then
// runs it again: every case ends with the right keys in IAM, no orphan key,
// and a sink holding a working key. It runs on both state backends; on
// DynamoDB the rerun first waits for the killed process's lease to expire.
func TestCrashMatrix(t *testing.T) {
	for _, backend := range []string{"bbolt", "dynamodb"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			crashMatrix(t, backend == "dynamodb")
		})
	}
}

func crashMatrix(t *testing.T, dynamo bool) {
	points := []struct {
		name     string
		strict   bool // reached only in strict mode
		creates  int  // CreateAccessKey calls of the killed rotation and its resumption
		reusable bool // the rerun starts a new rotation: the killed one had finished
	}{
		{name: "begun", creates: 1},
		{name: "inspected", creates: 1},
		{name: "room-made", creates: 1},
		{name: "creating", creates: 1},
		{name: "created-unsaved", creates: 2}, // the key exists, its secret is lost: an orphan
		{name: "created", creates: 1},
		{name: "verified", creates: 1},
		{name: "delivered-one", creates: 1},
		{name: "delivered", creates: 1},
		{name: "promoted", creates: 1},
		{name: "retired-in-iam", strict: true, creates: 1},
		{name: "finished", creates: 2, reusable: true},
	}
	// On DynamoDB most of a case is waiting for the killed process's
	// lease to expire: the cases run at once, beyond -parallel (t.Run may
	// be called from several goroutines), a few at a time.
	var wg sync.WaitGroup
	slots := make(chan struct{}, 6)
	defer wg.Wait()
	for _, mode := range []string{"graceful", "strict"} {
		for _, p := range points {
			if p.strict && mode != "strict" {
				continue
			}
			run := func(name string, f func(t *testing.T)) {
				if !dynamo {
					t.Run(name, func(t *testing.T) { t.Parallel(); f(t) })
					return
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					slots <- struct{}{}
					defer func() { <-slots }()
					t.Run(name, f)
				}()
			}
			run(mode+"/"+p.name, func(t *testing.T) {
				w := newWorld(t, secretOpts{graceful: mode == "graceful", dynamo: dynamo})
				w.mustRun("rotate", "/team/app") // a first rotation, so graceful make-room deletes a key
				before := w.stored().Current().AccessKeyID

				w.killAt(p.name, "rotate", "/team/app")
				out := w.rotateWhenFree("/team/app")

				s := w.stored()
				if s.Journal != nil {
					t.Fatalf("journal still open at %s after the rerun:\n%s", s.Journal.Step, out)
				}
				cur := s.Current()
				if n := w.fake.Calls("CreateAccessKey"); n != 1+p.creates {
					t.Errorf("CreateAccessKey called %d times, want %d", n, 1+p.creates)
				}
				// The right keys in IAM, every one of them known to the store.
				var ids []string
				for _, k := range w.fake.Keys("app") {
					ids = append(ids, k.ID)
					if s.ByKeyID(k.ID) == nil {
						t.Errorf("orphan key %s in IAM: the store does not know it", k.ID)
					}
					if k.ID == cur.AccessKeyID && k.Status != string(types.StatusTypeActive) {
						t.Errorf("current key %s is %s", k.ID, k.Status)
					}
				}
				prev := before
				if p.reusable && mode == "graceful" {
					prev = s.Previous().AccessKeyID
				}
				want := []string{cur.AccessKeyID}
				if mode == "graceful" {
					want = []string{prev, cur.AccessKeyID}
				}
				slices.Sort(ids)
				slices.Sort(want)
				if !slices.Equal(ids, want) {
					t.Fatalf("IAM keys %v, want %v", ids, want)
				}
				// The sink holds the current key, and it works.
				sk := w.sinkKey()
				if sk.AccessKeyID != cur.AccessKeyID {
					t.Fatalf("sink holds %s, store's current is %s", sk.AccessKeyID, cur.AccessKeyID)
				}
				if arn, err := w.whoami(sk); err != nil || arn != w.fake.UserARN("app") {
					t.Fatalf("the sink's key does not work: %v %s", err, arn)
				}
			})
		}
	}
}

// TestRecoverAfterKill: `rotatord recover` finishes a rotation a SIGKILL
// left open, as the daemon will at start-up.
func TestRecoverAfterKill(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: false})
	w.killAt("verified", "rotate", "/team/app")
	if s := w.stored(); s.Journal == nil {
		t.Fatal("no open rotation after the kill")
	}
	out := w.mustRun("recover")
	if out != "resumed /team/app\n" {
		t.Errorf("recover printed %q", out)
	}
	s := w.stored()
	if s.Journal != nil {
		t.Fatalf("journal still open at %s", s.Journal.Step)
	}
	if ids := w.fake.Keys("app"); len(ids) != 1 || ids[0].ID != s.Current().AccessKeyID {
		t.Fatalf("IAM keys %v, want only %s", ids, s.Current().AccessKeyID)
	}
	if out := w.mustRun("recover"); out != "no open rotation\n" {
		t.Errorf("second recover printed %q", out)
	}
}

// rotateWhenFree runs `rotatord rotate NAME` until it does not find the
// secret's lease held (by a process the test killed: its lease expires
// within lease_duration), and fails the test if it fails otherwise.
func (w *world) rotateWhenFree(name string) string {
	w.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out, errOut, code := w.run("rotate", name)
		switch {
		case code == 0:
			return out
		case !strings.Contains(errOut, "another replica holds the lease") || time.Now().After(deadline):
			w.t.Fatalf("rotatord rotate %s exited %d:\n%s%s", name, code, out, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
