package iamrotate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/state"
)

// run is one Rotate call: the secret, its state as last persisted, and what
// the steps learned on the way.
type run struct {
	r   *Rotator
	sec Spec
	log *slog.Logger
	// st is the state as last written to the store, with the deferred
	// changes applied.
	st *state.Secret
	// deferred are changes of steps that need no commit of their own:
	// nothing happened in IAM or a sink since the last commit, so a crash
	// before the next commit only repeats harmless work. The next commit
	// carries them.
	deferred []func(tx *state.Tx) error
	// keys is IAM's answer to the last ListAccessKeys, nil if not fetched
	// in this run.
	keys []types.AccessKeyMetadata
	// foreign maps the user's keys that another secret or a target holds
	// to that holder (see checkOwners); nil until this run asked.
	foreign map[string]string
}

// deferChange applies fn to the in-memory state now and to the store with
// the next commit. fn must only modify tx and may run more than once.
func (ru *run) deferChange(fn func(tx *state.Tx) error) error {
	if err := fn(state.NewTx(ru.st, ru.r.opts.Now)); err != nil {
		return err
	}
	ru.deferred = append(ru.deferred, fn)
	return nil
}

func (ru *run) name() string               { return ru.sec.Config.Name }
func (ru *run) now() time.Time             { return ru.r.opts.Now().UTC() }
func (ru *run) cfg() *config.RotatedSecret { return ru.sec.Config }

// load reads the secret's state; a secret the store does not know starts
// empty.
func (ru *run) load(ctx context.Context) error {
	st, err := ru.store().Get(ctx, ru.name())
	if errors.Is(err, state.ErrNotFound) {
		st, err = &state.Secret{Name: ru.name()}, nil
	}
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	ru.st = st
	return nil
}

// update applies the deferred changes and fn to the stored state durably
// and keeps the result as ru.st. fn may run more than once; it must only
// modify tx.
func (ru *run) update(ctx context.Context, fn func(tx *state.Tx) error) error {
	var written *state.Secret
	var events []state.Event
	var ours string // this run's rotation, if it has one
	if ru.st.Journal != nil {
		ours = ru.st.Journal.RotationID
	}
	err := ru.store().Update(ctx, ru.name(), func(tx *state.Tx) error {
		for _, d := range ru.deferred {
			if err := d(tx); err != nil {
				return err
			}
		}
		// The stored state (with what this run has not committed yet)
		// must still hold this run's rotation.
		if j := tx.Secret.Journal; ours != "" && (j == nil || j.RotationID != ours) {
			return fmt.Errorf("rotation %s: %w", ours, ErrTakenOver)
		}
		if err := fn(tx); err != nil {
			return err
		}
		written, events = tx.Secret, tx.Events
		return nil
	})
	if err != nil {
		return err
	}
	ru.st, ru.deferred = written, nil
	if obs := ru.r.opts.Observe; obs != nil {
		for _, e := range events {
			obs(e)
		}
	}
	return nil
}

// callCtx bounds one AWS call.
func (ru *run) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, ru.r.opts.CallTimeout)
}

// usesOwnKey reports whether the secret's own current key signs its
// rotation: use-user-creds, and the target rotator (whose own key is the
// target's).
func (ru *run) usesOwnKey() bool {
	c := ru.cfg()
	return c.AuthenticationCredentials == config.UseUserCreds || c.RotatorType == config.RotatorTarget
}

// adminCredentials are the credentials that manage the user's keys now: the
// secret's current key (after promotion, the new one) or the target's.
func (ru *run) adminCredentials() (aws.CredentialsProvider, error) {
	if !ru.usesOwnKey() {
		if ru.sec.TargetCredentials == nil {
			return nil, fmt.Errorf("target %s has no credentials", ru.cfg().Target)
		}
		return ru.sec.TargetCredentials, nil
	}
	cur := ru.st.Current()
	if cur == nil {
		return nil, ErrNoKey
	}
	if cur.Value.IsZero() {
		return nil, fmt.Errorf("%w: the secret access key of current key %s is unknown; set secret_access_key_file for this secret", ErrNoKey, cur.AccessKeyID)
	}
	return staticCredentials(cur.AccessKeyID, cur.Value), nil
}

func staticCredentials(id string, secret config.SecretValue) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(id, secret.Reveal(), "")
}

