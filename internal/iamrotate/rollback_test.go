package iamrotate

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
	"github.com/rotatord/rotatord/internal/awsfake/smfake"
	"github.com/rotatord/rotatord/internal/sink/file"
	"github.com/rotatord/rotatord/internal/sink/secretsmanager"
	"github.com/rotatord/rotatord/internal/state"
)

// rollback runs one rollback an hour later and records its error.
func (e *env) rollback(s Spec, reason string) (*Result, error) {
	_ = e.clock.Sleep(context.Background(), time.Hour)
	res, err := e.rot.Rollback(context.Background(), s, reason)
	if err != nil {
		e.errors = append(e.errors, err.Error())
	}
	return res, err
}

// kinds lists the secret's audit event kinds, oldest first.
func (e *env) kinds(name string) []string {
	e.t.Helper()
	evs, err := e.store.History(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Kind)
	}
	return out
}

// setStatus sets a key's status in IAM as an operator would.
func (e *env) setStatus(user, id string, st types.StatusType) {
	e.t.Helper()
	_, err := awstest.IAM(e.url, e.admin).UpdateAccessKey(context.Background(), &iam.UpdateAccessKeyInput{
		UserName: aws.String(user), AccessKeyId: aws.String(id), Status: st,
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestRollbackGraceful rolls a graceful rotation back, in both
// authentication modes: the sink holds the previous key again, it
// authenticates, the newer key still authenticates and is the previous
// one, and the history has both events with the reason.
func TestRollbackGraceful(t *testing.T) {
	for _, auth := range []string{config.UseUserCreds, config.UseTargetCreds} {
		t.Run(auth, func(t *testing.T) {
			e := newEnv(t)
			spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.AuthenticationCredentials = auth }))
			e.mustRotate(spec)
			newer := e.sinkKey("app")
			lastRotation := e.state("/team/app").LastRotation

			res, err := e.rollback(spec, "new key breaks the billing job")
			if err != nil {
				t.Fatalf("rollback: %v", err)
			}
			if res.OldKeyID != newer.AccessKeyID || res.NewKeyID != e.app.AccessKeyID || res.Version != 1 {
				t.Fatalf("result %+v, want %s → %s (version 1)", res, newer.AccessKeyID, e.app.AccessKeyID)
			}
			if got := e.sinkKey("app"); got.AccessKeyID != e.app.AccessKeyID || got.SecretAccessKey != e.app.SecretAccessKey {
				t.Fatalf("sink holds %s, want the previous key %s", got.AccessKeyID, e.app.AccessKeyID)
			}
			e.wantWorks(e.app.AccessKeyID, e.app.SecretAccessKey, "app")
			e.wantWorks(newer.AccessKeyID, newer.SecretAccessKey, "app")
			st := e.state("/team/app")
			if cur, prev := st.Current(), st.Previous(); cur.AccessKeyID != e.app.AccessKeyID || prev == nil || prev.AccessKeyID != newer.AccessKeyID {
				t.Fatalf("store: current %v previous %v", cur, prev)
			}
			if st.Journal != nil || st.Pending() != nil {
				t.Fatalf("journal %v pending %v left", st.Journal, st.Pending())
			}
			if !st.LastRotation.Equal(lastRotation) {
				t.Errorf("last rotation moved from %v to %v", lastRotation, st.LastRotation)
			}
			kinds := e.kinds("/team/app")
			for _, k := range []string{"rotation.finished", "rollback.started", "rollback.succeeded"} {
				if !slices.Contains(kinds, k) {
					t.Errorf("history %v lacks %s", kinds, k)
				}
			}
			evs, _ := e.store.History(context.Background(), "/team/app")
			for _, ev := range evs {
				if ev.Kind == "rollback.started" && !strings.Contains(ev.Detail, "billing job") {
					t.Errorf("rollback.started detail %q lacks the reason", ev.Detail)
				}
			}
			if n := e.fake.Calls("CreateAccessKey"); n != 1 {
				t.Errorf("CreateAccessKey called %d times, want 1 (the rotation's)", n)
			}

			// The next rotation goes on from the rolled-back key.
			res = e.mustRotate(spec)
			if res.OldKeyID != e.app.AccessKeyID {
				t.Fatalf("next rotation replaced %s, want %s", res.OldKeyID, e.app.AccessKeyID)
			}
			e.wantRejected(newer.AccessKeyID, newer.SecretAccessKey)
		})
	}
}

