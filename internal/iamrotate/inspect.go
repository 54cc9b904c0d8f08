package iamrotate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/failpoint"
	"github.com/rotatord/rotatord/internal/state"
)

// errBusy: a rotation of this secret is already open.
var errBusy = errors.New("a rotation of this secret is already open")

// begin records a new rotation and the current key id. A secret the store
// does not know yet gets its bootstrap key imported as version 1.
func (ru *run) begin(ctx context.Context, manual bool) error {
	if err := ru.importBootstrap(ctx); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	boot := ru.sec.Bootstrap
	// The journal is committed with inspect's findings: until then nothing
	// happened outside the store.
	id, started := newRotationID(), ru.now()
	err := ru.deferChange(func(tx *state.Tx) error {
		s := tx.Secret
		if s.Journal != nil && s.Journal.RotationID != id {
			return errBusy
		}
		cur := s.Current()
		s.Journal = &state.Journal{
			RotationID: id, Started: started, Step: state.StepBegun, Manual: manual, CurrentKeyID: cur.AccessKeyID,
		}
		why := "scheduled"
		if manual {
			why = "manual"
		}
		tx.Audit(id, "rotation.begun", cur.AccessKeyID, why)
		return nil
	})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	j := ru.st.Journal
	ru.log = ru.log.With("rotation_id", j.RotationID)
	if boot.ID != "" && boot.ID != j.CurrentKeyID && ru.st.ByKeyID(boot.ID) == nil {
		ru.log.Warn("the configured access_key_id is not a key rotatord knows; the state store wins",
			"configured_key_id", boot.ID, "current_key_id", j.CurrentKeyID)
	}
	ru.log.Info("rotation begun", "step", "begin", "current_key_id", j.CurrentKeyID, "manual", manual)
	failpoint.Hit("begun")
	return nil
}

// inspect finds the IAM user and lists its keys, detecting drift: the
// current key missing or inactive.
func (ru *run) inspect(ctx context.Context) error {
	c, err := ru.adminIAM()
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	j := ru.st.Journal
	user, arn := ru.st.UserName, ru.st.UserARN
	if user == "" || arn == "" {
		if user, arn, err = ru.findUser(ctx, c, j.CurrentKeyID); err != nil {
			return fmt.Errorf("inspect: %w", ru.ownKeyHint(err))
		}
	}
	keys, err := ru.listKeys(ctx, c, user)
	if err != nil {
		return fmt.Errorf("inspect: %w", ru.ownKeyHint(err))
	}
	if err := ru.checkOwners(ctx, user, arn, keys); err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	cur := findKey(keys, j.CurrentKeyID)
	drift := ""
	switch {
	case cur == nil:
		drift = "current key " + j.CurrentKeyID + " is missing in IAM"
	case cur.Status != types.StatusTypeActive:
		drift = "current key " + j.CurrentKeyID + " is " + strings.ToLower(string(cur.Status)) + " in IAM"
	}
	now := ru.now()
	// Committed with the next step that acts (deleting a key, or sending
	// CreateAccessKey): until then IAM saw only reads.
	err = ru.deferChange(func(tx *state.Tx) error {
		s := tx.Secret
		s.UserName, s.UserARN = user, arn
		s.Journal.KeysAtInspect = keyIDs(keys)
		s.Journal.Step = state.StepInspected
		if cur != nil && cur.CreateDate != nil {
			if s.LastRotation.IsZero() {
				s.LastRotation = cur.CreateDate.UTC()
			}
			if v := s.ByKeyID(j.CurrentKeyID); v != nil && v.Created.IsZero() {
				v.Created = cur.CreateDate.UTC()
			}
		}
		for i := range s.Versions {
			v := &s.Versions[i]
			if (v.State == state.Previous || v.State == state.Inactive) && findKey(keys, v.AccessKeyID) == nil {
				what := string(v.State)
				retire(v, now)
				tx.Audit(j.RotationID, "key.gone", v.AccessKeyID, what+" key no longer in IAM")
			}
		}
		if drift != "" {
			tx.Audit(j.RotationID, "drift.detected", j.CurrentKeyID, drift)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("inspect: record: %w", err)
	}
	if drift != "" {
		ru.log.Warn("drift detected", "step", "inspect", "detail", drift)
	}
	ru.log.Info("inspected", "step", "inspect", "user", user, "keys", strings.Join(keyIDs(keys), ","))
	failpoint.Hit("inspected")
	return nil
}

// findUser names the IAM user whose key is keyID, and its ARN. When the
// secret's own key signs, sts:GetCallerIdentity answers both and needs no
// permission (AWS's policy for users who rotate their own keys grants no
// iam:GetUser). With the target's credentials, GetAccessKeyLastUsed names
// the user (unless user_name does) and GetUser gives its ARN.
func (ru *run) findUser(ctx context.Context, c *iam.Client, keyID string) (name, arn string, err error) {
	if ru.usesOwnKey() {
		return ru.whoAmI(ctx, keyID)
	}
	name = ru.cfg().UserName
	if name == "" {
		cctx, cancel := ru.callCtx(ctx)
		out, err := c.GetAccessKeyLastUsed(cctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)})
		cancel()
		if err != nil {
			hint := ""
			if apiCode(err) == "AccessDenied" {
				hint = "; IAM also answers AccessDenied for a key that no longer exists: if it was deleted outside rotatord, set user_name for this secret"
			}
			return "", "", fmt.Errorf("find the user of access key %s: %w%s", keyID, err, hint)
		}
		name = aws.ToString(out.UserName)
	}
	cctx, cancel := ru.callCtx(ctx)
	defer cancel()
	out, err := c.GetUser(cctx, &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		return "", "", fmt.Errorf("get user %s: %w", name, err)
	}
	if out.User == nil || aws.ToString(out.User.Arn) == "" {
		return "", "", fmt.Errorf("get user %s: empty answer", name)
	}
	return aws.ToString(out.User.UserName), aws.ToString(out.User.Arn), nil
}

