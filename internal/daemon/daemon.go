package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"reflect"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/buildinfo"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/notify"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/sink/webhook"
	"github.com/rotatord/rotatord/internal/state"
)

// Options configure Run. The zero value (with ConfigPath) is production.
type Options struct {
	ConfigPath string
	Logger     *slog.Logger
	// Runner schedules the secrets; nil: robfig/cron in UTC. Tests pass a
	// schedule.Manual and drive its clock.
	Runner runner
	// Now is the clock; default time.Now. With a Manual runner, its Now.
	Now func() time.Time
	// Rotator and Retryer tune the engine (tests).
	Rotator iamrotate.Options
	Retryer func() aws.Retryer
	// Notify sends a systemd notification ("READY=1"…); nil: sd_notify.
	Notify func(state string)
	// Ready, if set, is called once the daemon serves.
	Ready func(*Daemon)
	// NoWatch turns off following the configuration file (SIGHUP still
	// reloads).
	NoWatch bool
	// AfterRotation, if set, is called in the rotation's job after it ends,
	// its end recorded (the demo prints it).
	AfterRotation func(secret string, res *iamrotate.Result, err error)
	// SinkRetry and NotifyOptions tune the webhook sinks' and the notifier's
	// retries (tests).
	SinkRetry     *webhook.Retry
	NotifyOptions notify.Options
	// Build is the binary's identity, exported as rotatord_build_info;
	// zero: what buildinfo.Read finds without -ldflags overrides.
	Build buildinfo.Info
}

// Daemon is a running rotatord: one configuration at a time, a worker pool,
// a schedule entry per secret, the HTTP and control listeners.
// runner is what the daemon needs of a runner: schedule.Timer, or a
// test's schedule.Manual.
type runner interface {
	schedule.Scheduler
	schedule.Lifecycle
}

type Daemon struct {
	opts    Options
	log     *slog.Logger
	store   stateStore
	runner  runner
	pool    *pool
	metrics *metrics
	now     func() time.Time
	ready   atomic.Bool
	// replica is this process's name as a lease owner (shared stores).
	replica string
	// acks records what this host's file sinks hold, on a shared store
	// (nil otherwise); it outlives reloads.
	acks *replicaSet

	mu       sync.Mutex // guards the fields below
	cfg      *config.Config
	engine   *Engine
	notifier *notify.Notifier
	entries  map[string]*entry
	limiters map[string]*Limiter
	// claims remembers which secret was seen on which IAM user, across
	// reloads (see owners.go).
	claims *userClaims
}

// entry is a secret's place in the schedule.
type entry struct {
	id         cron.EntryID   // the rotation entry; 0 if none
	retireID   cron.EntryID   // the grace-period entry; 0 if none
	upcoming   []cron.EntryID // rotation.upcoming reminders (notify_before)
	last       time.Time      // the last rotation, or when the key was created; zero if unknown
	keyCreated time.Time      // when the current key was created; zero if unknown
	next       time.Time      // the next rotation; zero if none
	interval   time.Duration  // the gap between the schedule's next two rotations; zero if none
	// pendingSince is when the rotation whose delivery is pending (a sink
	// lacks its new key) began; zero if none is.
	pendingSince time.Time
}

// Run loads the configuration, opens the store, recovers open rotations,
// schedules every secret and serves until ctx is done; then it stops
// scheduling, lets running rotations reach their end (or, after
// shutdown_timeout, their next step), closes the store and returns nil.
func Run(ctx context.Context, o Options) error {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Notify == nil {
		o.Notify = sdNotify
	}
	if o.Build == (buildinfo.Info{}) {
		o.Build = buildinfo.Read("", "", "")
	}
	// Catch SIGHUP from the start: its default action would kill us.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	gcRestore := lowGCWhileStarting()
	defer gcRestore()
	cfg, err := config.Load(o.ConfigPath)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		o.Logger.Warn("configuration", "warning", w.Error())
	}
	st, err := openStore(ctx, cfg, "rotatord run", o.Now)
	if err != nil {
		return err
	}
	defer st.Close()

	d := &Daemon{
		opts: o, log: o.Logger, store: st, now: o.Now, runner: o.Runner,
		entries: map[string]*entry{}, limiters: map[string]*Limiter{},
		replica: ReplicaName(cfg), claims: newUserClaims(),
	}
	stopBeat, err := d.heartbeat(ctx, cfg)
	if err != nil {
		return err
	}
	defer stopBeat()
	d.acks = newReplicaSet(st, d.replica)
	if d.runner == nil {
		d.runner = schedule.NewTimer()
	}
	d.metrics = newMetrics(d)
	if err := d.apply(ctx, cfg); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (listen in %s): %w", cfg.Listen, cfg.File, err)
	}
	srv := d.serveHTTP(ln)
	defer srv.Close()

	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	d.pool = newPool(workCtx, cfg.Workers, d.runJob)
	stopControl, err := d.serveControl(workCtx, cfg.ControlSocket)
	if err == nil {
		defer stopControl()
		_, eng := d.current()
		eng.Reserve(cfg.ControlSocket, "control socket")
		err = d.startup(ctx)
	}
	if err != nil {
		_, idle := d.pool.close()
		cancelWork()
		<-idle
		return err
	}
	gcRestore()
	go d.catchUp(workCtx, cfg.State.LeaseDuration.D())
	d.runner.Start()
	d.ready.Store(true)
	o.Notify("READY=1")
	d.log.Info("rotatord is running", "secrets", len(cfg.Secrets), "workers", cfg.Workers, "listen", ln.Addr().String(), "control_socket", cfg.ControlSocket)
	if o.Ready != nil {
		o.Ready(d)
	}
	d.loop(ctx, hup)
	return d.shutdown(cfg.ShutdownTimeout.D(), cancelWork)
}

