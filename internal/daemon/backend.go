package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/sink"
	"github.com/rotatord/rotatord/internal/state"
)

// viewStore is what the CLI's questions read of the state store.
type viewStore interface {
	state.Reader
	state.AuditLog
}

// view answers the CLI's questions from a configuration and a store. The
// running daemon adds what only it knows (exact next runs, queued and
// running jobs) through its hooks.
type view struct {
	cfg   func() *config.Config
	store viewStore
	now   func() time.Time
	// leases is the store's lease table when replicas share it; nil on
	// bbolt.
	leases leaseView
	// settle is the rotator's UsageSettle, which plan needs to project
	// retire_when: unused.
	settle func() time.Duration
	// next and activity are the daemon's hooks; nil for the offline view.
	next     func(name string) (time.Time, bool)
	activity func(name string) string
}

func (v *view) List(ctx context.Context) ([]control.SecretStatus, error) {
	cfg := v.cfg()
	all, err := v.store.List(ctx)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*state.Secret, len(all))
	for _, s := range all {
		byName[s.Name] = s
	}
	var held map[string]*state.Lease
	if v.leases != nil {
		if held, err = v.leases.Leases(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]control.SecretStatus, 0, len(cfg.Secrets))
	for i := range cfg.Secrets {
		rs := &cfg.Secrets[i]
		out = append(out, v.status(cfg, rs, byName[rs.Name]))
		delete(byName, rs.Name)
	}
	var gone []control.SecretStatus
	for _, s := range byName {
		gone = append(gone, v.status(cfg, nil, s))
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].Name < gone[j].Name })
	out = append(out, gone...)
	for i := range out {
		if l := held[out[i].Name]; l != nil {
			out[i].Holder = l.Owner
		}
	}
	return out, nil
}

// status builds one row; rs is nil for a secret no longer configured.
func (v *view) status(cfg *config.Config, rs *config.RotatedSecret, st *state.Secret) control.SecretStatus {
	s := control.SecretStatus{State: stateWord(st)}
	if st != nil {
		s.Name, s.LastRotation, s.LastError, s.Held = st.Name, st.LastRotation, st.LastError, st.Held
		if cur := st.Current(); cur != nil {
			s.KeyID = cur.AccessKeyID
		}
	}
	if rs == nil {
		s.State = "not configured"
		if st.Archived {
			s.State = "archived"
		}
		return s
	}
	s.Name, s.Target = rs.Name, rs.Target
	if s.KeyID == "" {
		s.KeyID = rs.AccessKeyID
		if rs.RotatorType == config.RotatorTarget {
			s.KeyID = cfg.TargetByName(rs.Target).AccessKeyID
		}
	}
	if v.activity != nil {
		if a := v.activity(rs.Name); a != "" {
			s.State = a
		}
	}
	if v.next != nil {
		s.NextRotation, _ = v.next(rs.Name)
	} else if t, ok, err := schedule.Next(rs, s.LastRotation, v.now()); err == nil && ok {
		s.NextRotation = t
	}
	return s
}

func stateWord(st *state.Secret) string {
	switch {
	case st == nil || len(st.Versions) == 0:
		return "new"
	case st.Journal != nil && st.Journal.Step == state.StepDelivering:
		return "delivering"
	case st.Journal != nil && st.Journal.Kind == state.KindRollback:
		return "rolling back (" + string(st.Journal.Step) + ")"
	case st.Journal != nil:
		return "rotating (" + string(st.Journal.Step) + ")"
	case st.Held != nil:
		return "held"
	case st.LastError != "":
		return "failed"
	default:
		return "ok"
	}
}

func (v *view) Status(ctx context.Context, name string) (*control.SecretDetail, error) {
	name = config.CanonicalName(name)
	cfg := v.cfg()
	rs := cfg.SecretByName(name)
	st, err := v.store.Get(ctx, name)
	switch {
	case errors.Is(err, state.ErrNotFound) && rs == nil:
		return nil, errUnknown(name)
	case errors.Is(err, state.ErrNotFound):
		st = nil
	case err != nil:
		return nil, err
	}
	d := &control.SecretDetail{SecretStatus: v.status(cfg, rs, st), Secret: st}
	if v.leases != nil {
		if err := v.shared(ctx, name, d); err != nil {
			return nil, err
		}
	}
	if rs != nil {
		var cur, pend *state.Version
		if st != nil {
			cur, pend = st.Current(), st.Pending()
		}
		for _, sc := range rs.Sinks {
			ss := control.SinkStatus{ID: sink.ID(sc)}
			if cur != nil {
				ss.Current = cur.Delivered[ss.ID]
			}
			if pend != nil {
				ss.Pending = pend.Delivered[ss.ID]
			}
			d.Sinks = append(d.Sinks, ss)
		}
	}
	return d, nil
}