// whoAmI asks STS whose the current key is.
func (ru *run) whoAmI(ctx context.Context, keyID string) (name, arn string, err error) {
	creds, err := ru.adminCredentials()
	if err != nil {
		return "", "", err
	}
	cfg := ru.sec.AWS.Copy()
	cfg.Credentials = creds
	cctx, cancel := ru.callCtx(ctx)
	defer cancel()
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(cctx, nil)
	if err != nil {
		return "", "", fmt.Errorf("find the user of access key %s: %w", keyID, err)
	}
	arn = aws.ToString(out.Arn)
	name, ok := userFromARN(arn)
	if !ok {
		return "", "", fmt.Errorf("access key %s belongs to %s, which is not an IAM user", keyID, arn)
	}
	if want := ru.cfg().UserName; want != "" && want != name {
		return "", "", fmt.Errorf("access key %s belongs to IAM user %s, but user_name says %s", keyID, name, want)
	}
	return name, arn, nil
}

// userFromARN returns the user name of an IAM user ARN
// (arn:PARTITION:iam::ACCOUNT:user/PATH/NAME).
func userFromARN(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "user/") {
		return "", false
	}
	res := parts[5]
	return res[strings.LastIndex(res, "/")+1:], true
}

// makeRoom leaves the user at most one key besides the one to create: keys
// other than the current one are deleted when rotatord issued them (oldest
// first), and keys it never issued only with adopt_unknown_keys.
func (ru *run) makeRoom(ctx context.Context) error {
	c, err := ru.adminIAM()
	if err != nil {
		return fmt.Errorf("make room: %w", err)
	}
	j, user := ru.st.Journal, ru.st.UserName
	keys := ru.keys
	if keys == nil {
		if keys, err = ru.listKeys(ctx, c, user); err != nil {
			return fmt.Errorf("make room: %w", err)
		}
	}
	if ru.foreign == nil { // resumed: ask again before deleting anything
		if err := ru.checkOwners(ctx, user, ru.st.UserARN, keys); err != nil {
			return fmt.Errorf("make room: %w", err)
		}
	}
	doomed, err := ru.chooseDoomed(keys, j.CurrentKeyID)
	if err != nil {
		return fmt.Errorf("make room: %w", err)
	}
	forced, err := ru.holdRoom(ctx, c, keyIDs(doomed))
	if err != nil {
		return fmt.Errorf("make room: %w", err)
	}
	if issued := ru.issued(doomed); issued && ru.st.Current() != nil {
		// Checked at the start too; a replica may have fallen behind since.
		if err := ru.waitReplicas(ctx, ru.st.Current().N); err != nil {
			return fmt.Errorf("make room: %w", err)
		}
	}
	for _, k := range doomed {
		if err := ru.deleteKey(ctx, c, user, aws.ToString(k.AccessKeyId)); err != nil {
			return fmt.Errorf("make room: %w", err)
		}
		ru.log.Info("deleted key to make room", "step", "make-room", "access_key_id", aws.ToString(k.AccessKeyId))
	}
	record := ru.update
	if len(doomed) == 0 {
		record = func(_ context.Context, fn func(tx *state.Tx) error) error { return ru.deferChange(fn) }
	}
	err = record(ctx, func(tx *state.Tx) error {
		s := tx.Secret
		for _, k := range doomed {
			id := aws.ToString(k.AccessKeyId)
			if v := s.ByKeyID(id); v != nil {
				retire(v, ru.now())
			}
			tx.Audit(j.RotationID, "key.deleted", id, "make room for the new key")
			ru.settleHold(tx, j.RotationID, id, forced[id])
		}
		s.Journal.Step = state.StepRoomMade
		return nil
	})
	if err != nil {
		return fmt.Errorf("make room: record: %w", err)
	}
	ru.keys = nil
	failpoint.Hit("room-made")
	return nil
}

