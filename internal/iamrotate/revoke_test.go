package iamrotate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/state"
)

// TestRevokePrevious: a rotation with Revoke, in graceful and strict mode,
// leaves one key in IAM: the previous key is rejected by STS at once,
// whatever the mode, and the history holds the reason. With After set, the
// previous key is only deactivated (rejected, still listed) and
// RetirePrevious deletes it once due.
func TestRevokePrevious(t *testing.T) {
	for _, tt := range []struct {
		name     string
		graceful bool
		after    time.Duration
	}{
		{"graceful", true, 0},
		{"strict", false, 0},
		{"graceful/after", true, time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.GraceRotation = tt.graceful }))
			spec.Revoke = &Revoke{After: tt.after, Reason: "INC-42 build host compromised"}
			old := e.app
			res := e.mustRotate(spec)
			if res.OldKeyID != old.AccessKeyID {
				t.Fatalf("old key %s, want %s", res.OldKeyID, old.AccessKeyID)
			}
			e.wantRejected(old.AccessKeyID, old.SecretAccessKey)
			got := e.sinkKey("app")
			e.wantWorks(got.AccessKeyID, got.SecretAccessKey, "app")
			st := e.state("/team/app")
			prev := st.ByKeyID(old.AccessKeyID)
			wantKeys := 1
			if tt.after > 0 {
				wantKeys = 2
				if prev.State != state.Previous || prev.RevokeAt.IsZero() {
					t.Fatalf("previous version %+v: want previous with a revoke time", prev)
				}
			} else if prev.State != state.Retired {
				t.Fatalf("previous version is %s, want retired", prev.State)
			}
			if n := len(e.fake.Keys("app")); n != wantKeys {
				t.Fatalf("user holds %d keys after the revocation, want %d", n, wantKeys)
			}
			if st.Journal != nil {
				t.Fatalf("journal left open at %s", st.Journal.Step)
			}
			evs, err := e.store.History(context.Background(), "/team/app")
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, ev := range evs {
				found = found || (ev.Kind == "key.revoked" && ev.KeyID == old.AccessKeyID && ev.Detail == "INC-42 build host compromised")
			}
			if !found {
				t.Fatalf("no key.revoked event with the reason in %+v", evs)
			}
			// The same reason again: nothing to do. Another reason: rotates.
			again := e.mustRotate(spec)
			if !again.Skipped || again.NewKeyID != res.NewKeyID || e.fake.Calls("CreateAccessKey") != 1 {
				t.Fatalf("second rotation for the same reason: %+v, %d keys created; want skipped", again, e.fake.Calls("CreateAccessKey"))
			}
			if tt.after > 0 {
				if err := e.rot.RetirePrevious(context.Background(), e.spec(spec.Config)); err != nil {
					t.Fatal(err)
				}
				if n := len(e.fake.Keys("app")); n != 1 {
					t.Fatalf("user holds %d keys after RetirePrevious, want 1", n)
				}
				if v := e.state("/team/app").ByKeyID(old.AccessKeyID); v.State != state.Retired {
					t.Fatalf("revoked version is %s after RetirePrevious, want retired", v.State)
				}
			}
			other := *spec.Revoke
			other.Reason = "INC-43"
			spec.Revoke = &other
			if r := e.mustRotate(spec); r.Skipped || r.OldKeyID != res.NewKeyID {
				t.Fatalf("rotation for another reason: %+v, want a rotation of %s", r, res.NewKeyID)
			}
		})
	}
}

// TestRevokeOnResume: a rotation with Revoke left delivering (a sink's
// directory is missing) keeps both keys valid; resumed without Revoke, it
// still revokes, since its journal recorded it.
func TestRevokeOnResume(t *testing.T) {
	e := newEnv(t)
	e.sink = filepath.Join(e.dir, "sinkdir-not-made-yet", "credentials")
	spec := e.spec(e.secretConfig())
	spec.Revoke = &Revoke{Reason: "incident"}
	if _, err := e.rotate(spec); !errors.Is(err, ErrDeliveryPending) {
		t.Fatalf("got %v, want ErrDeliveryPending", err)
	}
	if j := e.state("/team/app").Journal; j == nil || !j.Revoke || j.RevokeReason != "incident" {
		t.Fatalf("journal %+v: want open, with the revocation recorded", j)
	}
	e.wantWorks(e.app.AccessKeyID, e.app.SecretAccessKey, "app")
	if err := os.Mkdir(filepath.Dir(e.sink), 0o700); err != nil {
		t.Fatal(err)
	}
	e.mustRotate(e.spec(spec.Config)) // no Revoke given: the journal's counts
	e.wantRejected(e.app.AccessKeyID, e.app.SecretAccessKey)
	if n := len(e.fake.Keys("app")); n != 1 {
		t.Fatalf("user holds %d keys, want 1", n)
	}
}
