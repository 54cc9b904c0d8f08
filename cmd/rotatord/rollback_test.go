package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestRollbackCommand: `rotatord rollback` after a graceful rotation, in
// this process and through a running daemon: the sink holds the previous
// key again, it authenticates, the newer key still does, and history shows
// the rotation and the rollback with its reason. After a strict rotation
// with retire: delete it is refused with the reason, exit 1, nothing
// changed.
func TestRollbackCommand(t *testing.T) {
	for _, via := range []string{"offline", "daemon"} {
		t.Run(via, func(t *testing.T) {
			w := newWorld(t, secretOpts{graceful: true})
			if via == "daemon" {
				w.replaceConfig(w.runSettings("3s"))
				p := w.startDaemon()
				defer p.term()
			}
			w.mustRun("rotate", "/team/app")
			newer := w.sinkKey()
			out := w.mustRun("rollback", "/team/app", "--reason", "billing job rejects the new key")
			if want := fmt.Sprintf("rolled back /team/app: %s -> %s (version 1)\n", newer.AccessKeyID, w.app.AccessKeyID); out != want {
				t.Errorf("printed %q, want %q", out, want)
			}
			if sk := w.sinkKey(); sk.AccessKeyID != w.app.AccessKeyID || sk.SecretAccessKey != w.app.SecretAccessKey {
				t.Fatalf("sink holds %s, want the previous key %s", sk.AccessKeyID, w.app.AccessKeyID)
			}
			for _, k := range []aws.Credentials{w.app, newer} {
				if arn, err := w.whoami(k); err != nil || arn != w.fake.UserARN("app") {
					t.Fatalf("key %s does not authenticate after the rollback: %v %s", k.AccessKeyID, err, arn)
				}
			}
			hist := w.mustRun("history", "/team/app")
			for _, s := range []string{"rotation.finished", "rollback.started", "rollback.succeeded", "billing job rejects the new key"} {
				if !strings.Contains(hist, s) {
					t.Errorf("history lacks %q:\n%s", s, hist)
				}
			}
		})
	}
	t.Run("strict delete", func(t *testing.T) {
		w := newWorld(t, secretOpts{graceful: false})
		w.mustRun("rotate", "/team/app")
		cur := w.sinkKey()
		out, errOut, code := w.run("rollback", "/team/app")
		if code != exitFailed || !strings.Contains(errOut, "deleted in IAM (retire: delete)") || !strings.Contains(errOut, "rotatord rotate /team/app") {
			t.Fatalf("exit %d, want 1 saying the previous key was deleted and to rotate instead:\n%s%s", code, out, errOut)
		}
		if sk := w.sinkKey(); sk.AccessKeyID != cur.AccessKeyID {
			t.Errorf("sink changed by a refused rollback: %s, want %s", sk.AccessKeyID, cur.AccessKeyID)
		}
		if hist := w.mustRun("history", "/team/app"); !strings.Contains(hist, "rollback.refused") {
			t.Errorf("history lacks the refusal:\n%s", hist)
		}
	})
}

// TestRollbackCrashMatrix SIGKILLs a real `rotatord rollback` at each of
// its steps (reinstating the previous key, reactivating it, then the
// rotation's delivery, promotion and finish), then runs it again: the
// rollback ends with the previous key current, in the sink and working,
// the newer key still valid as the previous one, no new key created, on
// both state backends.
func TestRollbackCrashMatrix(t *testing.T) {
	for _, backend := range []string{"bbolt", "dynamodb"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			rollbackCrashMatrix(t, backend == "dynamodb")
		})
	}
}

func rollbackCrashMatrix(t *testing.T, dynamo bool) {
	points := []struct {
		name     string
		inactive bool // strict with retire: deactivate: the old key is inactive
		done     bool // the killed rollback had finished
	}{
		{name: "rollback-begun"},
		{name: "reactivated", inactive: true},
		{name: "reinstated"},
		{name: "reinstated", inactive: true},
		{name: "delivered-one"},
		{name: "delivered"},
		{name: "promoted"},
		{name: "finished", done: true},
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4)
	defer wg.Wait()
	for _, p := range points {
		name := p.name
		if p.inactive {
			name += "/inactive"
		}
		f := func(t *testing.T) {
			extra := ""
			if p.inactive {
				extra = "    retire: deactivate\n"
			}
			// inactive: a strict rotation with retire: deactivate leaves
			// the old key inactive in IAM and its version Inactive.
			w := newWorld(t, secretOpts{graceful: !p.inactive, dynamo: dynamo, extra: extra})
			w.mustRun("rotate", "/team/app")
			newer := w.sinkKey()
			w.killAt(p.name, "rollback", "/team/app")
			if !p.done {
				out := w.runWhenFree("rollback", "/team/app")
				if !strings.HasPrefix(out, "finished the open rollback of /team/app") {
					t.Errorf("rerun printed %q, want it to finish the open rollback", out)
				}
			}
			s := w.stored()
			if s.Journal != nil {
				t.Fatalf("journal still open at %s after the rerun", s.Journal.Step)
			}
			cur, prev := s.Current(), s.Previous()
			if cur.AccessKeyID != w.app.AccessKeyID || prev == nil || prev.AccessKeyID != newer.AccessKeyID {
				t.Fatalf("store: current %s, previous %v; want %s then %s", cur.AccessKeyID, prev, w.app.AccessKeyID, newer.AccessKeyID)
			}
			if n := w.fake.Calls("CreateAccessKey"); n != 1 {
				t.Errorf("CreateAccessKey called %d times, want 1 (the rotation's)", n)
			}
			var ids []string
			for _, k := range w.fake.Keys("app") {
				ids = append(ids, k.ID)
				if k.Status != string(types.StatusTypeActive) {
					t.Errorf("key %s is %s after the rollback", k.ID, k.Status)
				}
			}
			want := []string{w.app.AccessKeyID, newer.AccessKeyID}
			slices.Sort(ids)
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Fatalf("IAM keys %v, want %v", ids, want)
			}
			if sk := w.sinkKey(); sk.AccessKeyID != w.app.AccessKeyID {
				t.Fatalf("sink holds %s, want %s", sk.AccessKeyID, w.app.AccessKeyID)
			}
			for _, k := range []aws.Credentials{w.app, newer} {
				if arn, err := w.whoami(k); err != nil || arn != w.fake.UserARN("app") {
					t.Fatalf("key %s does not authenticate: %v %s", k.AccessKeyID, err, arn)
				}
			}
		}
		if !dynamo {
			t.Run(name, func(t *testing.T) { t.Parallel(); f(t) })
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			t.Run(name, f)
		}()
	}
}

// runWhenFree runs rotatord with args until it does not find the secret's
// lease held by a killed process (it expires within lease_duration), and
// fails the test if it fails otherwise.
func (w *world) runWhenFree(args ...string) string {
	w.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out, errOut, code := w.run(args...)
		switch {
		case code == 0:
			return out
		case !strings.Contains(errOut, "another replica holds the lease") || time.Now().After(deadline):
			w.t.Fatalf("rotatord %v exited %d:\n%s%s", args, code, out, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
