package main

import (
	"errors"
	"fmt"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/state"
)

// withStore opens the configured state store for fn and closes it after.
func (c *cli) withStore(cfg *config.Config, holder string, fn func(st state.Store) error) error {
	if cfg.State.Backend == config.BackendDynamoDB {
		return state.ErrBackendNotReady
	}
	st, err := state.Open(cfg.State.Path, []byte(cfg.State.ProtectionKey.Reveal()), state.WithHolder(holder))
	if err != nil {
		if errors.Is(err, state.ErrWrongKey) {
			src := cfg.State.ProtectionKeyFile
			if cfg.State.ProtectionKeyEnv != "" {
				src = "$" + cfg.State.ProtectionKeyEnv
			}
			return fmt.Errorf("open state %s with protection key %s: %w", cfg.State.Path, src, err)
		}
		return fmt.Errorf("open state: %w", err)
	}
	defer st.Close()
	return fn(st)
}