// TestRollbackReactivates reactivates a previous key that was deactivated
// in IAM when the secret retires with deactivate, and refuses it, nothing
// changed, when it retires with delete.
func TestRollbackReactivates(t *testing.T) {
	for _, tt := range []struct {
		retire string
		ok     bool
	}{
		{config.RetireDeactivate, true},
		{config.RetireDelete, false},
	} {
		t.Run(tt.retire, func(t *testing.T) {
			e := newEnv(t)
			spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.Retire = tt.retire }))
			e.mustRotate(spec)
			newer := e.sinkKey("app")
			e.setStatus("app", e.app.AccessKeyID, types.StatusTypeInactive)
			_, err := e.rollback(spec, "")
			if !tt.ok {
				if !errors.Is(err, ErrNoRollback) || !strings.Contains(err.Error(), "inactive in IAM") {
					t.Fatalf("got %v, want ErrNoRollback saying the key is inactive", err)
				}
				if got := e.sinkKey("app"); got.AccessKeyID != newer.AccessKeyID {
					t.Fatalf("sink holds %s after a refusal, want %s", got.AccessKeyID, newer.AccessKeyID)
				}
				st := e.state("/team/app")
				if st.Journal != nil || st.Current().AccessKeyID != newer.AccessKeyID || st.Previous().AccessKeyID != e.app.AccessKeyID {
					t.Fatalf("store changed by a refused rollback: journal %v versions %v", st.Journal, st.Versions)
				}
				if !slices.Contains(e.kinds("/team/app"), "rollback.failed") {
					t.Errorf("history %v lacks rollback.failed", e.kinds("/team/app"))
				}
				return
			}
			if err != nil {
				t.Fatalf("rollback: %v", err)
			}
			e.wantWorks(e.app.AccessKeyID, e.app.SecretAccessKey, "app")
			e.wantWorks(newer.AccessKeyID, newer.SecretAccessKey, "app")
			if got := e.sinkKey("app"); got.AccessKeyID != e.app.AccessKeyID {
				t.Fatalf("sink holds %s, want %s", got.AccessKeyID, e.app.AccessKeyID)
			}
			if !slices.Contains(e.kinds("/team/app"), "key.reactivated") {
				t.Errorf("history %v lacks key.reactivated", e.kinds("/team/app"))
			}
		})
	}
}

