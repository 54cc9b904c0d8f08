package daemon

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// replicaSet is this process's view of the replicas that share its store,
// each of which keeps its own host's file sinks (iamrotate.Replicas): it
// records which version this host's sinks of each secret hold, and tells a
// rotation which live replicas' sinks lag behind. A nil *replicaSet is a
// store only this process opens.
type replicaSet struct {
	store ackStore
	me    string

	mu    sync.Mutex
	acked map[string]int // secret → the version this host last acknowledged
}

var _ iamrotate.Replicas = (*replicaSet)(nil)

// newReplicaSet returns the replica set of store for the replica named
// me, or nil when store is not shared.
func newReplicaSet(store engineStore, me string) *replicaSet {
	l, ok := store.(ackStore)
	if !ok {
		return nil
	}
	return &replicaSet{store: l, me: me, acked: map[string]int{}}
}

// ackStore is what a replica set needs of a shared store: the
// acknowledgements, and which replicas are live.
type ackStore interface {
	state.Acknowledger
	Replicas(ctx context.Context) ([]state.Replica, error)
}

// leaseView is what `rotatord list` and `status` show of a shared store:
// who holds which lease, and which replicas run.
type leaseView interface {
	state.LeaseReader
	Replicas(ctx context.Context) ([]state.Replica, error)
}

// Acknowledge implements iamrotate.Replicas. A version acknowledged
// already is not written again.
func (r *replicaSet) Acknowledge(ctx context.Context, secret string, n int) error {
	if r.ackedVersion(secret) == n {
		return nil
	}
	if err := r.store.Acknowledge(ctx, secret, r.me, n); err != nil {
		return err
	}
	r.mu.Lock()
	r.acked[secret] = n
	r.mu.Unlock()
	return nil
}

// ackedVersion is the version this process last acknowledged for secret,
// 0 if none.
func (r *replicaSet) ackedVersion(secret string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.acked[secret]
}

// Lagging implements iamrotate.Replicas: the live replicas (heartbeat not
// expired) of every host whose acknowledgement of secret is not version n.
// Not "older than n": after a rollback the current version's number is
// below the one a lagging host still holds, and that host's key is the one
// the next rotation deletes. A host that never acknowledged the secret (no
// file sink of it, or a replica that has not written one yet) is not
// waited for.
func (r *replicaSet) Lagging(ctx context.Context, secret string, n int) ([]string, error) {
	acks, err := r.store.Acks(ctx, secret)
	if err != nil {
		return nil, err
	}
	behind := map[string]bool{}
	for _, a := range acks {
		if a.Version != n {
			behind[a.Host] = true
		}
	}
	if len(behind) == 0 {
		return nil, nil
	}
	live, err := r.store.Replicas(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rep := range live {
		if behind[state.HostOf(rep.Name)] {
			out = append(out, rep.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// hasFileSink reports whether the secret has a host-local sink.
func hasFileSink(rs *config.RotatedSecret) bool {
	for i := range rs.Sinks {
		if rs.Sinks[i].Local() {
			return true
		}
	}
	return false
}

// catchUpEvery is how often, as a share of lease_duration, a replica looks
// for secrets whose version its own sinks lack.
const catchUpEvery = 4

// catchUp keeps this host's file sinks current on a shared store: every
// quarter of lease_duration it reads the state of each secret with a file
// sink and refreshes the ones whose version (the pending one while another
// replica delivers it) this host has not acknowledged, until ctx ends. So
// a replica writes another's rotation within a lease duration, whether or
// not a job of its own looked at the secret. Each look is one store read
// per such secret.
func (d *Daemon) catchUp(ctx context.Context, every time.Duration) {
	if d.acks == nil {
		return
	}
	t := time.NewTicker(max(every/catchUpEvery, 250*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cfg, _ := d.current()
		for i := range cfg.Secrets {
			rs := &cfg.Secrets[i]
			if !hasFileSink(rs) || ctx.Err() != nil {
				continue
			}
			st, err := d.store.Get(ctx, rs.Name)
			if err != nil {
				continue // not rotated yet, or the store is unreachable: the next look
			}
			if v := iamrotate.LocalVersion(st); v > d.acks.ackedVersion(rs.Name) {
				d.submit(job{secret: rs.Name, kind: jobRefresh})
			}
		}
	}
}

// refreshOwnSinks writes, on a shared store, the key each secret's file
// sinks on this host must hold, before the daemon reports ready: a
// replica that was down (killed, paused past its heartbeat) hands its
// applications no stale key once it serves. Failures are logged; the
// catch-up and the secret's jobs try again.
func (d *Daemon) refreshOwnSinks(ctx context.Context) {
	if d.acks == nil {
		return
	}
	cfg, eng := d.current()
	for i := range cfg.Secrets {
		rs := &cfg.Secrets[i]
		if !hasFileSink(rs) || ctx.Err() != nil {
			continue
		}
		if _, err := eng.RefreshLocal(ctx, rs.Name); err != nil {
			d.log.Warn("this replica's sinks could not be brought up to date", "secret", rs.Name, "err", err)
		}
	}
}

// lookAgain is how soon a job that found another replica in its way (a
// lease held, a replica whose sinks lag) is tried again: a quarter of
// lease_duration, at least a second.
func (d *Daemon) lookAgain() time.Duration {
	cfg, _ := d.current()
	return max(cfg.State.LeaseDuration.D()/4, time.Second)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