// issued reports whether one of keys is a version rotatord issued.
func (ru *run) issued(keys []types.AccessKeyMetadata) bool {
	for _, k := range keys {
		if ru.st.ByKeyID(aws.ToString(k.AccessKeyId)) != nil {
			return true
		}
	}
	return false
}

// chooseDoomed picks the keys to delete so that one key slot is free. A
// key another secret or a target holds is never picked.
func (ru *run) chooseDoomed(keys []types.AccessKeyMetadata, currentID string) ([]types.AccessKeyMetadata, error) {
	need := len(keys) - 1
	if need <= 0 {
		return nil, nil
	}
	var known, unknown, foreign []types.AccessKeyMetadata
	for _, k := range keys {
		id := aws.ToString(k.AccessKeyId)
		switch {
		case id == currentID:
		case ru.foreign[id] != "":
			foreign = append(foreign, k)
		case ru.st.ByKeyID(id) != nil:
			known = append(known, k)
		default:
			unknown = append(unknown, k)
		}
	}
	oldestFirst := func(ks []types.AccessKeyMetadata) {
		sort.SliceStable(ks, func(a, b int) bool {
			return aws.ToTime(ks[a].CreateDate).Before(aws.ToTime(ks[b].CreateDate))
		})
	}
	oldestFirst(known)
	oldestFirst(unknown)
	doomed := known[:min(need, len(known))]
	rest := need - len(doomed)
	if rest > 0 && len(unknown) > 0 {
		if !ru.cfg().AdoptUnknownKeys {
			ids := keyIDs(unknown)
			return nil, fmt.Errorf("%w: IAM user %s holds %s besides the current key %s; delete it in IAM yourself, or set adopt_unknown_keys: true to let rotatord delete it",
				ErrUnknownKey, ru.st.UserName, strings.Join(ids, " and "), currentID)
		}
		take := min(rest, len(unknown))
		doomed = append(slices.Clone(doomed), unknown[:take]...)
		rest -= take
	}
	if rest > 0 && len(foreign) > 0 {
		return nil, ru.foreignKeyError(foreign, currentID)
	}
	return doomed, nil
}

// retire marks a version retired and wipes its value.
func retire(v *state.Version, now time.Time) {
	v.State = state.Retired
	v.Value = ""
	v.Retired = now
}

// retireAs records the retirement of a version whose key retireOld has
// just deactivated, and deleted unless the secret retires with deactivate:
// a key only deactivated stays Inactive, its value sealed, so that a
// rollback can reactivate it; a deleted one is Retired and wiped.
func retireAs(v *state.Version, how string, now time.Time) {
	if how != config.RetireDeactivate {
		retire(v, now)
		return
	}
	v.State = state.Inactive
	v.Retired = now
}

// ownKeyHint explains an authentication failure of a rotation signed with
// the secret's own key: that key no longer works, so it cannot rotate
// itself.
func (ru *run) ownKeyHint(err error) error {
	if !ru.usesOwnKey() || !slices.Contains([]string{"InvalidClientTokenId", "SignatureDoesNotMatch"}, apiCode(err)) {
		return err
	}
	next := "reactivate the key in IAM"
	if ru.cfg().RotatorType == config.RotatorAPIKey {
		next = "rotate once with authentication_credentials: use-target-creds, or " + next
	}
	return fmt.Errorf("%w; AWS rejects the current key %s, which signs this rotation: it was deleted, deactivated or replaced outside rotatord; %s",
		err, ru.st.Journal.CurrentKeyID, next)
}
