package iamrotate

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/state"
)

// TestGracefulRotation rotates three times, graceful, in both
// authentication modes: the user never holds more than two keys, the sink
// holds the new key, the new and the previous key both authenticate, and the
// key before that is deleted and rejected.
func TestGracefulRotation(t *testing.T) {
	for _, auth := range []string{config.UseUserCreds, config.UseTargetCreds} {
		t.Run(auth, func(t *testing.T) {
			e := newEnv(t)
			spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.AuthenticationCredentials = auth }))
			prev := e.app // the bootstrap key
			var older *struct{ id, secret string }
			for i := 1; i <= 3; i++ {
				res := e.mustRotate(spec)
				if res.OldKeyID != prev.AccessKeyID {
					t.Fatalf("rotation %d: old key %s, want %s", i, res.OldKeyID, prev.AccessKeyID)
				}
				if n := len(e.fake.Keys("app")); n > 2 {
					t.Fatalf("rotation %d: user holds %d keys", i, n)
				}
				got := e.sinkKey("app")
				if got.AccessKeyID != res.NewKeyID {
					t.Fatalf("rotation %d: sink holds %s, want %s", i, got.AccessKeyID, res.NewKeyID)
				}
				e.wantWorks(got.AccessKeyID, got.SecretAccessKey, "app")
				e.wantWorks(prev.AccessKeyID, prev.SecretAccessKey, "app")
				if ids := e.keyIDs("app"); !slices.Equal(ids, []string{prev.AccessKeyID, res.NewKeyID}) {
					t.Fatalf("rotation %d: IAM keys %v, want [previous %s, new %s]", i, ids, prev.AccessKeyID, res.NewKeyID)
				}
				if older != nil {
					e.wantRejected(older.id, older.secret)
				}
				st := e.state("/team/app")
				if cur, pv := st.Current(), st.Previous(); cur.AccessKeyID != res.NewKeyID || pv == nil || pv.AccessKeyID != prev.AccessKeyID {
					t.Fatalf("rotation %d: store current %v previous %v", i, cur, pv)
				}
				if st.Journal != nil {
					t.Fatalf("rotation %d: journal left open at %s", i, st.Journal.Step)
				}
				older = &struct{ id, secret string }{prev.AccessKeyID, prev.SecretAccessKey}
				prev = got
			}
			if n := e.fake.Calls("CreateAccessKey"); n != 3 {
				t.Errorf("CreateAccessKey called %d times, want 3", n)
			}
		})
	}
}

// TestStrictRotation leaves one key after each rotation; the old one is
// rejected. With retire: deactivate the old key stays, inactive, until the
// next rotation removes it.
func TestStrictRotation(t *testing.T) {
	for _, tt := range []struct {
		auth, retire string
	}{
		{config.UseUserCreds, config.RetireDelete},
		{config.UseTargetCreds, config.RetireDelete},
		{config.UseUserCreds, config.RetireDeactivate},
	} {
		t.Run(tt.auth+"/"+tt.retire, func(t *testing.T) {
			e := newEnv(t)
			spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) {
				c.GraceRotation, c.AuthenticationCredentials, c.Retire = false, tt.auth, tt.retire
			}))
			prev := e.app
			for i := 1; i <= 3; i++ {
				res := e.mustRotate(spec)
				got := e.sinkKey("app")
				e.wantWorks(got.AccessKeyID, got.SecretAccessKey, "app")
				e.wantRejected(prev.AccessKeyID, prev.SecretAccessKey)
				keys := e.fake.Keys("app")
				switch tt.retire {
				case config.RetireDelete:
					if len(keys) != 1 || keys[0].ID != res.NewKeyID {
						t.Fatalf("rotation %d: IAM keys %v, want only %s", i, keys, res.NewKeyID)
					}
				case config.RetireDeactivate:
					if len(keys) != 2 || keys[0].ID != prev.AccessKeyID || keys[0].Status != "Inactive" {
						t.Fatalf("rotation %d: IAM keys %v, want %s inactive and %s", i, keys, prev.AccessKeyID, res.NewKeyID)
					}
				}
				// Deleted: retired and wiped. Only deactivated: inactive, its
				// value kept for a rollback until the key is deleted.
				want, kept := state.Retired, false
				if tt.retire == config.RetireDeactivate {
					want, kept = state.Inactive, true
				}
				if pv := e.state("/team/app").ByKeyID(prev.AccessKeyID); pv.State != want || pv.Value.IsZero() == kept {
					t.Fatalf("rotation %d: old version is %s with value kept=%v, want %s and kept=%v", i, pv.State, !pv.Value.IsZero(), want, kept)
				}
				prev = got
			}
		})
	}
}

