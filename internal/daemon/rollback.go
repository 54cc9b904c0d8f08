package daemon

import (
	"context"
	"fmt"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/iamrotate"
)

// Rollback makes the named secret's previous version current again (see
// iamrotate.Rotator.Rollback) under its lease, or continues its open
// rollback. reason goes to the audit history.
func (e *Engine) Rollback(ctx context.Context, name, reason string) (*iamrotate.Result, error) {
	spec, err := e.Spec(name)
	if err != nil {
		return nil, err
	}
	var res *iamrotate.Result
	err = e.lease.hold(ctx, spec.Config.Name, func(f fence) error {
		spec := f.apply(spec)
		if e.acks != nil {
			// This host's own sinks first, as before a rotation.
			if _, err := e.rot.Refresh(ctx, spec.LocalOnly()); err != nil {
				e.log.Warn("this replica's sinks could not be brought up to date", "secret", spec.Config.Name, "err", err)
			}
		}
		var err error
		res, err = e.rot.Rollback(ctx, spec, reason)
		return err
	})
	return res, err
}

// Rollback rolls back in this process.
func (o *Offline) Rollback(ctx context.Context, name, reason string) (*iamrotate.Result, error) {
	return o.engine.Rollback(ctx, name, reason)
}

// Rollback queues a rollback on the pool, like a manual rotation, and
// waits for its end.
func (b *backend) Rollback(ctx context.Context, name, reason string) (*iamrotate.Result, error) {
	name = config.CanonicalName(name)
	if c, _ := b.d.current(); c.SecretByName(name) == nil {
		return nil, errUnknown(name)
	}
	done := make(chan jobResult, 1)
	if err := b.d.pool.submit(job{secret: name, kind: jobRollback, manual: true, reason: reason, done: done}); err != nil {
		return nil, fmt.Errorf("rollback %s: %w", name, err)
	}
	select {
	case r := <-done:
		return r.res, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("rollback %s: still running in the daemon (see rotatord status %s): %w", name, name, ctx.Err())
	}
}
