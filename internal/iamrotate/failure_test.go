package iamrotate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/state"
)

// TestUnknownSecondKey: a key rotatord never issued blocks the rotation with
// an error naming it, and nothing is deleted; adopt_unknown_keys lets
// rotatord delete it.
func TestUnknownSecondKey(t *testing.T) {
	e := newEnv(t)
	extra, err := e.fake.AddKey("app")
	if err != nil {
		t.Fatal(err)
	}
	before := e.keyIDs("app")
	spec := e.spec(e.secretConfig())
	_, err = e.rotate(spec)
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), extra.AccessKeyID) {
		t.Fatalf("got %v, want ErrUnknownKey naming %s", err, extra.AccessKeyID)
	}
	if got := e.keyIDs("app"); !slices.Equal(got, before) {
		t.Fatalf("IAM keys %v after the failure, want them untouched: %v", got, before)
	}
	if n := e.fake.Calls("CreateAccessKey") + e.fake.Calls("DeleteAccessKey"); n != 0 {
		t.Fatalf("%d create/delete calls, want none", n)
	}
	st := e.state("/team/app")
	if st.Journal != nil || !strings.Contains(st.LastError, extra.AccessKeyID) {
		t.Fatalf("journal %v, last error %q: want the rotation closed and the error recorded", st.Journal, st.LastError)
	}
	e.wantWorks(extra.AccessKeyID, extra.SecretAccessKey, "app")

	spec.Config.AdoptUnknownKeys = true
	res := e.mustRotate(spec)
	if got := e.keyIDs("app"); !slices.Equal(got, []string{e.app.AccessKeyID, res.NewKeyID}) {
		t.Fatalf("with adopt_unknown_keys: IAM keys %v, want [%s %s]", got, e.app.AccessKeyID, res.NewKeyID)
	}
	e.wantRejected(extra.AccessKeyID, extra.SecretAccessKey)
}

// TestVerifyWaitsForPropagation: a key valid only 5 s after creation
// verifies after retries.
func TestVerifyWaitsForPropagation(t *testing.T) {
	e := newEnv(t)
	e.fake.SetKeyDelay(5 * time.Second)
	start := e.clock.Now()
	res := e.mustRotate(e.spec(e.secretConfig()))
	if waited := e.clock.Now().Sub(start) - time.Hour; waited < 5*time.Second {
		t.Errorf("verified after %s, before the key was valid", waited)
	}
	if n := e.fake.Calls("GetCallerIdentity"); n < 3 {
		t.Errorf("GetCallerIdentity called %d times, want retries", n)
	}
	got := e.sinkKey("app")
	if got.AccessKeyID != res.NewKeyID {
		t.Fatalf("sink holds %s, want %s", got.AccessKeyID, res.NewKeyID)
	}
}

// TestVerifyNeverValid: a key that never becomes valid is deleted, the
// current key keeps working, the sink is not touched, the error says why.
func TestVerifyNeverValid(t *testing.T) {
	e := newEnv(t)
	e.fake.SetKeyDelay(-1)
	spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.VerifyTimeout = config.Duration(20 * time.Second) }))
	_, err := e.rotate(spec)
	if !errors.Is(err, ErrVerify) {
		t.Fatalf("got %v, want ErrVerify", err)
	}
	for _, want := range []string{"InvalidClientTokenId", "was deleted", e.app.AccessKeyID + " stays in use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if got := e.keyIDs("app"); !slices.Equal(got, []string{e.app.AccessKeyID}) {
		t.Fatalf("IAM keys %v, want only the current %s", got, e.app.AccessKeyID)
	}
	e.wantWorks(e.app.AccessKeyID, e.app.SecretAccessKey, "app")
	if _, err := os.Stat(e.sink); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sink written although the key never verified: %v", err)
	}
	st := e.state("/team/app")
	if st.Journal != nil || st.Current().AccessKeyID != e.app.AccessKeyID {
		t.Fatalf("journal %v current %s: want closed, current unchanged", st.Journal, st.Current().AccessKeyID)
	}
	// A later rotation, once keys propagate again, works.
	e.fake.SetKeyDelay(0)
	e.mustRotate(spec)
}