// shared adds what replicas sharing the store know: the secret's lease
// holder and the running replicas.
func (v *view) shared(ctx context.Context, name string, d *control.SecretDetail) error {
	l, err := v.leases.Holder(ctx, name)
	if err != nil {
		return fmt.Errorf("status %s: %w", name, err)
	}
	if l != nil && l.Expires.After(v.now()) {
		d.Holder, d.LeaseExpires = l.Owner, l.Expires
	}
	reps, err := v.leases.Replicas(ctx)
	if err != nil {
		return fmt.Errorf("status %s: %w", name, err)
	}
	d.Replicas = []string{}
	for _, r := range reps {
		d.Replicas = append(d.Replicas, r.Name)
	}
	return nil
}

func (v *view) History(ctx context.Context, name string) ([]state.Event, error) {
	return v.store.History(ctx, config.CanonicalName(name))
}

func (v *view) Reveal(ctx context.Context, name string, n int) (*state.Version, error) {
	name = config.CanonicalName(name)
	st, err := v.store.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	ver := st.Current()
	if n > 0 {
		ver = st.ByN(n)
	}
	if ver == nil {
		return nil, fmt.Errorf("%w: %s has no version %d", state.ErrNotFound, name, n)
	}
	return ver, nil
}

// Offline is the control backend of a CLI command that found no daemon
// running: it reads the store itself and rotates in its own process.
type Offline struct {
	view
	engine *Engine
	closer io.Closer // the store's
}

var (
	_ control.Reader   = (*Offline)(nil)
	_ control.Operator = (*Offline)(nil)
	_ control.Revoker  = (*Offline)(nil)
)

// newOffline returns the offline backend over an engine and its store.
func newOffline(e *Engine, store stateStore) *Offline {
	leases, _ := store.(leaseView)
	return &Offline{view: view{cfg: e.Config, store: store, leases: leases, now: time.Now, settle: e.rot.UsageSettle}, engine: e, closer: store}
}

// Rotate rotates in this process.
func (o *Offline) Rotate(ctx context.Context, name string) (*iamrotate.Result, error) {
	return o.engine.Rotate(ctx, name)
}

// RotateRevoke rotates in this process and revokes the replaced key.
func (o *Offline) RotateRevoke(ctx context.Context, name string, rv iamrotate.Revoke) (*iamrotate.Result, error) {
	return o.engine.RotateRevoke(ctx, name, rv)
}

// backend is the running daemon's control backend.
type backend struct {
	view
	d *Daemon
}

var (
	_ control.Reader   = (*backend)(nil)
	_ control.Operator = (*backend)(nil)
	_ control.Revoker  = (*backend)(nil)
)

func (d *Daemon) backend() *backend {
	b := &backend{d: d}
	leases, _ := d.store.(leaseView)
	b.view = view{
		leases: leases,
		cfg:    func() *config.Config { c, _ := d.current(); return c },
		store:  d.store, now: d.now,
		settle: func() time.Duration { _, e := d.current(); return e.rot.UsageSettle() },
		next: func(name string) (time.Time, bool) {
			d.mu.Lock()
			defer d.mu.Unlock()
			if e := d.entries[name]; e != nil {
				return e.next, !e.next.IsZero()
			}
			return time.Time{}, false
		},
		activity: func(name string) string {
			switch queued, running := d.pool.status(name); {
			case running:
				return "running"
			case queued:
				return "queued"
			}
			return ""
		},
	}
	return b
}

// Rotate queues a rotation on the pool and waits for its end.
func (b *backend) Rotate(ctx context.Context, name string) (*iamrotate.Result, error) {
	return b.rotate(ctx, name, nil)
}

// RotateRevoke is Rotate that revokes the replaced key (see
// iamrotate.Revoke); the job waits in the pool like any other.
func (b *backend) RotateRevoke(ctx context.Context, name string, rv iamrotate.Revoke) (*iamrotate.Result, error) {
	return b.rotate(ctx, name, &rv)
}

func (b *backend) rotate(ctx context.Context, name string, rv *iamrotate.Revoke) (*iamrotate.Result, error) {
	name = config.CanonicalName(name)
	if c, _ := b.d.current(); c.SecretByName(name) == nil {
		return nil, errUnknown(name)
	}
	done := make(chan jobResult, 1)
	if err := b.d.pool.submit(job{secret: name, kind: jobRotate, manual: true, revoke: rv, done: done}); err != nil {
		return nil, fmt.Errorf("rotate %s: %w", name, err)
	}
	select {
	case r := <-done:
		return r.res, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("rotate %s: still running in the daemon (see rotatord status %s): %w", name, name, ctx.Err())
	}
}
