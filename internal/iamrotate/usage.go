package iamrotate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/state"
)

// ErrRetirementHeld: a rotation's make-room found the key it would delete
// still in use (retire_when: unused). Nothing changed in IAM; the rotation
// was closed and waits, recorded as the secret's Held.
var ErrRetirementHeld = errors.New("retirement held: the key to delete is still in use")

// DefaultUsageLag is how long after a use IAM's last-use information may
// still not show it. AWS documents that the information lags, by up to
// about four hours; until that long after the new key reached every sink,
// a key IAM shows as unused since then is not yet proven unused.
const DefaultUsageLag = 4 * time.Hour

// usageCoalescing is the span in which IAM records only the first use of a
// key (15 minutes): a use at most that long after a recorded one may never
// show.
const usageCoalescing = 15 * time.Minute

// DefaultUsageQuiet is how long IAM must have shown no use of a replaced
// key, after its replacement, before the key counts as unused: a consumer
// that uses the key at least once a day (a nightly job) shows in it.
const DefaultUsageQuiet = 24 * time.Hour

// DefaultLookEvery is how often a held retirement is looked at again.
const DefaultLookEvery = time.Hour

// noticeEvery is how often retirement.held is sent again while held.
const noticeEvery = 24 * time.Hour

// keyUse is IAM's last use of a key; at is zero if IAM shows none.
type keyUse struct {
	at              time.Time
	service, region string
}