// TestLostCreateAnswer: IAM creates the key but the answer is a 500 or a
// dropped connection: the rotation ends with exactly one new key, the one
// whose secret the store holds; the lost one is deleted.
func TestLostCreateAnswer(t *testing.T) {
	for _, tt := range []struct {
		name   string
		fault  awsfake.Fault
		orphan bool
	}{
		{"500 after create", awsfake.ServiceFailure.AfterEffect(), true},
		{"drop after create", awsfake.Drop.AfterEffect(), true},
		{"500 before create", awsfake.ServiceFailure, false},
		{"drop before create", awsfake.Drop, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.FailNext("CreateAccessKey", 1, tt.fault)
			res := e.mustRotate(e.spec(e.secretConfig()))
			if n := e.fake.Calls("CreateAccessKey"); n != 2 {
				t.Fatalf("CreateAccessKey called %d times, want 2", n)
			}
			if got := e.keyIDs("app"); !slices.Equal(got, []string{e.app.AccessKeyID, res.NewKeyID}) {
				t.Fatalf("IAM keys %v, want the old %s and the stored new %s", got, e.app.AccessKeyID, res.NewKeyID)
			}
			got := e.sinkKey("app")
			e.wantWorks(got.AccessKeyID, got.SecretAccessKey, "app")
			events := e.history("/team/app")
			if has := slices.Contains(events, "orphan.deleted"); has != tt.orphan {
				t.Errorf("orphan.deleted in history = %v, want %v (%v)", has, tt.orphan, events)
			}
		})
	}
	t.Run("lost twice", func(t *testing.T) {
		e := newEnv(t)
		e.fake.FailNext("CreateAccessKey", 2, awsfake.ServiceFailure.AfterEffect())
		_, err := e.rotate(e.spec(e.secretConfig()))
		if err == nil || !strings.Contains(err.Error(), "no new key is left") {
			t.Fatalf("got %v, want a failure saying no key is left", err)
		}
		if got := e.keyIDs("app"); !slices.Equal(got, []string{e.app.AccessKeyID}) {
			t.Fatalf("IAM keys %v, want only %s", got, e.app.AccessKeyID)
		}
		if st := e.state("/team/app"); st.Journal != nil {
			t.Fatalf("journal left open at %s", st.Journal.Step)
		}
	})
}

// TestThrottling: throttled IAM calls back off and retry, including
// CreateAccessKey, which is refused before it does anything.
func TestThrottling(t *testing.T) {
	e := newEnv(t)
	e.fake.FailNext("ListAccessKeys", 2, awsfake.Throttling)
	e.fake.FailNext("CreateAccessKey", 2, awsfake.Throttling)
	e.fake.FailNext("GetCallerIdentity", 3, awsfake.Throttling) // whoAmI (SDK retries) and verify (ours)
	res := e.mustRotate(e.spec(e.secretConfig()))
	if got := e.keyIDs("app"); !slices.Equal(got, []string{e.app.AccessKeyID, res.NewKeyID}) {
		t.Fatalf("IAM keys %v", got)
	}
	if n := e.fake.Calls("CreateAccessKey"); n != 3 {
		t.Errorf("CreateAccessKey called %d times, want 3 (two throttled)", n)
	}
}

// failingStore makes the commit of one step fail, as a full disk would.
type failingStore struct {
	*state.Bolt
	failAt state.Step
}

func (s failingStore) Update(ctx context.Context, name string, fn func(tx *state.Tx) error) error {
	return s.Bolt.Update(ctx, name, func(tx *state.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if j := tx.Secret.Journal; j != nil && j.Step == s.failAt {
			return errors.New("no space left on device")
		}
		return nil
	})
}

// TestPersistFailureDeletesNewKey: if the new key cannot be stored, it is
// deleted in IAM rather than left with its secret lost.
func TestPersistFailureDeletesNewKey(t *testing.T) {
	e := newEnv(t)
	e.rot = New(failingStore{Bolt: e.store, failAt: state.StepCreated}, e.rot.opts)
	_, err := e.rotate(e.spec(e.secretConfig()))
	if err == nil || !strings.Contains(err.Error(), "was deleted in IAM") {
		t.Fatalf("got %v, want a persist failure whose key was deleted", err)
	}
	if got := e.keyIDs("app"); !slices.Equal(got, []string{e.app.AccessKeyID}) {
		t.Fatalf("IAM keys %v, want only %s", got, e.app.AccessKeyID)
	}
}

