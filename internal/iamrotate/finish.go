package iamrotate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/failpoint"
	"github.com/rotatord/rotatord/internal/sink"
	"github.com/rotatord/rotatord/internal/state"
)

// deliver writes the pending value to every sink that lacks it and commits
// once for all of them. While one fails, the rotation stays delivering: the
// old key is never removed while a sink lacks the new one.
func (ru *run) deliver(ctx context.Context) error {
	p := ru.st.Pending()
	if p == nil || p.Value.IsZero() {
		return fmt.Errorf("deliver: the pending version is missing from the store")
	}
	cred := sink.Credential{Secret: ru.name(), Version: p.N, AccessKeyID: p.AccessKeyID, SecretAccessKey: p.Value}
	var failed []error
	for _, d := range ru.sec.Sinks {
		if _, ok := p.Delivered[d.ID]; ok {
			continue
		}
		if err := ru.put(ctx, d, cred); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if gerr := ru.guard(); gerr != nil {
				return fmt.Errorf("deliver: %w", gerr)
			}
			failed = append(failed, fmt.Errorf("sink %s: %w", d.ID, err))
			continue
		}
		// Recorded with the step's commit: a sink written again after a
		// crash holds the same value (Put is idempotent).
		at := ru.now()
		_ = ru.deferChange(func(tx *state.Tx) error {
			v := tx.Secret.Pending()
			if v.Delivered == nil {
				v.Delivered = map[string]time.Time{}
			}
			v.Delivered[d.ID] = at
			tx.Audit(tx.Secret.Journal.RotationID, "sink.delivered", v.AccessKeyID, d.ID)
			return nil
		})
		ru.log.Info("delivered", "step", "deliver", "sink", d.ID, "access_key_id", p.AccessKeyID)
		failpoint.Hit("delivered-one")
	}
	if len(failed) > 0 {
		cause := errors.Join(failed...)
		_ = ru.update(ctx, func(tx *state.Tx) error {
			tx.Secret.Journal.Step = state.StepDelivering
			tx.Secret.Journal.DeliveryAttempts++
			return nil
		})
		return fmt.Errorf("deliver: %w: new key %s is verified but %d of %d sinks lack it; both keys stay valid until they have it: %w",
			ErrDeliveryPending, p.AccessKeyID, len(failed), len(ru.sec.Sinks), cause)
	}
	if err := ru.acknowledge(ctx, p.N); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	if _, revoke := ru.revoking(); (!ru.cfg().Graceful() || revoke) && !ru.rollingBack() {
		// Strict (or revoking): finish retires the old key right after the promotion, so
		// every live replica's own sinks must hold the new one first. A
		// rollback retires nothing.
		if err := ru.waitReplicas(ctx, p.N); err != nil {
			_ = ru.update(ctx, func(tx *state.Tx) error {
				tx.Secret.Journal.Step = state.StepDelivering
				tx.Secret.Journal.DeliveryAttempts++
				return nil
			})
			return fmt.Errorf("deliver: %w: new key %s is verified and this replica's sinks hold it: %w", ErrDeliveryPending, p.AccessKeyID, err)
		}
	}
	// Committed with the promotion: a crash before it delivers again, and
	// every sink's Put is idempotent.
	_ = ru.deferChange(func(tx *state.Tx) error {
		tx.Secret.Journal.Step = state.StepDelivered
		return nil
	})
	failpoint.Hit("delivered")
	return nil
}

// put tries one sink a few times with backoff.
func (ru *run) put(ctx context.Context, d Destination, c sink.Credential) error {
	return ru.retrySink(ctx, d.ID, func() error { return d.Sink.Put(ctx, c) })
}

// retrySink calls fn a few times with backoff, if the guard allows.
func (ru *run) retrySink(ctx context.Context, id string, fn func() error) error {
	if err := ru.guard(); err != nil {
		return err
	}
	var err error
	for n := 1; n <= ru.r.opts.DeliveryAttempts; n++ {
		if err = fn(); err == nil {
			return nil
		}
		ru.log.Warn("delivery failed", "step", "deliver", "sink", id, "attempt", n, "err", err)
		if n < ru.r.opts.DeliveryAttempts {
			if serr := ru.r.opts.Sleep(ctx, ru.backoff(n)); serr != nil {
				return serr
			}
		}
	}
	return err
}

