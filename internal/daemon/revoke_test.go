package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// TestRevokeAfter: a rotation through the pool with a revocation delayed
// by --revoke-after deactivates the previous key at once (STS rejects it,
// IAM still lists it), although the secret is graceful with a 30-day
// grace_period; the daemon's retirement schedule deletes it when the delay
// is over, not before.
func TestRevokeAfter(t *testing.T) {
	w := newWorld(t)
	old := w.user("app")
	w.start(w.header("") + w.secretYAML("app", "grace_period: 30"))
	res, err := w.d.backend().RotateRevoke(context.Background(), "/app/app", iamrotate.Revoke{After: 2 * time.Hour, Reason: "INC-5"})
	if err != nil {
		t.Fatal(err)
	}
	w.idle()
	if _, err := w.whoami(old); err == nil {
		t.Fatalf("previous key %s still authenticates after the revocation", old.AccessKeyID)
	}
	if n := len(w.fake.Keys("app")); n != 2 {
		t.Fatalf("IAM lists %d keys right after the revocation, want 2 (the old one inactive)", n)
	}
	prev := w.state("/app/app").ByKeyID(res.OldKeyID)
	if prev.State != state.Previous || !prev.RevokeAt.Equal(t0.Add(2*time.Hour)) || prev.RevokedFor != "INC-5" {
		t.Fatalf("previous version %+v: want previous, to be deleted at %s, revoked for INC-5", prev, t0.Add(2*time.Hour))
	}
	w.advance(t0.Add(time.Hour))
	if n := len(w.fake.Keys("app")); n != 2 {
		t.Fatalf("IAM lists %d keys an hour in, want 2", n)
	}
	w.advance(t0.Add(2*time.Hour + time.Minute))
	eventually(t, "the revoked key's deletion", func() bool { return len(w.fake.Keys("app")) == 1 })
	if v := w.state("/app/app").ByKeyID(res.OldKeyID); v.State != state.Retired {
		t.Fatalf("revoked version is %s after its deletion, want retired", v.State)
	}
	if ks := w.fake.Keys("app"); ks[0].ID != res.NewKeyID {
		t.Fatalf("IAM keeps %s, want the new key %s", ks[0].ID, res.NewKeyID)
	}
}
