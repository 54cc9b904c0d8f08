package main

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestCrashMatrix SIGKILLs a real `rotatord rotate` at every step boundary
// (including between CreateAccessKey's answer and its persistence), then
// runs it again: every case ends with the right keys in IAM, no orphan key,
// and a sink holding a working key.
func TestCrashMatrix(t *testing.T) {
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
	for _, mode := range []string{"graceful", "strict"} {
		for _, p := range points {
			if p.strict && mode != "strict" {
				continue
			}
			t.Run(mode+"/"+p.name, func(t *testing.T) {
				t.Parallel()
				w := newWorld(t, secretOpts{graceful: mode == "graceful"})
				w.mustRun("rotate", "/team/app") // a first rotation, so graceful make-room deletes a key
				before := w.stored().Current().AccessKeyID

				w.killAt(p.name, "rotate", "/team/app")
				out := w.mustRun("rotate", "/team/app")

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
