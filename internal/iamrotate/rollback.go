package iamrotate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/failpoint"
	"github.com/rotatord/rotatord/internal/state"
)

// ErrNoRollback: the secret has no previous key that can become current
// again (none kept, or IAM no longer holds it). Nothing was changed.
var ErrNoRollback = errors.New("no previous key to roll back to")

// Rollback makes the secret's previous version current again: its key is
// checked in IAM (reactivated when it is only inactive and the secret
// retires with deactivate), verified with STS, delivered to every sink and
// committed like a new key, and the version it replaces becomes the
// previous one, its key still valid. It runs in the rotation journal
// (state.KindRollback), so a crash at any step is resumed by the next
// Rollback or Rotate. It continues an open rollback; it refuses while a
// rotation is open, and wraps ErrNoRollback, with the reason, when there is
// no previous key to go back to. reason is recorded in the audit history.
func (r *Rotator) Rollback(ctx context.Context, sec Spec, reason string) (*Result, error) {
	name := sec.Config.Name
	ru := &run{r: r, sec: sec, log: r.opts.Logger.With("secret", name)}
	if err := ru.load(ctx); err != nil {
		return nil, fmt.Errorf("rollback %s: %w", name, err)
	}
	res := &Result{}
	switch j := ru.st.Journal; {
	case j != nil && j.Kind != state.KindRollback:
		return nil, fmt.Errorf("rollback %s: %w (rotation %s, step %s); finish it first with `rotatord rotate %s`, then roll back",
			name, errBusy, j.RotationID, j.Step, name)
	case j != nil:
		res.Resumed = true
		ru.log = ru.log.With("rotation_id", j.RotationID)
		ru.log.Info("resuming open rollback", "step", j.Step)
	default:
		if err := ru.beginRollback(ctx, reason); err != nil {
			return nil, fmt.Errorf("rollback %s: %w", name, err)
		}
	}
	res.RotationID = ru.st.Journal.RotationID
	res.OldKeyID = ru.st.Journal.CurrentKeyID
	if err := ru.drive(ctx); err != nil {
		return res, fmt.Errorf("rollback %s: %w", name, err)
	}
	if cur := ru.st.Current(); cur != nil {
		res.NewKeyID, res.Version = cur.AccessKeyID, cur.N
	}
	return res, nil
}

// rollingBack reports whether the open journal is a rollback.
func (ru *run) rollingBack() bool {
	return ru.st.Journal != nil && ru.st.Journal.Kind == state.KindRollback
}

// beginRollback records a rollback from the current version to the
// previous one, or refuses (recording why) when there is none to go back to.
func (ru *run) beginRollback(ctx context.Context, reason string) error {
	cur, prev := ru.st.Current(), rollbackTarget(ru.st)
	if cur == nil {
		return fmt.Errorf("begin: %w: rotatord has never rotated this secret, so it has no previous key", ErrNoRollback)
	}
	if why := noRollbackReason(ru.st, ru.cfg()); why != "" {
		return ru.refuse(ctx, cur.AccessKeyID, why)
	}
	id, detail := newRotationID(), fmt.Sprintf("version %d (%s) back to version %d (%s)", cur.N, cur.AccessKeyID, prev.N, prev.AccessKeyID)
	if reason = strings.TrimSpace(reason); reason != "" {
		detail += ": " + reason
	}
	err := ru.update(ctx, func(tx *state.Tx) error {
		s := tx.Secret
		if s.Journal != nil {
			return errBusy
		}
		s.Journal = &state.Journal{
			RotationID: id, Started: ru.now(), Step: state.StepBegun, Kind: state.KindRollback, Manual: true,
			CurrentKeyID: cur.AccessKeyID, NewKeyID: prev.AccessKeyID,
		}
		tx.Audit(id, "rollback.started", prev.AccessKeyID, detail)
		return nil
	})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	ru.log = ru.log.With("rotation_id", id)
	ru.log.Info("rollback begun", "step", "begin", "current_key_id", cur.AccessKeyID, "previous_key_id", prev.AccessKeyID)
	failpoint.Hit("rollback-begun")
	return nil
}

