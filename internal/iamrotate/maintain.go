package iamrotate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
	"github.com/rotatord/rotatord/internal/state"
)

// Discover records the age of a secret rotatord never rotated: the IAM
// user, and the current key's CreateDate as the last rotation, so that the
// schedule knows when it falls due. It does nothing for a secret whose last
// rotation is known, and changes nothing in IAM.
func (r *Rotator) Discover(ctx context.Context, sec Spec) (*state.Secret, error) {
	name := sec.Config.Name
	ru := &run{r: r, sec: sec, log: r.opts.Logger.With("secret", name)}
	if err := ru.load(ctx); err != nil {
		return nil, fmt.Errorf("discover %s: %w", name, err)
	}
	if !ru.st.LastRotation.IsZero() || ru.st.Journal != nil {
		return ru.st, nil
	}
	if err := ru.importBootstrap(ctx); err != nil {
		return nil, fmt.Errorf("discover %s: %w", name, err)
	}
	c, err := ru.adminIAM()
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", name, err)
	}
	cur := ru.st.Current()
	user, arn, err := ru.findUser(ctx, c, cur.AccessKeyID)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", name, err)
	}
	keys, err := ru.listKeys(ctx, c, user)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", name, err)
	}
	if err := ru.checkOwners(ctx, user, arn, keys); err != nil {
		return nil, fmt.Errorf("discover %s: %w", name, ru.recordRefusal(ctx, err))
	}
	k := findKey(keys, cur.AccessKeyID)
	err = ru.update(ctx, func(tx *state.Tx) error {
		s := tx.Secret
		s.UserName, s.UserARN = user, arn
		if k == nil || k.CreateDate == nil {
			tx.Audit("", "drift.detected", cur.AccessKeyID, "current key is missing in IAM")
			return nil
		}
		s.LastRotation = k.CreateDate.UTC()
		if v := s.ByKeyID(cur.AccessKeyID); v != nil && v.Created.IsZero() {
			v.Created = s.LastRotation
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("discover %s: record: %w", name, err)
	}
	if k == nil {
		ru.log.Warn("drift detected: the current key is missing in IAM; rotating repairs it", "access_key_id", cur.AccessKeyID)
	} else {
		ru.log.Info("discovered key age", "user", user, "access_key_id", cur.AccessKeyID, "created", aws.ToTime(k.CreateDate))
	}
	return ru.st, nil
}

// importBootstrap stores the configured key as version 1 of a secret the
// store does not know yet.
func (ru *run) importBootstrap(ctx context.Context) error {
	if ru.st.Current() != nil {
		return nil
	}
	boot := ru.sec.Bootstrap
	if boot.ID == "" {
		return fmt.Errorf("%w: the store holds no version and the configuration gives no access_key_id", ErrNoKey)
	}
	secret, err := boot.value()
	if err != nil {
		return fmt.Errorf("bootstrap key %s: %w", boot.ID, err)
	}
	return ru.update(ctx, func(tx *state.Tx) error {
		s := tx.Secret
		if s.Current() != nil {
			return nil
		}
		s.Versions = append(s.Versions, state.Version{
			N: s.NextN(), AccessKeyID: boot.ID, State: state.Current, Value: secret, Imported: true,
		})
		tx.Audit("", "version.imported", boot.ID, "bootstrap key from the configuration")
		return nil
	})
}

// RetirePrevious removes a graceful secret's previous key once its
// grace_period is over: deactivated, then deleted (or left inactive with
// retire: deactivate). It does nothing while a rotation is open (make-room
// deletes that key anyway) or when there is no previous key.
func (r *Rotator) RetirePrevious(ctx context.Context, sec Spec) error {
	name := sec.Config.Name
	ru := &run{r: r, sec: sec, log: r.opts.Logger.With("secret", name)}
	if err := ru.load(ctx); err != nil {
		return fmt.Errorf("retire previous key of %s: %w", name, err)
	}
	prev := ru.st.Previous()
	if ru.st.Journal != nil {
		return nil
	}
	if prev == nil || ru.st.Held != nil && ru.st.Held.KeyID != prev.AccessKeyID {
		return ru.dropStaleHold(ctx) // never retire a key before its time for a stale look
	}
	id := prev.AccessKeyID
	if cur := ru.st.Current(); cur != nil {
		if err := ru.waitReplicas(ctx, cur.N); err != nil {
			return fmt.Errorf("retire previous key of %s: %w", name, err)
		}
	}
	revoked := !prev.RevokeAt.IsZero()
	c, err := ru.adminIAM()
	var hold *state.Hold
	forced := false
	if err == nil && !revoked {
		hold, forced, err = ru.checkUse(ctx, c, prev, false)
	}
	switch {
	case err == nil && hold != nil:
		return ru.holdPrevious(ctx, hold)
	case err == nil && revoked:
		err = ru.deleteRevoked(ctx, c, id)
	case err == nil:
		err = ru.retireOld(ctx, c, id)
	}
	if err != nil {
		return fmt.Errorf("retire previous key of %s: %w", name, err)
	}
	err = ru.update(ctx, func(tx *state.Tx) error {
		if v := tx.Secret.ByKeyID(id); v != nil && v.State == state.Previous {
			how := sec.Config.Retire
			if revoked {
				how = config.RetireDelete // deleteRevoked deleted it
			}
			retireAs(v, how, ru.now())
		}
		ru.settleHold(tx, "", id, forced)
		if revoked {
			tx.Audit("", "key.retired", id, "revoked: deleted after --revoke-after")
			return nil
		}
		tx.Audit("", "key.retired", id, "grace period over ("+sec.Config.Retire+")")
		return nil
	})
	if err != nil {
		return fmt.Errorf("retire previous key of %s: record: %w", name, err)
	}
	return nil
}

// Holder is a sink that can tell whether it already holds a credential.
type Holder interface {
	Holds(ctx context.Context, c sink.Credential) (bool, error)
}

// Refresh writes the current version to every sink that lacks it: a file
// on a tmpfs after a reboot, a new pod's empty volume, a sink added to the
// configuration. A sink that can tell (Holder) is checked; one that cannot
// is written only if the store has no delivery of this version to it. It
// does nothing while a rotation is open: that rotation delivers. It
// returns how many sinks it wrote.
//
// On a store replicas share (sec.Replicas), this replica's host-local
// sinks are its own to keep: they get the version they must hold (see
// localVersion) even while another replica's rotation is open, and once
// they all hold it, it is acknowledged.
func (r *Rotator) Refresh(ctx context.Context, sec Spec) (int, error) {
	name := sec.Config.Name
	ru := &run{r: r, sec: sec, log: r.opts.Logger.With("secret", name)}
	if err := ru.load(ctx); err != nil {
		return 0, fmt.Errorf("refresh sinks of %s: %w", name, err)
	}
	local := 0
	if sec.Replicas != nil && hasLocal(sec.Sinks) {
		n, err := ru.refreshLocal(ctx)
		if err != nil {
			return n, fmt.Errorf("refresh sinks of %s: %w", name, err)
		}
		local = n
	}
	cur := ru.st.Current()
	if ru.st.Journal != nil || cur == nil || cur.Value.IsZero() {
		return local, nil
	}
	cred := sink.Credential{Secret: name, Version: cur.N, AccessKeyID: cur.AccessKeyID, SecretAccessKey: cur.Value}
	var wrote []string
	var errs []error
	for _, d := range sec.Sinks {
		if d.Local && sec.Replicas != nil {
			continue // refreshLocal's
		}
		lacks := false
		if h, ok := d.Sink.(Holder); ok {
			holds, err := h.Holds(ctx, cred)
			lacks = err != nil || !holds
		} else {
			_, delivered := cur.Delivered[d.ID]
			lacks = !delivered
		}
		if !lacks {
			continue
		}
		err := ru.put(ctx, d, cred)
		if c, ok := d.Sink.(Committer); ok && err == nil {
			err = ru.retrySink(ctx, d.ID, func() error { return c.Commit(ctx, cred) })
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("sink %s: %w", d.ID, err))
			continue
		}
		wrote = append(wrote, d.ID)
		ru.log.Info("sink lacked the current key; written", "sink", d.ID, "access_key_id", cur.AccessKeyID)
	}
	if len(wrote) > 0 {
		err := ru.update(ctx, func(tx *state.Tx) error {
			v := tx.Secret.ByKeyID(cur.AccessKeyID)
			if v == nil {
				return nil
			}
			if v.Delivered == nil {
				v.Delivered = map[string]time.Time{}
			}
			for _, id := range wrote {
				v.Delivered[id] = ru.now()
				tx.Audit("", "sink.refreshed", v.AccessKeyID, id)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("record: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return local + len(wrote), fmt.Errorf("refresh sinks of %s: %w", name, err)
	}
	return local + len(wrote), nil
}

// refreshLocal writes the version this replica's host-local sinks must
// hold to each that lacks it, and acknowledges it once all hold it. It
// records no delivery: a local sink's ID names every replica's copy.
func (ru *run) refreshLocal(ctx context.Context) (int, error) {
	v := localVersion(ru.st)
	if v == nil || v.Value.IsZero() {
		return 0, nil
	}
	cred := sink.Credential{Secret: ru.name(), Version: v.N, AccessKeyID: v.AccessKeyID, SecretAccessKey: v.Value}
	wrote := 0
	var errs []error
	for _, d := range ru.sec.Sinks {
		if !d.Local {
			continue
		}
		if h, ok := d.Sink.(Holder); ok {
			if holds, err := h.Holds(ctx, cred); err == nil && holds {
				continue
			}
		}
		if err := ru.put(ctx, d, cred); err != nil {
			errs = append(errs, fmt.Errorf("sink %s: %w", d.ID, err))
			continue
		}
		wrote++
		ru.log.Info("this replica's sink lacked the key; written", "sink", d.ID, "access_key_id", v.AccessKeyID, "version", v.N)
	}
	if err := errors.Join(errs...); err != nil {
		return wrote, err
	}
	return wrote, ru.acknowledge(ctx, v.N)
}
