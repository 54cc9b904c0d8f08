package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// leasing runs work on a secret under its lease, on a store several
// replicas share. A nil *leasing (bbolt: one process) runs work as is.
type leasing struct {
	store leaseStore
	owner string
	dur   time.Duration
	now   func() time.Time
	log   *slog.Logger
}

// leaseStore is what leasing needs of a shared store: its leases, and
// its view fenced by one.
type leaseStore interface {
	state.Leaser
	Fenced(l *state.Lease) *state.Fenced
}

// newLeasing returns the leasing of store, or nil when store is not
// shared.
func newLeasing(store engineStore, owner string, dur time.Duration, now func() time.Time, log *slog.Logger) *leasing {
	l, ok := store.(leaseStore)
	if !ok {
		return nil
	}
	if dur <= 0 {
		dur = config.DefaultLeaseDuration
	}
	return &leasing{store: l, owner: owner, dur: dur, now: now, log: log}
}

// ReplicaName is this process's name as a lease owner: state.replica (or
// the host name), and a random suffix, so that two processes configured
// with the same name never share a lease.
func ReplicaName(cfg *config.Config) string {
	name := cfg.State.Replica
	if name == "" {
		name, _ = os.Hostname()
		if name == "" {
			name = "rotatord"
		}
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return name + "#" + hex.EncodeToString(b[:])
}

// fence is what hold gives the work it runs under a lease, for the
// rotation's Spec (see apply): the guard of its IAM and sink changes, and
// the store fenced by the lease for its writes. The zero fence (no lease:
// bbolt) guards and fences nothing.
type fence struct {
	guard iamrotate.Guard
	store iamrotate.Store
}

// apply returns spec guarded and fenced by f.
func (f fence) apply(spec iamrotate.Spec) iamrotate.Spec {
	spec.Guard, spec.Store = f.guard, f.store
	return spec
}

// hold takes the secret's lease and runs fn under it, with the lease's
// fence: writes through its store are conditional on the lease's token,
// its guard refuses once the lease is no longer safely held on this host's
// clock, and the lease is renewed every sixth of its duration until fn
// returns. When the lease is lost (another replica took it over, or it
// expired unrenewed while this process was paused), that is logged, and
// fn's next guarded IAM or sink change, or write through the fence's
// store, fails with an error wrapping state.ErrFenced. ctx is not
// cancelled: a call under way gets its answer, so that a key it created
// can still be deleted when its record is refused. When another replica
// holds the lease, hold returns its *state.HeldError and does not run fn.
//
// hold does not exclude itself within one process (Acquire grants the
// owner its own lease again): the daemon's pool runs one job per secret,
// and each CLI process has an owner name of its own.
func (l *leasing) hold(ctx context.Context, name string, fn func(f fence) error) error {
	if l == nil {
		return fn(fence{})
	}
	lease, err := l.store.Acquire(ctx, name, l.owner, l.dur)
	if err != nil {
		return err
	}
	k := &keeper{leasing: l, lease: lease}
	k.valid.Store(k.validUntil(lease.Expires))
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		k.renew(ctx, stop)
	}()
	err = fn(fence{guard: k, store: l.store.Fenced(lease)})
	close(stop)
	<-stopped
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if rerr := l.store.Release(rctx, lease); rerr != nil {
		l.log.Warn("could not release the lease; it expires by itself", "secret", name, "err", rerr)
	}
	if err != nil && !errors.Is(err, state.ErrFenced) {
		if ferr := k.Check(); ferr != nil {
			err = fmt.Errorf("%w: %w", ferr, err)
		}
	}
	return err
}

// keeper renews one lease while its work runs.
type keeper struct {
	*leasing
	lease *state.Lease
	// valid is when, on this host's clock (Unix nanoseconds), the lease
	// stops being safe to act under: a third of its duration before it
	// expires, so that clocks that differ by less than that between
	// replicas never let two act at once.
	valid atomic.Int64
	lost  atomic.Bool
}

func (k *keeper) validUntil(expires time.Time) int64 {
	return expires.Add(-k.dur / 3).UnixNano()
}

// Check is the rotation's guard: an error once the lease is lost or no
// longer safely held.
func (k *keeper) Check() error {
	if k.lost.Load() {
		return k.fenced("the lease was lost")
	}
	if k.now().UnixNano() >= k.valid.Load() {
		return k.fenced("the lease expired before it was renewed (the process paused, or DynamoDB was unreachable)")
	}
	return nil
}

func (k *keeper) fenced(why string) error {
	return fmt.Errorf("%w: %s: %s (owner %s, token %d)", state.ErrFenced, k.lease.Secret, why, k.owner, k.lease.Token)
}

// renew renews the lease every sixth of its duration until stop closes,
// so that a renewal or two may fail (DynamoDB throttled or briefly out of
// reach) before the lease stops being safe to act under.
// A lease found past its safe time, or taken over, is given up, and the
// log says why.
func (k *keeper) renew(ctx context.Context, stop <-chan struct{}) {
	t := time.NewTicker(k.dur / 6)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if err := k.Check(); err != nil {
			k.give(err)
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.dur/6)
		err := k.store.Renew(rctx, k.lease, k.dur)
		cancel()
		switch {
		case errors.Is(err, state.ErrFenced):
			k.give(k.fenced("another replica took the lease over"))
			return
		case err != nil:
			// Try again at the next tick; check gives up once the lease
			// is no longer safely held.
			k.log.Warn("could not renew the lease", "secret", k.lease.Secret, "err", err)
		default:
			k.valid.Store(k.validUntil(k.lease.Expires))
		}
	}
}

// give gives the lease up: the work stops at its next change, and none
// of its later writes land.
func (k *keeper) give(err error) {
	k.lost.Store(true)
	k.log.Error("lost the lease; stopping the work on this secret, whose later writes the store refuses", "secret", k.lease.Secret, "owner", k.owner, "token", k.lease.Token, "err", err)
}

// heartbeat records in a shared store that this replica runs, now and
// then every lease duration (each beat lasts three), so that
// `rotatord status` can list the replicas and `rotatord state migrate`
// can refuse while one runs. stop ends it and removes the record. On a
// store only this process opens it does nothing.
func (d *Daemon) heartbeat(ctx context.Context, cfg *config.Config) (stop func(), err error) {
	l, ok := d.store.(state.Membership)
	if !ok {
		return func() {}, nil
	}
	dur := cfg.State.LeaseDuration.D()
	if err := l.Heartbeat(ctx, d.replica, 3*dur); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	d.log.Info("sharing the state with other replicas", "table", cfg.State.Table, "replica", d.replica, "lease_duration", dur)
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(dur)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dur)
				if err := l.Heartbeat(hctx, d.replica, 3*dur); err != nil {
					d.log.Warn("heartbeat not recorded", "err", err)
				}
				cancel()
			}
		}
	}()
	return func() {
		close(done)
		<-exited
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := l.Leave(cctx, d.replica); err != nil {
			d.log.Warn("heartbeat not removed; it expires by itself", "err", err)
		}
	}, nil
}

var (
	_ iamrotate.Guard = (*keeper)(nil)
	_ iamrotate.Store = (*state.Fenced)(nil)
)
