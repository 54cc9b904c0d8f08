package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rotatord/rotatord/config"
)

// Connect returns the AWS configuration that reaches the DynamoDB table of
// a state block: its region, endpoint and credentials. The daemon builds
// it from the block's target or the default credential chain.
type Connect func(ctx context.Context, st *config.State) (aws.Config, error)

// ConfigOptions says how OpenConfigured opens a store.
type ConfigOptions struct {
	// Holder names this process in the bbolt file's lock.
	Holder string
	// Now is the store's clock; nil: time.Now.
	Now func() time.Time
	// Connect reaches the table of state.backend: dynamodb.
	Connect Connect
}

// OpenConfigured opens the store that st names, with its protection key:
// the bbolt file st.Path, or the DynamoDB table st.Table reached through
// o.Connect. It returns the store as S, the interface its caller keeps it
// under: *Bolt and *Dynamo must both implement S, which the caller checks
// at compile time (var _ S = (*Bolt)(nil)); a store that does not is
// closed again and an error.
//
// Its errors say what to do: a missing table is "open state: " and a
// *NoTableError; a bbolt file's errors name the file; a protection key
// that does not open the store's values names where the key came from.
func OpenConfigured[S io.Closer](ctx context.Context, st *config.State, o ConfigOptions) (S, error) {
	var none S
	c, err := openConfigured(ctx, st, o)
	if err != nil {
		return none, err
	}
	s, ok := c.(S)
	if !ok {
		_ = c.Close()
		return none, fmt.Errorf("open state: a %T lacks what its caller uses of it", c)
	}
	return s, nil
}

// openConfigured opens st's store as a *Bolt or a *Dynamo.
func openConfigured(ctx context.Context, st *config.State, o ConfigOptions) (io.Closer, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	key := []byte(st.ProtectionKey.Reveal())
	if st.Backend == config.BackendDynamoDB {
		awsCfg, err := o.Connect(ctx, st)
		if err != nil {
			return nil, err
		}
		d, err := OpenDynamo(ctx, awsCfg, st.Table, key, WithClock(o.Now))
		if errors.Is(err, ErrNoTable) {
			return nil, fmt.Errorf("open state: %w", err)
		}
		if err != nil {
			return nil, wrongKey(st, fmt.Errorf("open state: %w", err))
		}
		return d, nil
	}
	b, err := Open(st.Path, key, WithHolder(o.Holder), WithClock(o.Now))
	if err != nil {
		return nil, wrongKey(st, err) // Open's errors name the file
	}
	return b, nil
}

// wrongKey names where the protection key came from when it is the wrong
// one.
func wrongKey(st *config.State, err error) error {
	if !errors.Is(err, ErrWrongKey) {
		return err
	}
	return fmt.Errorf("%w (protection key from %s)", err, keySource(st))
}

// keySource is where st's protection key came from: its file, or $ENV.
func keySource(st *config.State) string {
	if st.ProtectionKeyEnv != "" {
		return "$" + st.ProtectionKeyEnv
	}
	return st.ProtectionKeyFile
}