// loop waits for SIGHUP, changes of the configuration file, watchdog ticks
// and the end of ctx. Reloads run here, so a reload and a shutdown never
// overlap.
func (d *Daemon) loop(ctx context.Context, hup <-chan os.Signal) {
	var changed <-chan struct{}
	if !d.opts.NoWatch {
		w, err := watchFile(ctx, d.opts.ConfigPath, d.log)
		if err != nil {
			d.log.Warn("not following the configuration file; SIGHUP still reloads", "err", err)
		} else {
			changed = w
		}
	}
	tick, stopTick := watchdog(d.opts.Notify)
	defer stopTick()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			d.reload(ctx, "SIGHUP")
		case <-changed:
			d.reload(ctx, "file changed")
		case <-tick:
			d.opts.Notify("WATCHDOG=1")
		}
	}
}

// shutdown stops scheduling and waits for running jobs up to timeout; then
// it cancels them, and they stop at their next step, leaving their journal
// for the next start.
func (d *Daemon) shutdown(timeout time.Duration, cancelWork context.CancelFunc) error {
	d.opts.Notify("STOPPING=1")
	d.ready.Store(false)
	<-d.runner.Stop().Done()
	dropped, idle := d.pool.close()
	_, running := d.pool.counts()
	d.log.Info("stopping", "running", running, "dropped_from_queue", dropped, "shutdown_timeout", timeout)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
		d.log.Warn("shutdown_timeout passed; stopping running rotations at their next step (the next start resumes them)")
		cancelWork()
		<-idle
	}
	d.mu.Lock()
	n := d.notifier
	d.mu.Unlock()
	nctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Close(nctx); err != nil {
		d.log.Warn("notifications not sent before exit", "err", err)
	}
	d.log.Info("stopped")
	return nil
}

// apply makes cfg the running configuration: a new engine over the
// store, with the targets' rate limiters kept across reloads.
func (d *Daemon) apply(ctx context.Context, cfg *config.Config) error {
	d.mu.Lock()
	lims := make(map[string]*Limiter, len(cfg.Targets))
	for i := range cfg.Targets {
		t := &cfg.Targets[i]
		lims[t.Name] = d.limiters[t.Name].reuse(t)
	}
	d.mu.Unlock()
	eng, err := NewEngine(ctx, cfg, d.store, EngineOptions{
		Logger: d.log, Rotator: d.rotatorOptions(), Limiters: lims, Observe: d.metrics.observeAWS, Retryer: d.opts.Retryer, SinkRetry: d.opts.SinkRetry,
		Replica: d.replica, claims: d.claims, acks: d.acks,
	})
	if err != nil {
		return err
	}
	d.mu.Lock()
	old := d.notifier
	var n *notify.Notifier
	if old != nil && d.cfg != nil && reflect.DeepEqual(notifyTargets(d.cfg), notifyTargets(cfg)) {
		n, old = old, nil // unchanged: keep its queue
	} else if n, err = notify.New(cfg.Notify, d.log, d.opts.NotifyOptions); err != nil {
		d.mu.Unlock()
		return err
	}
	d.cfg, d.engine, d.limiters, d.notifier = cfg, eng, lims, n
	d.mu.Unlock()
	if old != nil {
		go func() { // let the replaced notifier send what it holds
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			_ = old.Close(cctx)
		}()
	}
	return nil
}

// notifyTargets is what decides whether a reload replaces the notifier.
func notifyTargets(c *config.Config) []config.Notify {
	out := make([]config.Notify, len(c.Notify))
	for i, n := range c.Notify {
		n.Pos = config.Pos{}
		out[i] = n
	}
	return out
}

// notify sends an event to the configured notification webhooks.
func (d *Daemon) notify(e notify.Event) {
	d.mu.Lock()
	n := d.notifier
	d.mu.Unlock()
	if e.Time.IsZero() {
		e.Time = d.now()
	}
	n.Send(context.Background(), e)
}

func (d *Daemon) rotatorOptions() iamrotate.Options {
	o := d.opts.Rotator
	if o.Now == nil {
		o.Now = d.now
	}
	if o.Logger == nil {
		o.Logger = d.log
	}
	o.Observe = d.notifyAudit
	return o
}

// current returns the running configuration and engine.
func (d *Daemon) current() (*config.Config, *Engine) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg, d.engine
}

// Store returns the daemon's state store (for the benchmark's counters).
func (d *Daemon) Store() state.Reader { return d.store }

// Jobs returns how many jobs wait for a worker and how many run.
func (d *Daemon) Jobs() (queued, running int) {
	if d.pool == nil {
		return 0, 0
	}
	return d.pool.counts()
}

// Ready reports whether the daemon has finished starting and serves.
func (d *Daemon) Ready() bool { return d.ready.Load() }

// errUnknown wraps ErrUnknownSecret for a name.
func errUnknown(name string) error {
	return fmt.Errorf("%w: %s", ErrUnknownSecret, name)
}

// serveControl serves the CLI on the control socket until the returned
// stop is called.
func (d *Daemon) serveControl(ctx context.Context, path string) (stop func(), err error) {
	b := d.backend()
	s, err := control.Listen(ctx, path, b, b, d.log)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	go func() {
		if err := s.Serve(ctx); err != nil {
			d.log.Error("control socket", "err", err)
		}
	}()
	return func() { _ = s.Close() }, nil
}
