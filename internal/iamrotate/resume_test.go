package iamrotate

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/state"
)

// stoppingStore cancels the rotation's context right after the commit that
// reaches step `at` ("closed" for the final commit), the way a SIGTERM or a
// crash would stop the process between two steps.
type stoppingStore struct {
	*state.Bolt
	at     state.Step
	cancel context.CancelFunc
	once   *sync.Once
}

func (s stoppingStore) Update(ctx context.Context, name string, fn func(tx *state.Tx) error) error {
	var reached state.Step
	err := s.Bolt.Update(ctx, name, func(tx *state.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		reached = "closed"
		if j := tx.Secret.Journal; j != nil {
			reached = j.Step
		}
		return nil
	})
	if err == nil && reached == s.at {
		s.once.Do(s.cancel)
	}
	return err
}

// TestResumeAfterStopAtEachStep stops a rotation after each commit,
// then rotates again: the open rotation is finished with the right keys in
// IAM, exactly one CreateAccessKey, and a sink holding a working key.
func TestResumeAfterStopAtEachStep(t *testing.T) {
	// The steps that get a commit of their own: those after which
	// something happens in IAM (a key deleted, created or retired). The
	// others (begun, inspected, verified, delivered, a graceful promotion)
	// ride on the next commit, and the crash matrix kills the process there.
	steps := map[bool][]state.Step{
		true:  {state.StepRoomMade, state.StepCreating, state.StepCreated, "closed"},
		false: {state.StepCreating, state.StepCreated, state.StepPromoted, "closed"},
	}
	for _, graceful := range []bool{true, false} {
		for _, at := range steps[graceful] {
			name := map[bool]string{true: "graceful", false: "strict"}[graceful] + "/" + string(at)
			t.Run(name, func(t *testing.T) {
				e := newEnv(t)
				spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.GraceRotation = graceful }))
				first := e.mustRotate(spec) // so that make-room has a previous key to delete when graceful

				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				stopping := New(stoppingStore{Bolt: e.store, at: at, cancel: cancel, once: &sync.Once{}}, e.rot.opts)
				stopped, err := stopping.Rotate(ctx, spec, true)
				old := first.NewKeyID
				if at == "closed" {
					if err != nil {
						t.Fatalf("run stopped after its last commit: %v", err)
					}
					old = stopped.NewKeyID
				} else if !errors.Is(err, context.Canceled) {
					t.Fatalf("stopped run: got %v, want context.Canceled", err)
				}
				e.remember(e.currentValues("/team/app")...)

				res, err := e.rotate(spec)
				if err != nil {
					t.Fatalf("resume: %v", err)
				}
				if at != "closed" && !res.Resumed {
					t.Fatalf("resume did not continue the open rotation")
				}
				e.checkAfterRotation(graceful, old, res.NewKeyID)
				if at == "closed" {
					if n := e.fake.Calls("CreateAccessKey"); n != 3 {
						t.Errorf("CreateAccessKey called %d times, want 3 (a complete rotation, then another)", n)
					}
				} else if n := e.fake.Calls("CreateAccessKey"); n != 2 {
					t.Errorf("CreateAccessKey called %d times, want 2", n)
				}
			})
		}
	}
}

// TestResumeAfterStopDuringCreate: the process stops while CreateAccessKey
// is in flight and IAM creates the key anyway; the next run deletes that
// orphan and creates one key of its own.
func TestResumeAfterStopDuringCreate(t *testing.T) {
	e := newEnv(t)
	spec := e.spec(e.secretConfig())
	hold := e.fake.Hold("CreateAccessKey")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := e.rot.Rotate(ctx, spec, true); done <- err }()
	<-hold.Reached()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: got %v, want context.Canceled", err)
	}
	hold.Release()
	<-hold.Done()
	if n := len(e.fake.Keys("app")); n != 2 {
		t.Fatalf("IAM holds %d keys after the lost create, want 2 (current and orphan)", n)
	}
	res := e.mustRotate(spec)
	e.checkAfterRotation(true, e.app.AccessKeyID, res.NewKeyID)
	if !slices.Contains(e.history("/team/app"), "orphan.deleted") {
		t.Errorf("no orphan.deleted event in %v", e.history("/team/app"))
	}
}

// checkAfterRotation asserts the end state of a finished rotation from key
// old to key new.
func (e *env) checkAfterRotation(graceful bool, old, new string) {
	e.t.Helper()
	want := []string{new}
	if graceful {
		want = []string{old, new}
	}
	got := e.keyIDs("app")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		e.t.Fatalf("IAM keys %v, want %v", got, want)
	}
	st := e.state("/team/app")
	if st.Journal != nil || st.Current().AccessKeyID != new {
		e.t.Fatalf("journal %+v current %s, want closed at %s", st.Journal, st.Current().AccessKeyID, new)
	}
	sk := e.sinkKey("app")
	if sk.AccessKeyID != new {
		e.t.Fatalf("sink holds %s, want %s", sk.AccessKeyID, new)
	}
	e.wantWorks(sk.AccessKeyID, sk.SecretAccessKey, "app")
}

func (e *env) currentValues(name string) []string {
	st, err := e.store.Get(context.Background(), name)
	if err != nil {
		return nil
	}
	var out []string
	for _, v := range st.Versions {
		out = append(out, v.Value.Reveal())
	}
	return out
}