// TestRollbackAfterStrictDeactivate: a strict rotation with retire:
// deactivate keeps the old key's value sealed (Inactive), so a rollback
// reactivates the key and delivers it again; the newer key stays valid as
// the previous one. The next rotation deletes the inactive key to make room
// and wipes its value, after which a rollback to it is refused.
func TestRollbackAfterStrictDeactivate(t *testing.T) {
	e := newEnv(t)
	spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) {
		c.GraceRotation, c.Retire = false, config.RetireDeactivate
	}))
	e.mustRotate(spec)
	newer := e.sinkKey("app")
	e.wantRejected(e.app.AccessKeyID, e.app.SecretAccessKey)
	if v := e.state("/team/app").ByKeyID(e.app.AccessKeyID); v == nil || v.State != state.Inactive || v.Value.IsZero() {
		t.Fatalf("old version after a strict rotation with deactivate: %+v, want inactive with its value kept", v)
	}
	if _, err := e.rollback(spec, "consumer broke"); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	e.wantWorks(e.app.AccessKeyID, e.app.SecretAccessKey, "app")
	e.wantWorks(newer.AccessKeyID, newer.SecretAccessKey, "app")
	if got := e.sinkKey("app"); got.AccessKeyID != e.app.AccessKeyID {
		t.Fatalf("sink holds %s, want the reactivated %s", got.AccessKeyID, e.app.AccessKeyID)
	}
	st := e.state("/team/app")
	if st.Current().AccessKeyID != e.app.AccessKeyID || st.Previous() == nil || st.Previous().AccessKeyID != newer.AccessKeyID {
		t.Fatalf("versions after rollback: %+v", st.Versions)
	}
	for _, k := range []string{"key.reactivated", "rollback.succeeded"} {
		if !slices.Contains(e.kinds("/team/app"), k) {
			t.Errorf("history %v lacks %s", e.kinds("/team/app"), k)
		}
	}

	// Rotate twice: the first deletes the newer key to make room and
	// deactivates the reinstated one; the second deletes that one.
	e.mustRotate(spec)
	third := e.sinkKey("app")
	e.mustRotate(spec)
	fourth := e.sinkKey("app")
	if v := e.state("/team/app").ByKeyID(e.app.AccessKeyID); v == nil || v.State != state.Retired || !v.Value.IsZero() {
		t.Fatalf("deleted key's version: %+v, want retired and wiped", v)
	}
	e.wantRejected(third.AccessKeyID, third.SecretAccessKey)
	if _, err := e.rollback(spec, ""); err != nil {
		t.Fatalf("rollback to the third key: %v", err)
	}
	e.wantWorks(third.AccessKeyID, third.SecretAccessKey, "app")
	// A second rollback swaps back: the key the first replaced is the
	// previous one and still valid.
	if _, err := e.rollback(spec, ""); err != nil {
		t.Fatalf("second rollback: %v", err)
	}
	if got := e.sinkKey("app"); got.AccessKeyID != fourth.AccessKeyID {
		t.Fatalf("sink holds %s after two rollbacks, want %s", got.AccessKeyID, fourth.AccessKeyID)
	}
	e.wantWorks(third.AccessKeyID, third.SecretAccessKey, "app")
	e.wantWorks(fourth.AccessKeyID, fourth.SecretAccessKey, "app")
	e.scanForLeaks()
}

// TestRollbackRefusesRevoked: a key revoked by rotate --revoke-previous is
// never reinstated, whether already deleted or still only deactivated
// (waiting for --revoke-after), and whatever retire says.
func TestRollbackRefusesRevoked(t *testing.T) {
	for _, after := range []time.Duration{0, 24 * time.Hour} {
		t.Run(after.String(), func(t *testing.T) {
			e := newEnv(t)
			spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.Retire = config.RetireDeactivate }))
			spec.Revoke = &Revoke{After: after, Reason: "INC-7"}
			e.mustRotate(spec)
			spec.Revoke = nil
			newer := e.sinkKey("app")
			_, err := e.rollback(spec, "")
			if !errors.Is(err, ErrNoRollback) || !strings.Contains(err.Error(), "revoked") || !strings.Contains(err.Error(), "INC-7") {
				t.Fatalf("got %v, want ErrNoRollback naming the revocation", err)
			}
			e.wantRejected(e.app.AccessKeyID, e.app.SecretAccessKey)
			if got := e.sinkKey("app"); got.AccessKeyID != newer.AccessKeyID {
				t.Fatalf("sink holds %s after a refusal, want %s", got.AccessKeyID, newer.AccessKeyID)
			}
			if v := e.state("/team/app").ByKeyID(e.app.AccessKeyID); v == nil || !v.Value.IsZero() {
				t.Fatalf("revoked version %+v keeps its secret access key", v)
			}
		})
	}
}

