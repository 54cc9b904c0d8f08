package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/notify"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/state"
)

// jobResult is what a job reports to whoever waits on it, and the job to
// queue for the same secret once this one is out of the pool.
type jobResult struct {
	res  *iamrotate.Result
	err  error
	then *job
}

// startup recovers open rotations and schedules every secret: from the
// store's last rotation; secrets of unknown age are discovered first;
// overdue secrets with catch_up: immediate are queued now; the others get
// their current key written to any sink that lost it.
func (d *Daemon) startup(ctx context.Context) error {
	cfg, _ := d.current()
	now := d.now()
	seen := make([]bool, len(cfg.Secrets))
	var jobs []job
	// One state at a time: holding 100,000 decoded states at once would
	// double what start-up needs. Jobs are queued after the walk, whose
	// read transaction a rotation's commit may have to wait for.
	err := d.store.Each(ctx, func(st *state.Secret) error {
		i, ok := cfg.SecretIndex(st.Name)
		if !ok {
			if !st.Archived {
				d.log.Warn("the store holds state of a secret that is not configured; kept", "secret", st.Name)
			}
			return nil
		}
		d.claims.saw(st.UserARN, cfg.Secrets[i].Name)
		seen[i] = true
		if j, ok := d.startSecret(&cfg.Secrets[i], st, now); ok {
			jobs = append(jobs, j)
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.claims.markSeeded()
	d.refreshOwnSinks(ctx)
	for i := range cfg.Secrets {
		if !seen[i] {
			if j, ok := d.startSecret(&cfg.Secrets[i], nil, now); ok {
				jobs = append(jobs, j)
			}
		}
	}
	for _, j := range jobs {
		d.submit(j)
	}
	return nil
}

// startSecret schedules a configured secret from its state (nil: none)
// and returns the job it needs at start-up, if any.
func (d *Daemon) startSecret(rs *config.RotatedSecret, st *state.Secret, now time.Time) (job, bool) {
	d.register(rs, st, now)
	d.metrics.holds(rs.Name, st)
	kind, reason, ok := startJob(rs, st, now)
	switch {
	case !ok:
		return job{}, false
	case reason == schedule.ReasonResume:
		d.log.Info("resuming a rotation left open", "secret", rs.Name, "step", st.Journal.Step)
	case reason == schedule.ReasonCatchUp:
		d.log.Info("overdue; rotating now (catch_up: immediate)", "secret", rs.Name)
	}
	return job{secret: rs.Name, kind: kind}, true
}

// register replaces the secret's schedule entries with those
// schedule.EntriesFor gives for its configuration and state (nil:
// unknown): the rotation, its rotation.upcoming reminders, the previous
// key's retirement. The plan (plan.go) projects the same entries.
func (d *Daemon) register(rs *config.RotatedSecret, st *state.Secret, now time.Time) {
	var created time.Time
	if st != nil {
		if cur := st.Current(); cur != nil {
			created = cur.Created
		}
	}
	f := factsOf(st)
	en, err := schedule.EntriesFor(rs, f, now)
	if err != nil {
		d.log.Error("cannot schedule", "secret", rs.Name, "err", err) // validation prevents this
	}
	name := rs.Name
	d.mu.Lock()
	e := d.entries[name]
	if e == nil {
		e = &entry{}
		d.entries[name] = e
	}
	old, oldRetire := e.id, e.retireID
	e.id, e.retireID, e.next, e.last, e.interval = 0, 0, time.Time{}, f.Last, 0
	if !created.IsZero() {
		e.keyCreated = created
	}
	if st != nil {
		e.pendingSince = deliveryPendingSince(st)
	}
	if en.Rotate != nil {
		e.id = d.runner.Schedule(en.Rotate, cron.FuncJob(func() { d.submit(job{secret: name, kind: jobRotate}) }))
		e.next = en.Next
		if en.Schedule != nil {
			e.interval = rotationInterval(rs, en.Schedule, e.next)
		}
	}
	e.upcoming = d.scheduleReminders(name, en.Reminders, e.upcoming)
	retire := !en.Retire.IsZero()
	if retire && en.Retire.After(now) {
		e.retireID = d.runner.Schedule(schedule.Once{At: en.Retire}, cron.FuncJob(func() { d.submit(job{secret: name, kind: jobRetire}) }))
	}
	d.mu.Unlock()
	for _, id := range []cron.EntryID{old, oldRetire} {
		if id != 0 {
			d.runner.Remove(id)
		}
	}
	if retire && !en.Retire.After(now) {
		d.submit(job{secret: name, kind: jobRetire})
	}
}

// scheduleReminders replaces the secret's rotation.upcoming entries with
// one per reminder. d.mu is held.
func (d *Daemon) scheduleReminders(name string, rems []schedule.Reminder, old []cron.EntryID) []cron.EntryID {
	for _, id := range old {
		d.runner.Remove(id)
	}
	var ids []cron.EntryID
	for _, r := range rems {
		ids = append(ids, d.runner.Schedule(schedule.Once{At: r.At}, cron.FuncJob(func() {
			d.notify(notify.Event{Kind: notify.RotationUpcoming, Secret: name, Due: r.Due,
				Detail: fmt.Sprintf("rotation due in %d days", r.Days)})
		})))
	}
	return ids
}

// retryDelivery replaces the secret's rotation entry with one that
// retries its pending delivery after a backoff: 30s doubling to 1h.
func (d *Daemon) retryDelivery(name string, attempts int) {
	delay := 30 * time.Second
	for i := 1; i < attempts && delay < time.Hour; i++ {
		delay *= 2
	}
	at := d.now().Add(min(delay, time.Hour))
	d.scheduleOnce(name, jobRotate, at)
	d.log.Info("delivery retry scheduled", "secret", name, "at", at, "attempt", attempts+1)
}

// scheduleOnce replaces the secret's rotation entry (kind jobRotate) or
// grace-period entry (jobRetire) with one that runs that job at at. The
// job's end puts the secret back on its schedule.
func (d *Daemon) scheduleOnce(name string, kind jobKind, at time.Time) {
	if kind != jobRotate && kind != jobRetire {
		return
	}
	d.mu.Lock()
	e := d.entries[name]
	if e == nil {
		d.mu.Unlock()
		return
	}
	id := d.runner.Schedule(schedule.Once{At: at}, cron.FuncJob(func() { d.submit(job{secret: name, kind: kind}) }))
	var old cron.EntryID
	if kind == jobRetire {
		old, e.retireID = e.retireID, id
	} else {
		old, e.id, e.next = e.id, id, at
	}
	d.mu.Unlock()
	if old != 0 {
		d.runner.Remove(old)
	}
}

// dropRetireEntry removes the secret's grace-period entry once it ran.
func (d *Daemon) dropRetireEntry(name string) {
	d.mu.Lock()
	var id cron.EntryID
	if e := d.entries[name]; e != nil {
		id, e.retireID = e.retireID, 0
	}
	d.mu.Unlock()
	if id != 0 {
		d.runner.Remove(id)
	}
}

// unregister removes a secret's entries.
func (d *Daemon) unregister(name string) {
	d.mu.Lock()
	e := d.entries[name]
	delete(d.entries, name)
	d.mu.Unlock()
	if e != nil {
		for _, id := range append([]cron.EntryID{e.id, e.retireID}, e.upcoming...) {
			if id != 0 {
				d.runner.Remove(id)
			}
		}
	}
	d.metrics.forget(name)
}

// submit queues a job; a secret already queued or running is not queued
// twice.
func (d *Daemon) submit(j job) {
	if err := d.pool.submit(j); err != nil {
		d.log.Debug("not queued", "secret", j.secret, "job", j.kind.String(), "reason", err)
	}
}

// runJob runs one job on a worker and reschedules its secret after. A
// rotation calls awsDone after its last AWS call.
func (d *Daemon) runJob(ctx context.Context, j job, awsDone func()) jobResult {
	cfg, eng := d.current()
	rs := cfg.SecretByName(j.secret)
	if rs == nil {
		return jobResult{err: errUnknown(j.secret)}
	}
	var res *iamrotate.Result
	var err error
	switch j.kind {
	case jobDiscover:
		_, err = eng.Discover(ctx, j.secret)
	case jobRetire:
		err = eng.RetirePrevious(ctx, j.secret)
	case jobRefresh:
		_, err = eng.Refresh(ctx, j.secret)
	case jobRollback:
		res, err = eng.Rollback(ctx, j.secret, j.reason)
	case jobRotate:
		if j.ifDue {
			if err := eng.stillDue(ctx, rs); err != nil {
				d.log.Info("no longer due; skipped", "secret", j.secret)
				return jobResult{}
			}
		}
		fallthrough
	default:
		start := time.Now()
		res, err = eng.rotateWith(ctx, j.secret, j.manual, j.revoke, awsDone)
		if ctx.Err() == nil && !elsewhere(err) {
			d.metrics.rotated(j.secret, err, time.Since(start))
			d.notifyRotation(j.secret, res, err)
			if d.opts.AfterRotation != nil {
				d.opts.AfterRotation(j.secret, res, err)
			}
		}
	}
	if ctx.Err() != nil {
		// Stopping: the journal stays; the next start picks the secret up.
		return jobResult{res: res, err: errors.Join(err, ctx.Err())}
	}
	d.metrics.leaseOutcome(err)
	var held *state.HeldError
	switch {
	case errors.As(err, &held):
		// Another replica works on the secret. When its lease ends, look
		// again: it finished (then the secret is not due any more), or it
		// died and its open rotation is ours to finish.
		if !j.manual {
			at := d.now().Add(time.Second)
			if held.Holder != nil && held.Holder.Expires.After(d.now()) {
				at = held.Holder.Expires.Add(time.Second)
			}
			// A holder that only looked releases the lease at once:
			// look again well before its term ends.
			at = minTime(at, d.now().Add(d.lookAgain()))
			d.log.Info("another replica works on this secret; looking again when its lease ends", "secret", j.secret, "job", j.kind.String(), "holder", holderName(held), "at", at)
			d.scheduleOnce(j.secret, j.kind, at)
		}
		return jobResult{res: res, err: err}
	case waitsForReplicas(err):
		// Nothing was retired; the lagging replicas catch up by
		// themselves within a lease duration.
		if !j.manual {
			at := d.now().Add(d.lookAgain())
			d.log.Info("waiting for other replicas' own sinks before retiring a key; trying again", "secret", j.secret, "job", j.kind.String(), "err", err, "at", at)
			d.scheduleOnce(j.secret, j.kind, at)
		}
		return jobResult{res: res, err: err}
	case errors.Is(err, ErrNotDue):
		d.log.Info("another replica rotated this secret; skipped", "secret", j.secret)
	case errors.Is(err, iamrotate.ErrRetirementHeld):
		d.log.Info("rotation waits for a key still in use", "secret", j.secret, "err", err)
	case err != nil:
		d.log.Error("job failed", "secret", j.secret, "job", j.kind.String(), "err", err)
	}
	then := d.afterJob(ctx, j, rs, err)
	if then == nil && (errors.Is(err, ErrNotDue) || err == nil && res != nil && res.Resumed && eng.lease != nil) {
		// Another replica rotated the secret, or began the rotation this
		// one finished: its new key reached the shared sinks, and the
		// sinks of the replica that delivered it, but this replica's own
		// (a file on this host) may lack it.
		then = &job{secret: j.secret, kind: jobRefresh}
	}
	return jobResult{res: res, err: err, then: then}
}

// elsewhere reports an outcome that is another replica's doing: the secret
// was rotated, or is being worked on, by it.
func elsewhere(err error) bool {
	return errors.Is(err, ErrNotDue) || errors.Is(err, state.ErrLeaseHeld) || errors.Is(err, state.ErrFenced) || waitsForReplicas(err)
}

// waitsForReplicas reports a job that retired nothing because another
// replica's own sinks lag behind. (A strict rotation that waits for them
// after its delivery is a pending delivery instead, retried as such.)
func waitsForReplicas(err error) bool {
	return errors.Is(err, iamrotate.ErrReplicasLag) && !errors.Is(err, iamrotate.ErrDeliveryPending)
}

func holderName(h *state.HeldError) string {
	if h.Holder == nil {
		return "unknown"
	}
	return h.Holder.Owner
}

// afterJob puts the secret back on its schedule with what the store now
// says, or schedules a delivery retry. It returns the job to run next for
// the secret: the rotation of a key found overdue by discovery, with
// catch_up: immediate.
func (d *Daemon) afterJob(ctx context.Context, j job, rs *config.RotatedSecret, err error) *job {
	st, gerr := d.store.Get(ctx, rs.Name)
	if gerr != nil && !errors.Is(gerr, state.ErrNotFound) {
		d.log.Error("read state after job", "secret", rs.Name, "err", gerr)
		return nil
	}
	if errors.Is(gerr, state.ErrNotFound) {
		st = nil
	}
	d.metrics.holds(rs.Name, st)
	if errors.Is(err, iamrotate.ErrDeliveryPending) && st != nil && st.Journal != nil {
		d.mu.Lock()
		if e := d.entries[rs.Name]; e != nil {
			e.pendingSince = deliveryPendingSince(st)
		}
		d.mu.Unlock()
		d.retryDelivery(rs.Name, st.Journal.DeliveryAttempts)
		return nil
	}
	cfg, _ := d.current()
	cur := cfg.SecretByName(rs.Name)
	switch {
	case cur == nil: // removed meanwhile
		return nil
	case j.kind == jobRefresh: // the schedule is unchanged
		return nil
	case j.kind == jobRetire && (st == nil || st.Held == nil):
		d.dropRetireEntry(rs.Name)
		return nil
	}
	now := d.now()
	d.register(cur, st, now)
	if j.kind == jobDiscover && err == nil && st != nil && catchUpNow(cur, st, now) {
		d.log.Info("overdue; rotating now (catch_up: immediate)", "secret", rs.Name)
		return &job{secret: rs.Name, kind: jobRotate}
	}
	return nil
}