// rollbackTarget is the version a rollback makes current again: the
// previous one, or, when there is none, the version most recently replaced
// if its key was only deactivated (Inactive); nil when there is neither.
func rollbackTarget(st *state.Secret) *state.Version {
	if prev := st.Previous(); prev != nil {
		return prev
	}
	if last := lastReplaced(st); last != nil && last.State == state.Inactive {
		return last
	}
	return nil
}

// lastReplaced is the retired or inactive version most recently replaced.
func lastReplaced(st *state.Secret) *state.Version {
	var last *state.Version
	for i := range st.Versions {
		v := &st.Versions[i]
		if (v.State == state.Retired || v.State == state.Inactive) && !v.Replaced.IsZero() && (last == nil || v.Replaced.After(last.Replaced)) {
			last = v
		}
	}
	return last
}

// noRollbackReason says why the secret cannot roll back, or "" when its
// previous version (or its last, only deactivated, one) can become current
// again. A revoked key is never reinstated.
func noRollbackReason(st *state.Secret, cfg *config.RotatedSecret) string {
	t := rollbackTarget(st)
	if t == nil {
		t = lastReplaced(st)
	}
	if t == nil {
		return fmt.Sprintf("version %d is the only version rotatord knows", st.Current().N)
	}
	when := t.Retired.UTC().Format("2006-01-02 15:04:05 UTC")
	switch {
	case t.RevokedFor != "" || !t.RevokeAt.IsZero():
		return fmt.Sprintf("version %d (%s) was revoked (rotate --revoke-previous: %s), and a revoked key is never reinstated",
			t.N, t.AccessKeyID, t.RevokedFor)
	case t.State == state.Retired && cfg.Retire == config.RetireDeactivate:
		return fmt.Sprintf("version %d (%s) was retired on %s and its key deleted in IAM when a later rotation made room for a new key",
			t.N, t.AccessKeyID, when)
	case t.State == state.Retired:
		mode := "grace_period is over"
		if !cfg.Graceful() {
			mode = "grace_rotation is off, which retires the old key at once"
		}
		return fmt.Sprintf("version %d (%s) was retired on %s: its key was deleted in IAM (retire: delete) because %s",
			t.N, t.AccessKeyID, when, mode)
	case t.Value.IsZero():
		return fmt.Sprintf("the secret access key of %s version %d (%s) is no longer kept (max_versions)", t.State, t.N, t.AccessKeyID)
	}
	return ""
}

// refuse records a refused rollback in the audit history and returns the
// error that says why and what to do instead.
func (ru *run) refuse(ctx context.Context, curID, why string) error {
	err := fmt.Errorf("%w: %s; to replace the current key %s, rotate instead: rotatord rotate %s", ErrNoRollback, why, curID, ru.name())
	if uerr := ru.update(ctx, func(tx *state.Tx) error {
		tx.Audit("", "rollback.refused", curID, why)
		return nil
	}); uerr != nil {
		return errors.Join(err, fmt.Errorf("record refusal: %w", uerr))
	}
	ru.log.Warn("rollback refused", "reason", why)
	return err
}

