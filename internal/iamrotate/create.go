package iamrotate

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/failpoint"
	"github.com/rotatord/rotatord/internal/state"
)

// maxLostCreates bounds the CreateAccessKey calls of one rotation whose
// answer was lost: after the first, its orphan is removed and one more is
// sent; after the second the rotation fails.
const maxLostCreates = 2

// maxThrottledCreates bounds the retries of a throttled CreateAccessKey.
const maxThrottledCreates = 10

// noKeyLeft wraps a create failure after which no key of this rotation is
// left in IAM, so the rotation can be closed as failed.
type noKeyLeft struct{ error }

func (e noKeyLeft) Unwrap() error { return e.error }

// create calls CreateAccessKey (never retried blindly) and persists the new
// key as the pending version before anything else happens. After a call
// whose answer was lost (timeout, 5xx, dropped connection), or when resuming
// a rotation that may have sent one, it deletes the orphan (a key gained
// since inspect that the store does not hold) and creates once more.
func (ru *run) create(ctx context.Context) error {
	c, err := ru.adminIAM()
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if ru.st.Journal.Step == state.StepCreating {
		if err := ru.lostCreate(ctx, c, errors.New("resumed after a stop while creating")); err != nil {
			return err
		}
	}
	user := ru.st.UserName
	for throttled := 0; ; {
		if ru.st.Journal.Step != state.StepCreating {
			if err := ru.update(ctx, func(tx *state.Tx) error {
				tx.Secret.Journal.Step = state.StepCreating
				return nil
			}); err != nil {
				return noKeyLeft{fmt.Errorf("create: record: %w", err)}
			}
		}
		failpoint.Hit("creating")
		if err := ru.guard(); err != nil {
			return fmt.Errorf("create access key for %s: %w", user, err)
		}
		cctx, cancel := ru.callCtx(ctx)
		out, err := c.CreateAccessKey(cctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)},
			func(o *iam.Options) { o.Retryer = aws.NopRetryer{} })
		cancel()
		switch {
		case err == nil:
			failpoint.Hit("created-unsaved")
			return ru.persistNew(ctx, c, out)
		case ctx.Err() != nil:
			return ctx.Err() // the journal stays at creating; the next run cleans up
		case isThrottled(err) && throttled < maxThrottledCreates:
			// Refused before it did anything: safe to send again.
			throttled++
			ru.log.Warn("CreateAccessKey throttled; retrying", "step", "create", "err", err)
			if serr := ru.r.opts.Sleep(ctx, ru.backoff(throttled+2)); serr != nil {
				return serr
			}
		case isLimitExceeded(err):
			return noKeyLeft{fmt.Errorf("create: %w: %s: %w", ErrKeyLimit, user, err)}
		case !ambiguous(err):
			return noKeyLeft{fmt.Errorf("create access key for %s: %w", user, err)}
		default:
			if err := ru.lostCreate(ctx, c, err); err != nil {
				return err
			}
		}
	}
}

// lostCreate handles a CreateAccessKey whose answer was lost: the key may
// exist, its secret unknown. It removes that orphan and counts the loss;
// after maxLostCreates the rotation gives up.
func (ru *run) lostCreate(ctx context.Context, c *iam.Client, cause error) error {
	ru.log.Warn("CreateAccessKey answer lost; looking for an orphan key", "step", "create", "err", cause)
	if err := ru.removeOrphans(ctx, c); err != nil {
		return fmt.Errorf("create: after %w: %w", cause, err)
	}
	if err := ru.update(ctx, func(tx *state.Tx) error {
		tx.Secret.Journal.CreateAttempts++
		return nil
	}); err != nil {
		return fmt.Errorf("create: record: %w", err)
	}
	if n := ru.st.Journal.CreateAttempts; n >= maxLostCreates {
		return noKeyLeft{fmt.Errorf("create: CreateAccessKey for %s lost its answer %d times (last: %w); no new key is left in IAM", ru.st.UserName, n, cause)}
	}
	return nil
}

