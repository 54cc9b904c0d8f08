package main

import (
	"errors"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/daemon"
)

// rotateSlack is how long, beyond the longest verify_timeout, `rotatord
// rotate` waits for the daemon's rotation: a worker, IAM, the deliveries.
const rotateSlack = 30 * time.Minute

// backend is what the CLI's commands ask of the running daemon, or of the
// store when none runs.
type backend interface {
	control.Reader
	control.Operator
	control.Revoker
	control.Planner
}

// withBackend runs fn against the running daemon, through its control
// socket, or, when none answers, against the store opened by this process
// (which fails, naming the holder, if another process has it). A socket
// that another user serves is refused (control.ErrUntrusted), and a daemon
// that does not answer in time is an error (control.ErrNoAnswer): neither
// falls back to the store.
func (c *cli) withBackend(holder string, fn func(b backend) error) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	return c.withBackendOf(cfg, holder, daemon.EngineOptions{Logger: c.log}, fn)
}

// withBackendOf is withBackend for a loaded configuration; o tunes the
// engine when no daemon runs.
func (c *cli) withBackendOf(cfg *config.Config, holder string, o daemon.EngineOptions, fn func(b backend) error) error {
	client, err := control.Dial(c.ctx, cfg.ControlSocket)
	switch {
	case err == nil:
		defer client.Close()
		client.RotateTimeout = rotateSlack
		for _, s := range cfg.Secrets {
			client.RotateTimeout = max(client.RotateTimeout, s.VerifyTimeout.D()+rotateSlack)
		}
		c.log.Debug("talking to the running daemon", "control_socket", cfg.ControlSocket)
		return fn(client)
	case !errors.Is(err, control.ErrNoDaemon):
		return err
	}
	o.Logger = c.log
	return c.withOfflineOpts(cfg, holder, o, func(o *daemon.Offline) error { return fn(o) })
}

// withEngine loads the configuration, opens the store and runs fn with an
// engine over both.
func (c *cli) withEngine(holder string, fn func(e *daemon.Engine) error) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	return c.withOffline(cfg, holder, func(o *daemon.Offline) error { return fn(o.Engine()) })
}
