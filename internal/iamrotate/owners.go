package iamrotate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rotatord/rotatord/internal/state"
)

// ErrOwned: the secret's IAM user, or a key of it, belongs to another
// configured secret (or is a target's own key). One IAM user has one owner
// secret; nothing was deleted.
var ErrOwned = errors.New("the IAM user belongs to another secret")

// Owners knows, across the configuration, who else holds an IAM user:
// other secrets (by their keys, configured or stored, and by the user
// their state records) and targets (by their own keys). A rotation asks it
// once it knows its user and the user's keys, before it deletes any key.
type Owners interface {
	// Claim records that the secret self found IAM user userARN holding
	// keyIDs, and returns every other holder of that user. It must answer
	// the same for the same configuration and store, whichever secret
	// asks first.
	Claim(ctx context.Context, self, userARN string, keyIDs []string) ([]Claim, error)
}

// Claim is another holder of a rotation's IAM user.
type Claim struct {
	// Holder names it for a message, such as "secret /team/a (line 12)" or
	// "target prod"; never a secret value.
	Holder string
	// Owns is true when the holder is the user's owner: a secret that comes
	// before the asking one in the configuration. The asking secret is
	// then refused.
	Owns bool
	// KeyIDs are the user's keys the holder holds: no rotation of another
	// secret ever deletes them.
	KeyIDs []string
}

// checkOwners asks the secret's Owners who else holds the IAM user, before
// anything is deleted: it fails with ErrOwned when another secret owns the
// user, and otherwise keeps the keys other holders hold in ru.foreign, so
// that make-room never deletes them, adopt_unknown_keys or not.
func (ru *run) checkOwners(ctx context.Context, user, arn string, keys []types.AccessKeyMetadata) error {
	ru.foreign = map[string]string{}
	o := ru.sec.Owners
	if o == nil || arn == "" {
		return nil
	}
	claims, err := o.Claim(ctx, ru.name(), arn, keyIDs(keys))
	if err != nil {
		return fmt.Errorf("find the other holders of IAM user %s: %w", user, err)
	}
	for _, c := range claims {
		if c.Owns {
			ru.foreign = nil
			return fmt.Errorf("%w: IAM user %s is also the user of %s, which comes first in the configuration; one IAM user has one owner, so this secret is refused and none of the user's keys is touched: remove one of the two secrets, or give this one a key of its own IAM user",
				ErrOwned, user, c.Holder)
		}
		for _, id := range c.KeyIDs {
			ru.foreign[id] = c.Holder
		}
	}
	return nil
}

// foreignKeyError explains why make-room cannot free a slot: the only key
// it could delete is another holder's.
func (ru *run) foreignKeyError(keys []types.AccessKeyMetadata, currentID string) error {
	ids := keyIDs(keys)
	return fmt.Errorf("%w: IAM user %s holds %s besides the current key %s, and it is the key of %s; rotatord never deletes another secret's or a target's key, even with adopt_unknown_keys: give each secret its own IAM user, or remove the other one from the configuration",
		ErrOwned, ru.st.UserName, strings.Join(ids, " and "), currentID, ru.foreign[ids[0]])
}

// recordRefusal records err as the secret's last error, so that `rotatord
// list` and `status` show it, and returns it.
func (ru *run) recordRefusal(ctx context.Context, err error) error {
	msg := err.Error()
	uerr := ru.update(ctx, func(tx *state.Tx) error {
		tx.Secret.LastError, tx.Secret.LastErrorAt = msg, ru.now()
		return nil
	})
	if uerr != nil {
		return errors.Join(err, fmt.Errorf("record failure: %w", uerr))
	}
	return err
}
