package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/state"
)

// OpenStore opens the configured state store: the bbolt file (holder
// names this process in its lock), or the DynamoDB table, reached as
// StateAWS says. now is the store's clock; nil: time.Now.
func OpenStore(ctx context.Context, cfg *config.Config, holder string, now func() time.Time) (state.Store, error) {
	if now == nil {
		now = time.Now
	}
	key := []byte(cfg.State.ProtectionKey.Reveal())
	if cfg.State.Backend == config.BackendDynamoDB {
		awsCfg, err := StateAWS(ctx, cfg)
		if err != nil {
			return nil, err
		}
		st, err := state.OpenDynamo(ctx, awsCfg, cfg.State.Table, key, state.WithClock(now))
		if errors.Is(err, state.ErrNoTable) {
			return nil, fmt.Errorf("open state: %w", err)
		}
		if err != nil {
			return nil, wrongKey(cfg, fmt.Errorf("open state: %w", err))
		}
		return st, nil
	}
	st, err := state.Open(cfg.State.Path, key, state.WithHolder(holder), state.WithClock(now))
	if err != nil {
		return nil, wrongKey(cfg, err) // state.Open's errors name the file
	}
	return st, nil
}

// wrongKey names where the protection key came from when it is the wrong
// one.
func wrongKey(cfg *config.Config, err error) error {
	if !errors.Is(err, state.ErrWrongKey) {
		return err
	}
	src := cfg.State.ProtectionKeyFile
	if cfg.State.ProtectionKeyEnv != "" {
		src = "$" + cfg.State.ProtectionKeyEnv
	}
	return fmt.Errorf("%w (protection key from %s)", err, src)
}