// TestRollbackRefused: a strict rotation with retire: delete leaves
// nothing to roll back to, nor does a secret rotatord never rotated; the
// refusal says why, changes nothing, and is in the history.
func TestRollbackRefused(t *testing.T) {
	for _, tt := range []struct {
		name    string
		rotate  bool
		strict  bool
		wantMsg string
	}{
		{"strict delete", true, true, "deleted in IAM (retire: delete) because grace_rotation is off"},
		{"never rotated", false, false, "version 1 is the only version"},
		{"unknown to the store", false, false, "has never rotated this secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.GraceRotation = !tt.strict }))
			switch {
			case tt.rotate:
				e.mustRotate(spec)
			case strings.HasPrefix(tt.name, "unknown"):
				if _, err := e.rollback(spec, ""); !errors.Is(err, ErrNoRollback) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("got %v, want ErrNoRollback with %q", err, tt.wantMsg)
				}
				if _, err := e.store.Get(context.Background(), "/team/app"); !errors.Is(err, state.ErrNotFound) {
					t.Fatalf("a refused rollback of an unknown secret wrote state: %v", err)
				}
				return
			default:
				if _, err := e.rot.Discover(context.Background(), spec); err != nil {
					t.Fatal(err)
				}
			}
			before := e.state("/team/app")
			keys := e.keyIDs("app")
			_, err := e.rollback(spec, "")
			if !errors.Is(err, ErrNoRollback) || !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), "rotatord rotate /team/app") {
				t.Fatalf("got %v, want ErrNoRollback with %q and what to do", err, tt.wantMsg)
			}
			after := e.state("/team/app")
			if after.Journal != nil || !slices.EqualFunc(before.Versions, after.Versions, func(a, b state.Version) bool {
				return a.AccessKeyID == b.AccessKeyID && a.State == b.State
			}) {
				t.Fatalf("refused rollback changed the store: %v → %v", before.Versions, after.Versions)
			}
			if got := e.keyIDs("app"); !slices.Equal(got, keys) {
				t.Fatalf("refused rollback changed IAM: %v → %v", keys, got)
			}
			if !slices.Contains(e.kinds("/team/app"), "rollback.refused") {
				t.Errorf("history %v lacks rollback.refused", e.kinds("/team/app"))
			}
		})
	}
}

// TestRollbackResumes stops a rollback after each of its steps and checks
// that the next Rollback, or the next Rotate, finishes it.
func TestRollbackResumes(t *testing.T) {
	for _, next := range []string{"rollback", "rotate"} {
		t.Run(next, func(t *testing.T) {
			e := newEnv(t)
			spec := e.spec(e.secretConfig())
			e.mustRotate(spec)
			newer := e.sinkKey("app")
			// A rollback left at verified, as a crash after reinstate leaves it.
			ctx, cancel := context.WithCancel(context.Background())
			e.rot.opts.Observe = func(ev state.Event) {
				if ev.Kind == "key.verified" {
					cancel()
				}
			}
			_, err := e.rot.Rollback(ctx, spec, "")
			e.rot.opts.Observe = nil
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("first run: got %v, want it stopped", err)
			}
			if j := e.state("/team/app").Journal; j == nil || j.Kind != state.KindRollback || j.Step != state.StepVerified {
				t.Fatalf("journal %+v, want a rollback at verified", j)
			}
			var res *Result
			if next == "rollback" {
				res, err = e.rollback(spec, "")
			} else {
				res, err = e.rotate(spec)
			}
			if err != nil || !res.Resumed || res.NewKeyID != e.app.AccessKeyID {
				t.Fatalf("resumed: %+v, %v; want the rollback finished", res, err)
			}
			if got := e.sinkKey("app"); got.AccessKeyID != e.app.AccessKeyID {
				t.Fatalf("sink holds %s, want %s", got.AccessKeyID, e.app.AccessKeyID)
			}
			e.wantWorks(newer.AccessKeyID, newer.SecretAccessKey, "app")
			if n := e.fake.Calls("CreateAccessKey"); n != 1 {
				t.Errorf("CreateAccessKey called %d times, want 1", n)
			}
		})
	}
}

