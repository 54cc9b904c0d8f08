package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/state"
)

// reload reads the configuration file again. The new file is validated in
// full first: an invalid one changes nothing and is reported (log, and
// rotatord_config_last_reload_successful 0). A valid one is applied as a
// diff: added secrets scheduled, removed ones unscheduled, changed
// schedules recomputed, unchanged secrets left alone, running rotations
// untouched (they finish with the settings they started with).
func (d *Daemon) reload(ctx context.Context, why string) {
	d.opts.Notify(fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", monotonicUsec()))
	defer d.opts.Notify("READY=1")
	start := time.Now()
	old, _ := d.current()
	next, err := config.LoadWith(d.opts.ConfigPath, config.LoadOptions{Previous: old})
	if err == nil {
		err = unchangeable(old, next)
	}
	if err != nil {
		d.metrics.reloaded(false)
		d.log.Error("configuration reload failed; the running configuration stays", "why", why,
			"errors", strings.Split(strings.TrimSpace(err.Error()), "\n"))
		return
	}
	for _, w := range next.Warnings {
		d.log.Warn("configuration", "warning", w.Error())
	}
	if err := d.apply(ctx, next); err != nil {
		d.metrics.reloaded(false)
		d.log.Error("configuration reload failed; the running configuration stays", "why", why, "err", err)
		return
	}
	delta := schedule.Diff(old, next)
	d.applyDelta(ctx, old, next, delta)
	d.metrics.reloaded(true)
	d.log.Info("configuration reloaded", "why", why, "added", len(delta.Added), "removed", len(delta.Removed),
		"rescheduled", len(delta.Rescheduled), "changed", len(delta.Changed), "took", time.Since(start))
}

// applyDelta schedules added secrets, unschedules removed ones and
// re-registers rescheduled ones.
func (d *Daemon) applyDelta(ctx context.Context, old, next *config.Config, delta schedule.Delta) {
	now := d.now()
	for _, name := range append(append([]string(nil), delta.Added...), delta.Rescheduled...) {
		rs := next.SecretByName(name)
		st, err := d.store.Get(ctx, name)
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			d.log.Error("read state", "secret", name, "err", err)
			continue
		}
		if errors.Is(err, state.ErrNotFound) {
			st = nil
		}
		if st != nil {
			d.claims.saw(st.UserARN, rs.Name)
		}
		d.register(rs, st, now)
		switch {
		case rs.AutoRotate && rs.RotationSchedule == "" && (st == nil || st.LastRotation.IsZero()):
			d.submit(job{secret: name, kind: jobDiscover})
		case st != nil && st.Journal == nil && catchUpNow(rs, st, now):
			// As at start-up: a reload that makes an overdue secret
			// catch_up: immediate (or adds one) rotates it now, not at
			// the next rotation hour.
			d.log.Info("overdue; rotating now (catch_up: immediate)", "secret", rs.Name)
			d.submit(job{secret: name, kind: jobRotate, ifDue: true})
		}
	}
	for _, name := range append(append([]string(nil), delta.Added...), append(delta.Rescheduled, delta.Changed...)...) {
		d.submit(job{secret: name, kind: jobRefresh}) // a new sink gets the current key; busy secrets are skipped
	}
	for _, name := range delta.Removed {
		d.unregister(name)
		d.removed(ctx, old.SecretByName(name))
	}
}

// removed handles the state of a secret taken out of the configuration:
// kept as is under delete_protection, archived otherwise; its IAM keys
// are never touched.
func (d *Daemon) removed(ctx context.Context, rs *config.RotatedSecret) {
	if rs.DeleteProtection {
		d.log.Warn("secret removed from the configuration; its state is kept (delete_protection)", "secret", rs.Name)
		return
	}
	err := d.store.Update(ctx, rs.Name, func(tx *state.Tx) error {
		if len(tx.Secret.Versions) == 0 {
			return errNothing
		}
		tx.Secret.Archived = true
		tx.Audit("", "secret.archived", "", "removed from the configuration; IAM keys untouched")
		return nil
	})
	switch {
	case errors.Is(err, errNothing):
	case err != nil:
		d.log.Error("archive the state of a removed secret", "secret", rs.Name, "err", err)
	default:
		d.log.Info("secret removed from the configuration; its state is archived, its IAM keys untouched", "secret", rs.Name)
	}
}

var errNothing = errors.New("nothing to do")

// unchangeable refuses a reload that changes what only a restart can: the
// state store, its protection key, the listeners, the worker count.
func unchangeable(old, next *config.Config) error {
	var errs []string
	check := func(field string, changed bool) {
		if changed {
			errs = append(errs, field+" changed; it takes effect only after a restart (systemctl restart rotatord)")
		}
	}
	check("state.path", old.State.Path != next.State.Path)
	check("state.backend", old.State.Backend != next.State.Backend)
	check("state.table", old.State.Table != next.State.Table)
	check("state.region", old.State.Region != next.State.Region)
	check("state.endpoint", old.State.Endpoint != next.State.Endpoint)
	check("state.target", old.State.Target != next.State.Target)
	check("state.replica", old.State.Replica != next.State.Replica)
	check("state.protection_key", old.State.ProtectionKey != next.State.ProtectionKey)
	check("listen", old.Listen != next.Listen)
	check("control_socket", old.ControlSocket != next.ControlSocket)
	check("workers", old.Workers != next.Workers)
	if len(errs) > 0 {
		return fmt.Errorf("%s: %s", next.File, strings.Join(errs, "; "))
	}
	return nil
}

// catchUpNow reports whether a secret missed its rotation (schedule.Overdue)
// and catches up at once (catch_up: immediate).
func catchUpNow(rs *config.RotatedSecret, st *state.Secret, now time.Time) bool {
	return rs.CatchUp == config.CatchUpImmediate && schedule.Overdue(rs, st.LastRotation, now)
}