// reinstate makes the previous key usable again and the pending version:
// it must still exist in IAM; an inactive key is reactivated when the
// secret retires with deactivate. It verifies the key with STS before the
// pending version is recorded. Until then the journal stays at begun, and
// a resumed rollback checks again.
func (ru *run) reinstate(ctx context.Context) error {
	j, user := ru.st.Journal, ru.st.UserName
	c, err := ru.adminIAM()
	if err != nil {
		return fmt.Errorf("reinstate: %w", err)
	}
	v := ru.st.ByKeyID(j.NewKeyID)
	if v == nil || v.Value.IsZero() || (v.State != state.Previous && v.State != state.Inactive && v.State != state.Pending) {
		return fmt.Errorf("reinstate: %w: version of key %s is no longer the previous one in the store", ErrNoRollback, j.NewKeyID)
	}
	keys, err := ru.listKeys(ctx, c, user)
	if err != nil {
		return fmt.Errorf("reinstate: %w", err)
	}
	reactivated := false
	switch k := findKey(keys, j.NewKeyID); {
	case k == nil:
		why := fmt.Sprintf("previous key %s of version %d no longer exists in IAM (deleted outside rotatord)", j.NewKeyID, v.N)
		_ = ru.update(ctx, func(tx *state.Tx) error {
			if v := tx.Secret.ByKeyID(j.NewKeyID); v != nil && (v.State == state.Previous || v.State == state.Inactive) {
				retire(v, ru.now())
			}
			tx.Audit(j.RotationID, "key.gone", j.NewKeyID, "previous key no longer in IAM")
			return nil
		})
		return fmt.Errorf("reinstate: %w: %s; rotate instead: rotatord rotate %s", ErrNoRollback, why, ru.name())
	case k.Status != types.StatusTypeActive && ru.cfg().Retire != config.RetireDeactivate:
		return fmt.Errorf("reinstate: %w: previous key %s is %s in IAM and this secret retires keys with retire: delete, so rotatord did not deactivate it; "+
			"reactivate it in IAM yourself if it is safe, and run rollback again", ErrNoRollback, j.NewKeyID, strings.ToLower(string(k.Status)))
	case k.Status != types.StatusTypeActive:
		if err := ru.activateKey(ctx, c, user, j.NewKeyID); err != nil {
			return fmt.Errorf("reinstate: %w", err)
		}
		reactivated = true
		ru.log.Info("reactivated previous key", "step", "reinstate", "access_key_id", j.NewKeyID)
		failpoint.Hit("reactivated")
	}
	if err := ru.verifyKey(ctx, v.AccessKeyID, v.Value); err != nil {
		return fmt.Errorf("reinstate: previous key %s does not authenticate as %s: %w; the current key %s stays in use", j.NewKeyID, ru.st.UserARN, err, j.CurrentKeyID)
	}
	err = ru.update(ctx, func(tx *state.Tx) error {
		s := tx.Secret
		v := s.ByKeyID(s.Journal.NewKeyID)
		if v == nil {
			return fmt.Errorf("the previous version is missing from the store")
		}
		v.State, v.Delivered, v.Committed = state.Pending, nil, nil
		if reactivated {
			tx.Audit(s.Journal.RotationID, "key.reactivated", v.AccessKeyID, "rollback")
		}
		tx.Audit(s.Journal.RotationID, "key.verified", v.AccessKeyID, "previous key")
		s.Journal.Step = state.StepVerified
		return nil
	})
	if err != nil {
		return fmt.Errorf("reinstate: record: %w", err)
	}
	ru.log.Info("previous key reinstated", "step", "reinstate", "access_key_id", j.NewKeyID)
	failpoint.Hit("reinstated")
	return nil
}

// verifyKey checks with STS that the key authenticates as the secret's
// user, retrying while IAM propagates a reactivation.
func (ru *run) verifyKey(ctx context.Context, id string, secret config.SecretValue) error {
	client := ru.stsWithKey(id, secret)
	var got string
	err := ru.retryAuth(ctx, func(cctx context.Context) error {
		out, err := client.GetCallerIdentity(cctx, nil)
		if err == nil {
			got = aws.ToString(out.Arn)
		}
		return err
	})
	if err == nil && got != ru.st.UserARN {
		err = fmt.Errorf("it authenticates as %s", got)
	}
	return err
}

// activateKey sets a key of the user active, if the guard allows.
func (ru *run) activateKey(ctx context.Context, c *iam.Client, user, id string) error {
	if err := ru.guard(); err != nil {
		return fmt.Errorf("reactivate access key %s of %s: %w", id, user, err)
	}
	cctx, cancel := ru.callCtx(ctx)
	defer cancel()
	_, err := c.UpdateAccessKey(cctx, &iam.UpdateAccessKeyInput{
		UserName: aws.String(user), AccessKeyId: aws.String(id), Status: types.StatusTypeActive,
	})
	if err != nil {
		return fmt.Errorf("reactivate access key %s of %s: %w", id, user, err)
	}
	return nil
}

// eventKind names a journal's audit event: "rotation.<what>" for a
// rotation, "rollback.<what>" for a rollback (finished: "succeeded").
func (ru *run) eventKind(what string) string {
	if !ru.rollingBack() {
		return "rotation." + what
	}
	if what == "finished" {
		what = "succeeded"
	}
	return "rollback." + what
}