// adminIAM is an IAM client signed with adminCredentials.
func (ru *run) adminIAM() (*iam.Client, error) {
	if !ru.usesOwnKey() && ru.sec.TargetIAM != nil {
		return ru.sec.TargetIAM, nil
	}
	creds, err := ru.adminCredentials()
	if err != nil {
		return nil, err
	}
	c := ru.sec.AWS.Copy()
	c.Credentials = creds
	return iam.NewFromConfig(c), nil
}

// stsWithKey is an STS client signed with the given key and no SDK retries:
// verify retries by itself.
func (ru *run) stsWithKey(id string, secret config.SecretValue) *sts.Client {
	c := ru.sec.AWS.Copy()
	c.Credentials = staticCredentials(id, secret)
	c.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return sts.NewFromConfig(c)
}

// listKeys returns the user's access keys.
func (ru *run) listKeys(ctx context.Context, c *iam.Client, user string) ([]types.AccessKeyMetadata, error) {
	var out []types.AccessKeyMetadata
	p := iam.NewListAccessKeysPaginator(c, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		cctx, cancel := ru.callCtx(ctx)
		page, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list access keys of %s: %w", user, err)
		}
		out = append(out, page.AccessKeyMetadata...)
	}
	ru.keys = out
	return out, nil
}

// deleteKey deletes a key of the user, if the guard allows; a key already
// gone is success.
func (ru *run) deleteKey(ctx context.Context, c *iam.Client, user, id string) error {
	if err := ru.guard(); err != nil {
		return fmt.Errorf("delete access key %s of %s: %w", id, user, err)
	}
	return ru.deleteOwnKey(ctx, c, user, id)
}

// deleteOwnKey deletes a key this rotation created and could not record,
// guard or not: no one else knows it.
func (ru *run) deleteOwnKey(ctx context.Context, c *iam.Client, user, id string) error {
	cctx, cancel := ru.callCtx(ctx)
	defer cancel()
	_, err := c.DeleteAccessKey(cctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id)})
	if err != nil && !isNoSuchEntity(err) {
		return fmt.Errorf("delete access key %s of %s: %w", id, user, err)
	}
	return nil
}

// deactivateKey sets a key of the user inactive; a key already gone is
// success.
func (ru *run) deactivateKey(ctx context.Context, c *iam.Client, user, id string) error {
	if err := ru.guard(); err != nil {
		return fmt.Errorf("deactivate access key %s of %s: %w", id, user, err)
	}
	cctx, cancel := ru.callCtx(ctx)
	defer cancel()
	_, err := c.UpdateAccessKey(cctx, &iam.UpdateAccessKeyInput{
		UserName: aws.String(user), AccessKeyId: aws.String(id), Status: types.StatusTypeInactive,
	})
	if err != nil && !isNoSuchEntity(err) {
		return fmt.Errorf("deactivate access key %s of %s: %w", id, user, err)
	}
	return nil
}

// backoff returns the delay before retry number n (from 1).
func (ru *run) backoff(n int) time.Duration {
	d := ru.r.opts.RetryBase
	for i := 1; i < n && d < ru.r.opts.RetryMax; i++ {
		d *= 2
	}
	return min(d, ru.r.opts.RetryMax)
}

// retryAuth calls fn until it succeeds, fails with an error that is neither
// a not-yet-valid key nor throttling, or the verify timeout passes. It
// returns fn's last error.
func (ru *run) retryAuth(ctx context.Context, fn func(ctx context.Context) error) error {
	deadline := ru.now().Add(ru.cfg().VerifyTimeout.D())
	for n := 1; ; n++ {
		cctx, cancel := ru.callCtx(ctx)
		err := fn(cctx)
		cancel()
		if err == nil || !(notAuthenticatedYet(err) || isThrottled(err)) || ctx.Err() != nil {
			return err
		}
		d := ru.backoff(n)
		if ru.now().Add(d).After(deadline) {
			return fmt.Errorf("still failing after %d attempts over %s: %w", n, ru.cfg().VerifyTimeout.D(), err)
		}
		if serr := ru.r.opts.Sleep(ctx, d); serr != nil {
			return serr
		}
	}
}

func keyIDs(keys []types.AccessKeyMetadata) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = aws.ToString(k.AccessKeyId)
	}
	return ids
}

func findKey(keys []types.AccessKeyMetadata, id string) *types.AccessKeyMetadata {
	for i := range keys {
		if aws.ToString(keys[i].AccessKeyId) == id {
			return &keys[i]
		}
	}
	return nil
}