// TestRollbackTwoPhase rolls back to a version Secrets Manager held
// before: the rollback stages it again (the same version, unchanged) and
// commits it, so AWSCURRENT holds the previous key and AWSPREVIOUS the
// newer one.
func TestRollbackTwoPhase(t *testing.T) {
	e := newEnv(t)
	sm := smfake.Register(e.fake)
	spec := e.spec(e.secretConfig())
	smCfg := e.awsConfig()
	smCfg.Credentials = credentials.NewStaticCredentialsProvider(e.admin.AccessKeyID, e.admin.SecretAccessKey, "")
	smSink, err := secretsmanager.New(secretsmanager.Config{SecretID: "team/app", Create: true}, smCfg)
	if err != nil {
		t.Fatal(err)
	}
	spec.Sinks = append(spec.Sinks, Destination{ID: "secretsmanager:team/app", Sink: smSink})
	second := e.mustRotate(spec)
	third := e.mustRotate(spec)
	current := func() string {
		t.Helper()
		v, err := sm.SecretValue("team/app", "AWSCURRENT")
		if err != nil {
			t.Fatal(err)
		}
		return v.SecretString
	}
	if !strings.Contains(current(), third.NewKeyID) {
		t.Fatalf("AWSCURRENT %q lacks %s before the rollback", current(), third.NewKeyID)
	}
	res, err := e.rollback(spec, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.NewKeyID != second.NewKeyID {
		t.Fatalf("rolled back to %s, want %s", res.NewKeyID, second.NewKeyID)
	}
	if !strings.Contains(current(), second.NewKeyID) {
		t.Errorf("AWSCURRENT %q lacks the previous key %s", current(), second.NewKeyID)
	}
	prev, err := sm.SecretValue("team/app", "AWSPREVIOUS")
	if err != nil || !strings.Contains(prev.SecretString, third.NewKeyID) {
		t.Errorf("AWSPREVIOUS %q (%v), want the newer key %s", prev.SecretString, err, third.NewKeyID)
	}
	if st := e.state("/team/app"); st.Current().Committed["secretsmanager:team/app"].IsZero() {
		t.Errorf("the rollback's commit to Secrets Manager is not recorded")
	}
	if sec, _ := sm.Secret("team/app"); len(sec.Versions) != 2 {
		t.Errorf("Secrets Manager holds %d versions, want 2 (the rollback stages no new one)", len(sec.Versions))
	}
}

// TestRollbackWaitsForOpenRotation: a rollback is refused while a rotation
// is open (here: its delivery pending), and says how to finish it.
func TestRollbackWaitsForOpenRotation(t *testing.T) {
	e := newEnv(t)
	spec := e.spec(e.secretConfig())
	e.mustRotate(spec)
	spec.Sinks = append(spec.Sinks, e.spec(e.secretConfig(func(c *config.RotatedSecret) {
		c.Sinks[0].Spec.(*file.Config).Path = filepath.Join(e.dir, "missing", "credentials")
	})).Sinks...)
	if _, err := e.rotate(spec); !errors.Is(err, ErrDeliveryPending) {
		t.Fatalf("rotate: got %v, want delivery pending", err)
	}
	before := e.state("/team/app").Journal
	_, err := e.rollback(spec, "")
	if err == nil || !strings.Contains(err.Error(), "finish it first with `rotatord rotate /team/app`") {
		t.Fatalf("got %v, want a refusal saying to finish the open rotation", err)
	}
	if j := e.state("/team/app").Journal; j == nil || j.RotationID != before.RotationID || j.Kind != state.KindRotation {
		t.Fatalf("journal %+v, want the open rotation %s untouched", j, before.RotationID)
	}
}
