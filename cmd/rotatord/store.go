package main

import (
	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/daemon"
	"github.com/rotatord/rotatord/internal/state"
)

// withStore opens the configured state store for fn and closes it after.
func (c *cli) withStore(cfg *config.Config, holder string, fn func(st state.Store) error) error {
	st, err := daemon.OpenStore(c.ctx, cfg, holder, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}