// TestDeliveryPending: while a sink cannot take the new key the rotation
// stays open, both keys stay valid (strict mode included), and the next
// Rotate completes the delivery and the rotation.
func TestDeliveryPending(t *testing.T) {
	for _, graceful := range []bool{true, false} {
		t.Run(map[bool]string{true: "graceful", false: "strict"}[graceful], func(t *testing.T) {
			e := newEnv(t)
			e.sink = filepath.Join(e.dir, "not-yet", "credentials")
			spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.GraceRotation = graceful }))
			_, err := e.rotate(spec)
			if !errors.Is(err, ErrDeliveryPending) {
				t.Fatalf("got %v, want ErrDeliveryPending", err)
			}
			st := e.state("/team/app")
			if st.Journal == nil || st.Journal.Step != state.StepDelivering {
				t.Fatalf("journal %+v, want open at delivering", st.Journal)
			}
			p := st.Pending()
			e.wantWorks(e.app.AccessKeyID, e.app.SecretAccessKey, "app")
			e.wantWorks(p.AccessKeyID, p.Value.Reveal(), "app")
			_, err = e.rotate(spec) // the sink is still missing
			if !errors.Is(err, ErrDeliveryPending) {
				t.Fatalf("second try: got %v, want ErrDeliveryPending", err)
			}
			e.wantWorks(e.app.AccessKeyID, e.app.SecretAccessKey, "app")

			if err := os.Mkdir(filepath.Dir(e.sink), 0o700); err != nil {
				t.Fatal(err)
			}
			res := e.mustRotate(spec)
			if !res.Resumed || res.NewKeyID != p.AccessKeyID {
				t.Fatalf("result %+v, want the open rotation of %s resumed", res, p.AccessKeyID)
			}
			got := e.sinkKey("app")
			if got.AccessKeyID != p.AccessKeyID {
				t.Fatalf("sink holds %s, want %s", got.AccessKeyID, p.AccessKeyID)
			}
			if graceful {
				e.wantWorks(e.app.AccessKeyID, e.app.SecretAccessKey, "app")
			} else {
				e.wantRejected(e.app.AccessKeyID, e.app.SecretAccessKey)
			}
			if n := e.fake.Calls("CreateAccessKey"); n != 1 {
				t.Errorf("CreateAccessKey called %d times, want 1", n)
			}
		})
	}
}

// history lists the kinds of a secret's audit events.
func (e *env) history(name string) []string {
	e.t.Helper()
	evs, err := e.store.History(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	return kinds
}

// TestDrift: the current key deleted outside rotatord. Signed by the target,
// the rotation reports the drift and repairs it with a new key; signed by
// that very key, it fails and says how to recover.
func TestDrift(t *testing.T) {
	t.Run(config.UseTargetCreds, func(t *testing.T) {
		e := newEnv(t)
		spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) {
			c.AuthenticationCredentials, c.UserName = config.UseTargetCreds, "app"
		}))
		if err := e.fake.DeleteKey(e.app.AccessKeyID); err != nil {
			t.Fatal(err)
		}
		res := e.mustRotate(spec)
		if got := e.keyIDs("app"); !slices.Equal(got, []string{res.NewKeyID}) {
			t.Fatalf("IAM keys %v, want only the new %s", got, res.NewKeyID)
		}
		if !slices.Contains(e.history("/team/app"), "drift.detected") {
			t.Errorf("no drift.detected event: %v", e.history("/team/app"))
		}
		got := e.sinkKey("app")
		e.wantWorks(got.AccessKeyID, got.SecretAccessKey, "app")
	})
	t.Run(config.UseUserCreds, func(t *testing.T) {
		e := newEnv(t)
		if err := e.fake.DeleteKey(e.app.AccessKeyID); err != nil {
			t.Fatal(err)
		}
		_, err := e.rotate(e.spec(e.secretConfig()))
		for _, want := range []string{"InvalidClientTokenId", "AWS rejects the current key " + e.app.AccessKeyID, "use-target-creds"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v, want it to say %q", err, want)
			}
		}
		if n := e.fake.Calls("CreateAccessKey"); n != 0 {
			t.Errorf("CreateAccessKey called %d times, want 0", n)
		}
	})
}