// TestTargetRotator rotates the target's own key: afterwards the target's
// old key is rejected and rotations of other secrets through that target
// still work, because the target's credentials come from the store.
func TestTargetRotator(t *testing.T) {
	for _, graceful := range []bool{true, false} {
		t.Run(map[bool]string{true: "graceful", false: "strict"}[graceful], func(t *testing.T) {
			e := newEnv(t)
			targetSecret := &config.RotatedSecret{
				Name: "/prod/target", Target: "prod", AuthenticationCredentials: config.UseTargetCreds,
				RotatorType: config.RotatorTarget, GraceRotation: graceful, VerifyTimeout: config.Duration(60e9),
				Retire: config.RetireDelete, MaxVersions: 10,
			}
			ts := e.spec(targetSecret)
			ts.Bootstrap = Key{ID: e.admin.AccessKeyID, Secret: config.SecretValue(e.admin.SecretAccessKey)}
			targetCreds := StoreCredentials(e.store, targetSecret.Name, ts.TargetCredentials)
			ts.TargetCredentials = targetCreds

			app := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.AuthenticationCredentials = config.UseTargetCreds }))
			app.TargetCredentials = targetCreds

			oldAdmin := e.admin
			for i := 1; i <= 2; i++ {
				res := e.mustRotate(ts)
				st := e.state(targetSecret.Name)
				cur := st.Current()
				e.wantWorks(cur.AccessKeyID, cur.Value.Reveal(), "admin")
				if graceful && i == 1 {
					e.wantWorks(oldAdmin.AccessKeyID, oldAdmin.SecretAccessKey, "admin")
				} else {
					e.wantRejected(oldAdmin.AccessKeyID, oldAdmin.SecretAccessKey)
				}
				if res.NewKeyID == oldAdmin.AccessKeyID {
					t.Fatal("target key did not change")
				}
				// A later rotation of another secret through that target.
				r2 := e.mustRotate(app)
				got := e.sinkKey("app")
				if got.AccessKeyID != r2.NewKeyID {
					t.Fatalf("sink holds %s, want %s", got.AccessKeyID, r2.NewKeyID)
				}
				e.wantWorks(got.AccessKeyID, got.SecretAccessKey, "app")
			}
			if graceful {
				e.wantRejected(oldAdmin.AccessKeyID, oldAdmin.SecretAccessKey)
			}
		})
	}
}

func TestUserFromARN(t *testing.T) {
	for _, tt := range []struct {
		arn, want string
		ok        bool
	}{
		{"arn:aws:iam::123456789012:user/app", "app", true},
		{"arn:aws:iam::123456789012:user/division/team/Bob", "Bob", true},
		{"arn:aws-cn:iam::123456789012:user/x", "x", true},
		{"arn:aws:sts::123456789012:assumed-role/r/s", "", false},
		{"arn:aws:iam::123456789012:role/r", "", false},
		{"garbage", "", false},
	} {
		got, ok := userFromARN(tt.arn)
		if got != tt.want || ok != tt.ok {
			t.Errorf("userFromARN(%q) = %q, %v; want %q, %v", tt.arn, got, ok, tt.want, tt.ok)
		}
	}
}

// TestAWSDone: Rotate reports its last AWS call once, after the new key is
// verified and delivered and before the commit that closes the rotation.
func TestAWSDone(t *testing.T) {
	e := newEnv(t)
	s := e.spec(e.secretConfig())
	var calls int
	var journalOpen bool
	s.AWSDone = func() {
		calls++
		journalOpen = e.state(s.Config.Name).Journal != nil
	}
	ctx := context.Background()
	_ = e.clock.Sleep(ctx, time.Hour)
	if _, err := e.rot.Rotate(ctx, s, true); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || !journalOpen {
		t.Fatalf("done called %d times, journal open then: %v; want once, open", calls, journalOpen)
	}
	if e.state(s.Config.Name).Journal != nil {
		t.Error("the rotation is still open after Rotate")
	}
}