// persistNew records the new key as the pending version; if that fails the
// key is deleted in IAM, since its secret would be lost.
func (ru *run) persistNew(ctx context.Context, c *iam.Client, out *iam.CreateAccessKeyOutput) error {
	k := out.AccessKey
	if k == nil || aws.ToString(k.AccessKeyId) == "" || aws.ToString(k.SecretAccessKey) == "" {
		return fmt.Errorf("create: CreateAccessKey answered without a key")
	}
	id := aws.ToString(k.AccessKeyId)
	created := aws.ToTime(k.CreateDate).UTC()
	if created.IsZero() {
		created = ru.now()
	}
	err := ru.update(ctx, func(tx *state.Tx) error {
		s := tx.Secret
		s.Versions = append(s.Versions, state.Version{
			N: s.NextN(), AccessKeyID: id, Created: created, State: state.Pending,
			Value: config.SecretValue(aws.ToString(k.SecretAccessKey)),
		})
		s.Journal.NewKeyID = id
		s.Journal.Step = state.StepCreated
		tx.Audit(s.Journal.RotationID, "key.created", id, "")
		return nil
	})
	if err != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ru.r.opts.CallTimeout)
		defer cancel()
		if derr := ru.deleteOwnKey(dctx, c, ru.st.UserName, id); derr != nil {
			return fmt.Errorf("create: persist new key %s: %w; deleting it also failed: %w (it is an orphan the next run removes)", id, err, derr)
		}
		return noKeyLeft{fmt.Errorf("create: persist new key %s: %w (the key was deleted in IAM)", id, err)}
	}
	ru.log.Info("created new key", "step", "create", "access_key_id", id)
	failpoint.Hit("created")
	return nil
}

// removeOrphans deletes the keys the user gained since inspect that the
// store does not hold: their secret is lost for good.
func (ru *run) removeOrphans(ctx context.Context, c *iam.Client) error {
	j, user := ru.st.Journal, ru.st.UserName
	keys, err := ru.listKeys(ctx, c, user)
	if err != nil {
		return fmt.Errorf("look for orphan keys: %w", err)
	}
	var gone []string
	for _, k := range keys {
		id := aws.ToString(k.AccessKeyId)
		if slices.Contains(j.KeysAtInspect, id) || ru.st.ByKeyID(id) != nil {
			continue
		}
		if err := ru.deactivateKey(ctx, c, user, id); err != nil {
			return fmt.Errorf("remove orphan: %w", err)
		}
		if err := ru.deleteKey(ctx, c, user, id); err != nil {
			return fmt.Errorf("remove orphan: %w", err)
		}
		ru.log.Warn("deleted orphan key", "access_key_id", id)
		gone = append(gone, id)
	}
	if len(gone) == 0 {
		return nil
	}
	return ru.update(ctx, func(tx *state.Tx) error {
		for _, id := range gone {
			tx.Audit(j.RotationID, "orphan.deleted", id, "created by this rotation but its secret was never stored")
		}
		return nil
	})
}

// verify checks that the new key authenticates as the user, retrying while
// IAM propagates it, up to verify_timeout. A key that never verifies is
// deleted; the current key stays.
func (ru *run) verify(ctx context.Context) error {
	p := ru.st.Pending()
	if p == nil || p.Value.IsZero() {
		return fmt.Errorf("verify: the pending version is missing from the store")
	}
	client := ru.stsWithKey(p.AccessKeyID, p.Value)
	var gotARN string
	attempts := 0
	err := ru.retryAuth(ctx, func(cctx context.Context) error {
		attempts++
		out, err := client.GetCallerIdentity(cctx, nil)
		if err != nil {
			return err
		}
		gotARN = aws.ToString(out.Arn)
		return nil
	})
	if err == nil && gotARN != ru.st.UserARN {
		err = fmt.Errorf("it authenticates as %s, not as %s", gotARN, ru.st.UserARN)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return ru.discardNew(ctx, p.AccessKeyID, err)
	}
	// Verified needs no commit of its own: a crash before delivery's commit
	// verifies again.
	_ = ru.deferChange(func(tx *state.Tx) error {
		tx.Secret.Journal.Step = state.StepVerified
		tx.Audit(tx.Secret.Journal.RotationID, "key.verified", p.AccessKeyID, fmt.Sprintf("attempts: %d", attempts))
		return nil
	})
	ru.log.Info("verified new key", "step", "verify", "access_key_id", p.AccessKeyID, "attempts", attempts)
	failpoint.Hit("verified")
	return nil
}

// discardNew deletes a new key that failed verification and retires its
// version; the rotation then fails with ErrVerify.
func (ru *run) discardNew(ctx context.Context, id string, cause error) error {
	detail := fmt.Sprintf("new key %s failed verification: %v", id, cause)
	c, err := ru.adminIAM()
	if err == nil {
		err = ru.deleteKey(ctx, c, ru.st.UserName, id)
	}
	if err != nil {
		detail += fmt.Sprintf("; deleting it failed too (%v), the next rotation removes it", err)
	} else {
		detail += fmt.Sprintf("; it was deleted and the current key %s stays in use", ru.st.Journal.CurrentKeyID)
	}
	uerr := ru.update(ctx, func(tx *state.Tx) error {
		if v := tx.Secret.ByKeyID(id); v != nil {
			retire(v, ru.now())
		}
		tx.Audit(tx.Secret.Journal.RotationID, "key.discarded", id, "failed verification")
		return nil
	})
	return errors.Join(fmt.Errorf("verify: %w: %s", ErrVerify, detail), uerr)
}
