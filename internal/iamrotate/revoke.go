package iamrotate

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rotatord/rotatord/internal/failpoint"
	"github.com/rotatord/rotatord/internal/state"
)

// Revoke asks a rotation to revoke the key it replaces (incident response,
// `rotatord rotate --revoke-previous`): once every sink holds the new key,
// the previous key is deactivated at once, whatever the secret's mode
// (grace_rotation included), and deleted After later (0: at once). Reason
// goes to the audit history with the revocation, and on the revoked
// version: a secret that has no rotation open and already had a key
// revoked for the same Reason is left as it is (Result.Skipped), so that an
// interrupted incident response, run again, finishes only the rest.
type Revoke struct {
	After  time.Duration
	Reason string
}

// markRevoke records sec.Revoke in the open rotation's journal, so that a
// run that resumes the rotation (after a crash, or the daemon's recovery)
// revokes too. It does nothing without sec.Revoke or when the journal has
// it already.
func (ru *run) markRevoke(ctx context.Context) error {
	rv := ru.sec.Revoke
	if rv == nil || ru.st.Journal == nil || ru.st.Journal.Revoke {
		return nil
	}
	return ru.update(ctx, func(tx *state.Tx) error {
		j := tx.Secret.Journal
		j.Revoke, j.RevokeAfter, j.RevokeReason = true, rv.After, rv.Reason
		tx.Audit(j.RotationID, "revoke.requested", j.CurrentKeyID, revokeDetail(rv.Reason))
		return nil
	})
}

// revoking reports whether the open rotation revokes the key it replaces,
// and returns that key's version.
func (ru *run) revoking() (*state.Version, bool) {
	j := ru.st.Journal
	if j == nil || !j.Revoke {
		return nil, false
	}
	old := ru.st.ByKeyID(j.CurrentKeyID)
	return old, old != nil && old.State == state.Previous
}

// revokeOld deactivates the replaced key (the guard is asked first) and,
// when RevokeAfter is 0, deletes it. Both are idempotent: a resumed run
// repeats them.
func (ru *run) revokeOld(ctx context.Context, ic *iam.Client, id string) error {
	user := ru.st.UserName
	if err := ru.retryAuth(ctx, func(cctx context.Context) error { return ru.deactivateKey(cctx, ic, user, id) }); err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	ru.log.Info("revoked old key: deactivated", "step", "finish", "access_key_id", id)
	if ru.st.Journal.RevokeAfter <= 0 {
		if err := ru.retryAuth(ctx, func(cctx context.Context) error { return ru.deleteKey(cctx, ic, user, id) }); err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		ru.log.Info("revoked old key: deleted", "step", "finish", "access_key_id", id)
	}
	failpoint.Hit("revoked-in-iam")
	return nil
}

// recordRevoke records the revocation in tx: the key retired, or due for
// deletion at RevokeAt (the daemon's retirement deletes it then).
func (ru *run) recordRevoke(tx *state.Tx, j *state.Journal) {
	v := tx.Secret.ByKeyID(j.CurrentKeyID)
	if v == nil {
		return
	}
	v.RevokedFor = revokeDetail(j.RevokeReason)
	tx.Audit(j.RotationID, "key.revoked", v.AccessKeyID, v.RevokedFor)
	if j.RevokeAfter <= 0 {
		retire(v, ru.now())
		tx.Audit(j.RotationID, "key.retired", v.AccessKeyID, "revoked: deactivated and deleted")
		return
	}
	v.RevokeAt = ru.now().Add(j.RevokeAfter)
	v.Value = "" // deactivated for good: no sink and no rollback needs it
	tx.Audit(j.RotationID, "key.deactivated", v.AccessKeyID, "revoked: deleted at "+v.RevokeAt.UTC().Format(time.RFC3339))
}

// revokedBefore reports whether the secret, with no rotation open, already
// had a key revoked for the reason of sec.Revoke: an earlier run of the
// same incident response rotated it, and Rotate does nothing. It runs
// within the rotation (under the daemon's one job per secret, and the
// lease), so a job that finished a moment ago is seen.
func (ru *run) revokedBefore() bool {
	rv := ru.sec.Revoke
	if rv == nil || ru.st.Journal != nil {
		return false
	}
	want := revokeDetail(rv.Reason)
	for _, v := range ru.st.Versions {
		if v.RevokedFor == want {
			return true
		}
	}
	return false
}

// RevokeDetail is the detail of the "key.revoked" audit event of a
// revocation given reason: the reason itself, or "no reason given".
func RevokeDetail(reason string) string { return revokeDetail(reason) }

func revokeDetail(reason string) string {
	if reason == "" {
		return "no reason given"
	}
	return reason
}

// deleteRevoked deletes the previous key a revocation deactivated, once its
// RevokeAt has come (RetirePrevious).
func (ru *run) deleteRevoked(ctx context.Context, ic *iam.Client, id string) error {
	user := ru.st.UserName
	if err := ru.retryAuth(ctx, func(cctx context.Context) error { return ru.deactivateKey(cctx, ic, user, id) }); err != nil {
		return err
	}
	if err := ru.retryAuth(ctx, func(cctx context.Context) error { return ru.deleteKey(cctx, ic, user, id) }); err != nil {
		return err
	}
	ru.log.Info("deleted revoked key", "access_key_id", id)
	return nil
}