// lastUse asks IAM when key id was last used. gone is true when the key no
// longer exists (IAM answers AccessDenied then, as for a missing
// permission; ListAccessKeys tells them apart).
func (ru *run) lastUse(ctx context.Context, c *iam.Client, id string) (u keyUse, gone bool, err error) {
	cctx, cancel := ru.callCtx(ctx)
	out, err := c.GetAccessKeyLastUsed(cctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
	cancel()
	if err != nil {
		if keys, lerr := ru.listKeys(ctx, c, ru.st.UserName); lerr == nil && findKey(keys, id) == nil {
			return keyUse{}, true, nil
		}
		return keyUse{}, false, fmt.Errorf("ask IAM when access key %s was last used (retire_when: unused needs iam:GetAccessKeyLastUsed): %w", id, err)
	}
	if l := out.AccessKeyLastUsed; l != nil && l.LastUsedDate != nil {
		u = keyUse{at: l.LastUsedDate.UTC(), service: aws.ToString(l.ServiceName), region: aws.ToString(l.Region)}
	}
	return u, false, nil
}

// checkUse decides whether the retirement of v, a key that a newer one
// replaced, is held (retire_when: unused). It returns the hold to record,
// or nil to retire the key now; forced is true when a hold ran past
// retire_max_wait before the key was proven unused and it is retired
// anyway. It only reads.
//
// IAM's last use of the key after v was replaced (the commit that made its
// successor current, once every sink held it) proves a consumer still has
// it. Its absence proves nothing until IAM has shown no use for the quiet
// span: IAM would show a use made from the later of the replacement and
// the end of its 15-minute coalescing of the last use, and it shows a use
// only the usage lag after it was made. The key is retired once lag and
// quiet span have passed since that start with no newer use shown.
func (ru *run) checkUse(ctx context.Context, c *iam.Client, v *state.Version, rotation bool) (hold *state.Hold, forced bool, err error) {
	if ru.cfg().RetireWhen != config.RetireWhenUnused {
		return nil, false, nil
	}
	u, gone, err := ru.lastUse(ctx, c, v.AccessKeyID)
	if err != nil || gone {
		return nil, false, err
	}
	now := ru.now()
	prev := ru.st.Held
	if prev != nil && prev.KeyID != v.AccessKeyID {
		prev = nil
	}
	replaced := v.Replaced
	if replaced.IsZero() { // not recorded: count from the first look
		replaced = now
		if prev != nil {
			replaced = prev.Since
		}
	}
	inUse := !u.at.IsZero() && u.at.After(replaced)
	settled := replaced
	if !u.at.IsZero() && u.at.Add(usageCoalescing).After(settled) {
		settled = u.at.Add(usageCoalescing)
	}
	settled = settled.Add(ru.r.opts.UsageQuiet + ru.r.opts.UsageLag)
	if !now.Before(settled) {
		return nil, false, nil
	}
	unsettled := !inUse
	h := &state.Hold{KeyID: v.AccessKeyID, Since: now, LastUsed: u.at, Service: u.service, Region: u.region,
		Unsettled: unsettled, Rotation: rotation}
	if prev != nil {
		h.Since, h.Notified, h.Rotation = prev.Since, prev.Notified, prev.Rotation || rotation
	}
	deadline := h.Since.Add(ru.cfg().RetireMaxWait.D())
	if !now.Before(deadline) {
		if ru.cfg().RetireOnTimeout != config.RetireOnTimeoutKeep {
			return nil, true, nil
		}
		h.Kept = true
	}
	next := now.Add(ru.r.opts.LookEvery)
	if settled.Before(next) {
		next = settled
	}
	if !h.Kept && deadline.Before(next) {
		next = deadline
	}
	h.NextLook, h.Settles = next, settled
	return h, false, nil
}

// recordHold writes h as the secret's held retirement, with a
// retirement.held event when the key was first seen in use, and daily
// after while it stays in use. tx belongs to this run.
func (ru *run) recordHold(tx *state.Tx, rotationID string, h *state.Hold) {
	now := ru.now()
	old := tx.Secret.Held
	fresh := old == nil || old.KeyID != h.KeyID || old.Unsettled
	if !h.Unsettled && (fresh || now.Sub(h.Notified) >= noticeEvery) {
		h.Notified = now
		tx.Audit(rotationID, config.EventRetirementHeld, h.KeyID, h.Describe(now))
	}
	tx.Secret.Held = h
}

// settleHold records the end of the hold on key id, which was just
// retired ("": none was): forced (retire_max_wait passed before it was
// proven unused) sends retirement.forced. It also drops a hold whose key
// is no longer a previous version (rolled back to, revoked, or gone from
// IAM).
func (ru *run) settleHold(tx *state.Tx, rotationID, id string, forced bool) {
	s := tx.Secret
	if forced {
		what := "retire_max_wait passed before the key was proven unused"
		if h := s.Held; h != nil && h.KeyID == id && !h.LastUsed.IsZero() {
			what += fmt.Sprintf(" (last used %s in %s, %s)", h.LastUsed.Format(time.RFC3339), h.Service, h.Region)
		}
		tx.Audit(rotationID, config.EventRetirementForced, id, what)
	}
	if h := s.Held; h != nil {
		if v := s.ByKeyID(h.KeyID); id != "" && h.KeyID == id || v == nil || v.State != state.Previous {
			s.Held = nil
		}
	}
}

// retiredID is id if retired, else "".
func retiredID(retired bool, id string) string {
	if retired {
		return id
	}
	return ""
}

// holdRoom asks IAM about each rotatord-issued key that make-room would
// delete (retire_when: unused). If one is in use, or not yet proven
// unused, the hold is recorded, the rotation closed without any change in
// IAM, and ErrRetirementHeld returned. Otherwise it returns the keys whose
// hold ran past retire_max_wait (deleted anyway: retirement.forced).
func (ru *run) holdRoom(ctx context.Context, c *iam.Client, doomed []string) (forced map[string]bool, err error) {
	j := ru.st.Journal
	if ru.cfg().RetireWhen != config.RetireWhenUnused || j.Revoke {
		return nil, nil
	}
	for _, id := range doomed {
		v := ru.st.ByKeyID(id)
		if v == nil || v.State != state.Previous {
			continue
		}
		hold, f, err := ru.checkUse(ctx, c, v, true)
		if err != nil {
			return nil, err
		}
		if f {
			if forced == nil {
				forced = map[string]bool{}
			}
			forced[id] = true
		}
		if hold == nil {
			continue
		}
		desc := hold.Describe(ru.now())
		err = ru.update(ctx, func(tx *state.Tx) error {
			ru.recordHold(tx, j.RotationID, hold)
			tx.Audit(j.RotationID, "rotation.deferred", id, "retirement held: "+desc)
			tx.Secret.Journal = nil
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("record held retirement: %w", err)
		}
		ru.log.Warn("rotation waits: the key it would delete is still in use", "access_key_id", id, "held", desc, "next_look", hold.NextLook)
		return nil, fmt.Errorf("%w: %s is kept (%s); looking again at %s", ErrRetirementHeld, id, desc, hold.NextLook.Format(time.RFC3339))
	}
	return forced, nil
}

// holdPrevious records the held retirement of the previous key (grace
// period over, or a strict rotation's old key).
func (ru *run) holdPrevious(ctx context.Context, h *state.Hold) error {
	err := ru.update(ctx, func(tx *state.Tx) error {
		if v := tx.Secret.ByKeyID(h.KeyID); v == nil || v.State != state.Previous {
			return nil // retired meanwhile
		}
		ru.recordHold(tx, "", h)
		return nil
	})
	if err != nil {
		return fmt.Errorf("retire previous key of %s: record held retirement: %w", ru.name(), err)
	}
	ru.log.Info("retirement held", "access_key_id", h.KeyID, "held", h.Describe(ru.now()), "next_look", h.NextLook)
	return nil
}

// dropStaleHold forgets a held retirement whose key is no longer a
// previous version.
func (ru *run) dropStaleHold(ctx context.Context) error {
	if ru.st.Held == nil {
		return nil
	}
	return ru.update(ctx, func(tx *state.Tx) error {
		ru.settleHold(tx, "", "", false)
		return nil
	})
}
