package main

import (
	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/daemon"
)

// withOffline opens the configured state store and an engine over it for
// fn, and closes the store after.
func (c *cli) withOffline(cfg *config.Config, holder string, fn func(o *daemon.Offline) error) error {
	o, err := daemon.OpenOffline(c.ctx, cfg, holder, daemon.EngineOptions{Logger: c.log})
	if err != nil {
		return err
	}
	defer o.Close()
	return fn(o)
}