// Committer is a two-phase sink: Put stages the new value, Commit makes it
// the destination's current one (Secrets Manager moves AWSCURRENT to it, and
// AWSPREVIOUS to the old one). Commit runs once every sink holds the new
// key, before the old key is retired; until it succeeds the rotation stays
// open, as for a failed delivery.
type Committer interface {
	Commit(ctx context.Context, c sink.Credential) error
}

// commit runs Commit on every two-phase sink that has not committed the
// pending version.
func (ru *run) commit(ctx context.Context) error {
	p := ru.st.Pending()
	if p == nil || p.Value.IsZero() {
		return fmt.Errorf("commit: the pending version is missing from the store")
	}
	cred := sink.Credential{Secret: ru.name(), Version: p.N, AccessKeyID: p.AccessKeyID, SecretAccessKey: p.Value}
	var failed []error
	for _, d := range ru.sec.Sinks {
		c, ok := d.Sink.(Committer)
		if _, done := p.Committed[d.ID]; !ok || done {
			continue
		}
		err := ru.retrySink(ctx, d.ID, func() error { return c.Commit(ctx, cred) })
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, fmt.Errorf("sink %s: %w", d.ID, err))
			continue
		}
		if err := ru.update(ctx, func(tx *state.Tx) error {
			v := tx.Secret.Pending()
			if v.Committed == nil {
				v.Committed = map[string]time.Time{}
			}
			v.Committed[d.ID] = ru.now()
			tx.Audit(tx.Secret.Journal.RotationID, "sink.committed", v.AccessKeyID, d.ID)
			return nil
		}); err != nil {
			return fmt.Errorf("commit: record %s: %w", d.ID, err)
		}
		ru.log.Info("committed", "step", "finish", "sink", d.ID, "access_key_id", p.AccessKeyID)
	}
	if len(failed) > 0 {
		return fmt.Errorf("commit: %w: new key %s is staged but %d sinks could not make it current; both keys stay valid: %w",
			ErrDeliveryPending, p.AccessKeyID, len(failed), errors.Join(failed...))
	}
	return nil
}

// promote makes the pending version current and the old current previous,
// once every two-phase sink has committed it.
func (ru *run) promote(ctx context.Context) error {
	if err := ru.commit(ctx); err != nil {
		return err
	}
	// Strict mode retires the old key in IAM next, and a lost create is
	// swept: the promotion must be durable first. Otherwise nothing happens
	// outside the store before finish, which commits both.
	record := ru.update
	if old := ru.st.ByKeyID(ru.st.Journal.CurrentKeyID); ru.cfg().Graceful() && !ru.st.Journal.Revoke && ru.st.Journal.CreateAttempts == 0 && old != nil {
		record = func(_ context.Context, fn func(tx *state.Tx) error) error { return ru.deferChange(fn) }
	}
	err := record(ctx, func(tx *state.Tx) error {
		s := tx.Secret
		p := s.Pending()
		if p == nil {
			return fmt.Errorf("the pending version is missing from the store")
		}
		for i := range s.Versions {
			v := &s.Versions[i]
			switch v.State {
			case state.Current:
				v.State, v.Replaced = state.Previous, ru.now()
			case state.Previous:
				retire(v, ru.now()) // its key was deleted when room was made
			}
		}
		p.State = state.Current
		s.Journal.Step = state.StepPromoted
		tx.Audit(s.Journal.RotationID, "version.promoted", p.AccessKeyID, fmt.Sprintf("version %d is current", p.N))
		return nil
	})
	if err != nil {
		return fmt.Errorf("promote: %w", err)
	}
	ru.log.Info("promoted new key", "step", "finish", "access_key_id", ru.st.Current().AccessKeyID)
	failpoint.Hit("promoted")
	return nil
}

