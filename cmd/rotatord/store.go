package main

import (
	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/daemon"
)

// withOffline opens the configured state store and an engine over it for
// fn, and closes the store after.
func (c *cli) withOffline(cfg *config.Config, holder string, fn func(o *daemon.Offline) error) error {
	return c.withOfflineOpts(cfg, holder, daemon.EngineOptions{Logger: c.log}, fn)
}

// withOfflineOpts is withOffline with the engine tuned by o.
func (c *cli) withOfflineOpts(cfg *config.Config, holder string, o daemon.EngineOptions, fn func(o *daemon.Offline) error) error {
	off, err := daemon.OpenOffline(c.ctx, cfg, holder, o)
	if err != nil {
		return err
	}
	defer off.Close()
	return fn(off)
}