// finish retires the old key in strict mode, removes any orphan an
// ambiguous create may have left, and closes the rotation.
func (ru *run) finish(ctx context.Context) error {
	j := ru.st.Journal
	old := ru.st.ByKeyID(j.CurrentKeyID)
	_, revoke := ru.revoking()
	// A rollback keeps the key it replaces valid, as a graceful rotation.
	strict := !revoke && !ru.cfg().Graceful() && !ru.rollingBack() && old != nil && old.State == state.Previous
	var hold *state.Hold // retire_when: unused found the old key in use
	forced := false
	if strict || revoke || j.CreateAttempts > 0 {
		c, err := ru.adminIAM()
		if err != nil {
			return fmt.Errorf("finish: %w", err)
		}
		if strict {
			if hold, forced, err = ru.checkUse(ctx, c, old, false); err != nil {
				return fmt.Errorf("finish: %w", err)
			}
			strict = hold == nil
		}
		if strict {
			if err := ru.retireOld(ctx, c, old.AccessKeyID); err != nil {
				return fmt.Errorf("finish: %w", err)
			}
		}
		if revoke {
			if err := ru.revokeOld(ctx, c, old.AccessKeyID); err != nil {
				return fmt.Errorf("finish: %w", err)
			}
		}
		if j.CreateAttempts > 0 {
			if err := ru.removeOrphans(ctx, c); err != nil {
				return fmt.Errorf("finish: %w", err)
			}
		}
	}
	ru.awsDone() // only the store is left
	finished, rollback := ru.eventKind("finished"), ru.rollingBack()
	err := ru.update(ctx, func(tx *state.Tx) error {
		s := tx.Secret
		if strict {
			v := s.ByKeyID(j.CurrentKeyID)
			retireAs(v, ru.cfg().Retire, ru.now())
			tx.Audit(j.RotationID, "key.retired", v.AccessKeyID, ru.cfg().Retire)
		}
		if revoke {
			ru.recordRevoke(tx, j)
		}
		if hold != nil {
			ru.recordHold(tx, j.RotationID, hold)
		}
		ru.settleHold(tx, j.RotationID, retiredID(strict, j.CurrentKeyID), forced && strict)
		prune(s, ru.cfg().MaxVersions)
		if !rollback { // the schedule still counts from the last rotation
			s.LastRotation = ru.now()
		}
		s.LastError, s.LastErrorAt = "", time.Time{}
		tx.Audit(j.RotationID, finished, s.Current().AccessKeyID, fmt.Sprintf("version %d", s.Current().N))
		s.Journal = nil
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish: record: %w", err)
	}
	ru.log.Info("rotation finished", "step", "finish", "access_key_id", ru.st.Current().AccessKeyID, "version", ru.st.Current().N)
	failpoint.Hit("finished")
	return nil
}

// retireOld deactivates the old key and, with retire: delete, deletes it.
// In the modes where the secret's own key signs, that is now the new key,
// which IAM may still be propagating: retry while it is not yet accepted.
func (ru *run) retireOld(ctx context.Context, ic *iam.Client, id string) error {
	user := ru.st.UserName
	if err := ru.retryAuth(ctx, func(cctx context.Context) error { return ru.deactivateKey(cctx, ic, user, id) }); err != nil {
		return err
	}
	ru.log.Info("deactivated old key", "step", "finish", "access_key_id", id)
	if ru.cfg().Retire == config.RetireDelete {
		if err := ru.retryAuth(ctx, func(cctx context.Context) error { return ru.deleteKey(cctx, ic, user, id) }); err != nil {
			return err
		}
		ru.log.Info("deleted old key", "step", "finish", "access_key_id", id)
	}
	failpoint.Hit("retired-in-iam")
	return nil
}

// prune wipes the values of versions older than the newest max.
func prune(s *state.Secret, max int) {
	if max <= 0 {
		max = config.DefaultMaxVersions
	}
	for i := 0; i < len(s.Versions)-max; i++ {
		s.Versions[i].Value = ""
	}
}
