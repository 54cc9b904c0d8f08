// The benchmark measures rotatord on the real daemon code path (schedule,
// worker pool, state machine, store, file sink) against awsfake with a
// chosen per-call latency and rate limit: N secrets across T targets, all
// due at once. main prints its table; BENCHMARKS.md explains it.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/daemon"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// Options describe one run.
type Options struct {
	Secrets int
	Targets int
	Workers int
	// Latency is added to every AWS call by awsfake.
	Latency time.Duration
	// RateLimit is each target's rate_limit (IAM calls per second); 0 means
	// the highest the configuration allows (1000), i.e. none that binds.
	RateLimit float64
	// RateAuto sets rate_limit: auto, with rate_limit_max RateLimit.
	RateAuto bool
	// ThrottleRate is the account's IAM rate in awsfake, which rotatord is
	// not told: calls beyond it (and a bucket of ThrottleBurst) are
	// answered Throttling. 0: none.
	ThrottleRate  float64
	ThrottleBurst int
	// CloseConnections makes awsfake close the connection after every
	// answer; Realistic makes its answers the size AWS sends.
	CloseConnections, Realistic bool
	// Isolate runs the daemon in a process of its own, so that OwnCPU is
	// rotatord's alone (awsfake stays in this process).
	Isolate bool
	// Daemons is how many daemons share the account, each with Secrets
	// secrets of its own (implies Isolate when more than 1).
	Daemons int
	// Profile, with Isolate, is where the daemon writes a CPU profile of
	// its steady state (ready to the last rotation).
	Profile string
	// Dir holds the configuration, state and sink files; empty: a new
	// temporary directory, removed afterwards.
	Dir string
	// StartupOnly measures start-up to ready, in a process of its own, and
	// stops.
	StartupOnly bool
	// Reload, with StartupOnly, has the daemon wait for its start-up jobs,
	// then reload the file with 1% of the secrets rescheduled; the secrets
	// are seeded as rotated a day ago, so that none is due.
	Reload bool
	// KeyFiles, if not zero, gives every secret its own
	// secret_access_key_file (keys/NAME.secret, holding its user's key)
	// of this mode, as a file written by a provisioning tool would.
	KeyFiles os.FileMode
	// Log receives the daemon's warnings and errors; nil discards them.
	Log io.Writer
}

// Result is one run's figures.
type Result struct {
	Options
	Rotations       int
	StartToReady    time.Duration
	Elapsed         time.Duration // ready (all queued) to the last rotation's end
	CallsPerRot     float64       // every AWS call
	IAMCallsPerRot  float64       // the calls rate_limit counts
	Achieved        float64       // rotations per second
	Limit           float64       // the physical limit for this setting
	UpdatesPerRot   float64       // store Updates (each durable)
	CommitsPerRot   float64       // store transactions (bbolt syncs each twice)
	FsyncsPerRot    float64       // the store's two per commit and the file sink's two (file, directory)
	CommitTime      time.Duration // mean time of one transaction
	CommitterBusy   float64       // share of the run the committer was writing
	CPUPer1000      time.Duration // user+sys CPU of the whole process (awsfake included)
	PeakRSS         int64         // bytes; with StartupOnly, the daemon's process alone, start to exit
	ReadyRSS        int64         // with StartupOnly: the daemon's peak RSS from start to ready
	StartupCPU      time.Duration // with StartupOnly: the daemon process's CPU
	ReloadTook      time.Duration // with Reload: SIGHUP to applied, as the daemon logs it
	Rescheduled     int           // with Reload: secrets the reload rescheduled
	ReloadScheduled int           // with Reload: entries the runner scheduled during the reload
	MaxTargetPerSec int           // most IAM calls one target made in any second
	Failed          int
	Throttled       int           // IAM calls awsfake answered Throttling (ThrottleRate)
	OwnCPUPerRot    time.Duration // with Isolate: the daemon's own CPU per rotation, ready to the end
	Account         *accountFigures
}

// Run runs one benchmark.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Targets <= 0 {
		o.Targets = 1
	}
	if o.RateLimit <= 0 {
		o.RateLimit = 1000
	}
	daemon.SetProcs() // as rotatord run does
	dir, cleanup, err := workDir(o.Dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var fopts []awsfake.Option
	if o.ThrottleRate > 0 {
		fopts = append(fopts, awsfake.WithAccountRate(o.ThrottleRate, max(o.ThrottleBurst, 1)))
	}
	if o.CloseConnections {
		fopts = append(fopts, awsfake.WithConnectionClose())
	}
	if o.Realistic {
		fopts = append(fopts, awsfake.WithRealisticResponses())
	}
	fake := awsfake.New(fopts...)
	for _, a := range []string{"GetUser", "GetAccessKeyLastUsed", "ListAccessKeys", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "GetCallerIdentity"} {
		fake.SetLatency(a, o.Latency)
	}
	endpoint, stopFake, err := fake.ServeLoopback()
	if err != nil {
		return nil, err
	}
	defer stopFake()

	sinkDir, cleanSinks, err := tmpfsDir()
	if err != nil {
		return nil, err
	}
	defer cleanSinks()
	if o.Daemons > 1 {
		o.Isolate = true
	}
	ws := make([]*world, max(o.Daemons, 1))
	for i := range ws {
		ws[i] = &world{o: o, dir: dir, sinkDir: sinkDir, fake: fake, endpoint: endpoint}
		if len(ws) > 1 {
			ws[i].prefix = fmt.Sprintf("d%d-", i)
			ws[i].dir, ws[i].sinkDir = filepath.Join(dir, ws[i].prefix), filepath.Join(sinkDir, ws[i].prefix)
			for _, d := range []string{ws[i].dir, ws[i].sinkDir} {
				if err := os.MkdirAll(d, 0o700); err != nil {
					return nil, err
				}
			}
		}
		if err := ws[i].seed(ctx); err != nil {
			return nil, err
		}
	}
	if o.StartupOnly {
		return ws[0].startup(ctx)
	}
	fake.RecordCalls(true)
	if o.Isolate {
		return isolated(ctx, ws)
	}
	return ws[0].run(ctx)
}

// world is one run's fixture: users and keys in awsfake, the files.
type world struct {
	o        Options
	dir      string
	sinkDir  string // the file sinks' directory: a tmpfs where there is one
	fake     *awsfake.Server
	endpoint string
	prefix   string // of its users' and admins' names, when several daemons share the account
	admins   []aws.Credentials
	users    []aws.Credentials
}

func (w *world) run(ctx context.Context) (*Result, error) {
	o := w.o
	res := &Result{Options: o}
	var done atomic.Int64
	var failed atomic.Int64
	var last atomic.Int64 // unix nanos
	all := make(chan struct{})
	var once sync.Once
	log := slog.New(slog.NewTextHandler(orDiscard(o.Log), &slog.HandlerOptions{Level: slog.LevelWarn}))
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	var d *daemon.Daemon
	var ready time.Time
	started := time.Now()
	before := rusage()
	ran := make(chan error, 1)
	go func() {
		ran <- daemon.Run(dctx, daemon.Options{
			ConfigPath: filepath.Join(w.dir, "rotatord.yaml"), Logger: log, NoWatch: true,
			Ready: func(x *daemon.Daemon) {
				ready, d = time.Now(), x
			},
			AfterRotation: func(_ string, _ *iamrotate.Result, err error) {
				if err != nil {
					failed.Add(1)
				}
				last.Store(time.Now().UnixNano())
				if done.Add(1) == int64(o.Secrets) {
					once.Do(func() { close(all) })
				}
			},
		})
	}()
	select {
	case <-all:
		stop()
	case err := <-ran:
		return nil, fmt.Errorf("the daemon stopped early: %w", err)
	case <-ctx.Done():
		stop()
	}
	if err := <-ran; err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	after := rusage()
	res.StartToReady = ready.Sub(started)
	res.PeakRSS = after.maxRSS
	if d == nil {
		return res, nil
	}
	n := int(done.Load())
	res.Rotations, res.Failed = n, int(failed.Load())
	res.Elapsed = time.Duration(last.Load() - ready.UnixNano()) // every secret is queued at start
	var st *state.Stats
	if b, ok := d.Store().(*state.Bolt); ok {
		s := b.Stats()
		st = &s
	}
	figures(res, []*world{w}, st, after.cpu-before.cpu)
	res.Account = account(res, []*world{w}, []time.Time{ready})
	return res, nil
}

// figures fills in the per-rotation and rate figures of the daemons of
// ws; st are their stores' figures (nil: not a bbolt store).
func figures(res *Result, ws []*world, st *state.Stats, cpu time.Duration) {
	o, n := ws[0].o, float64(res.Rotations)
	calls, iam := 0, 0
	perTarget := map[string][]time.Time{}
	admin := map[string]bool{}
	for _, w := range ws {
		for _, a := range w.admins {
			admin[a.AccessKeyID] = true
		}
	}
	for _, c := range ws[0].fake.CallLog() {
		calls++
		if c.Service == "iam" {
			iam++
			if c.Throttled {
				res.Throttled++
			}
			if admin[c.KeyID] {
				perTarget[c.KeyID] = append(perTarget[c.KeyID], c.At)
			}
		}
	}
	res.CallsPerRot, res.IAMCallsPerRot = float64(calls)/n, float64(iam)/n
	res.Achieved = n / res.Elapsed.Seconds()
	byWorkers := float64(o.Workers) / (res.CallsPerRot * o.Latency.Seconds())
	byRate := o.RateLimit * float64(o.Targets*max(o.Daemons, 1)) / res.IAMCallsPerRot
	if o.ThrottleRate > 0 {
		byRate = min(byRate, o.ThrottleRate*n/float64(iam-res.Throttled)) // the account's rate, in rotations
	}
	res.Limit = byRate
	if o.Latency > 0 {
		res.Limit = min(byWorkers, byRate)
	}
	if st != nil {
		res.UpdatesPerRot, res.CommitsPerRot = float64(st.Updates)/n, float64(st.Commits)/n
		res.FsyncsPerRot = 2*res.CommitsPerRot + 2 // one file sink per secret: the file, then its directory
		res.CommitTime = st.Busy / time.Duration(max(st.Commits, 1))
		res.CommitterBusy = st.Busy.Seconds() / res.Elapsed.Seconds()
	}
	res.CPUPer1000 = time.Duration(float64(cpu) / n * 1000)
	for _, ts := range perTarget {
		res.MaxTargetPerSec = max(res.MaxTargetPerSec, maxInWindow(ts, time.Second))
	}
}

// maxInWindow is the most times within any window (ts in order).
func maxInWindow(ts []time.Time, window time.Duration) int {
	worst, j := 0, 0
	for i := range ts {
		for j < len(ts) && ts[j].Sub(ts[i]) < window {
			j++
		}
		worst = max(worst, j-i)
	}
	return worst
}

type usage struct {
	cpu    time.Duration
	maxRSS int64
}

func rusage() usage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return usage{cpu: tv(ru.Utime) + tv(ru.Stime), maxRSS: ru.Maxrss * 1024}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// tmpfsDir makes the sinks' directory on /dev/shm (a tmpfs, as /run is)
// when the machine has one, so that the sinks measure rotatord, not a disk.
func tmpfsDir() (string, func(), error) {
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	d, err := os.MkdirTemp(base, "rotatord-bench-sinks-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { os.RemoveAll(d) }, nil
}

func workDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o700)
	}
	d, err := os.MkdirTemp("", "rotatord-bench-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { os.RemoveAll(d) }, nil
}

// Table formats results as one table; start-up results get their own.
func Table(rs []*Result) string {
	if len(rs) > 0 && rs[0].StartupOnly {
		var b strings.Builder
		fmt.Fprintf(&b, "%8s %3s %10s %10s %9s %10s %11s %9s\n", "N", "T", "ready", "RSS@ready", "peakRSS", "reload", "rescheduled", "entries")
		for _, r := range rs {
			fmt.Fprintf(&b, "%8d %3d %10s %10s %9s %10s %11d %9d\n", r.Secrets, r.Targets, r.StartToReady.Round(time.Millisecond),
				mib(r.ReadyRSS), mib(r.PeakRSS), r.ReloadTook.Round(time.Millisecond), r.Rescheduled, r.ReloadScheduled)
		}
		return b.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%8s %3s %7s %7s %6s %8s %9s %9s %8s %6s %8s %8s %8s %7s %8s %8s %11s %8s %8s %7s %9s %7s\n",
		"N", "T", "workers", "latency", "rate", "ready", "calls/rot", "iam/rot", "rot/s", "limit", "achieved", "updates", "commits", "fsyncs", "commit", "busy", "cpu/1000rot", "peakRSS", "max/s/T", "failed", "throttled", "own/rot")
	for _, r := range rs {
		rate, own := fmt.Sprintf("%.0f", r.RateLimit), "-"
		if r.RateAuto {
			rate = "auto"
		}
		if r.Isolate || r.Daemons > 1 {
			own = r.OwnCPUPerRot.Round(10 * time.Microsecond).String()
		}
		fmt.Fprintf(&b, "%8d %3d %7d %7s %6s %8s %9.2f %9.2f %8.1f %6.1f %8.2f %8.2f %8.2f %7.2f %8s %7.0f%% %11s %7dM %8d %7d %9d %7s\n",
			r.Secrets, r.Targets, r.Workers, r.Latency, rate, r.StartToReady.Round(time.Millisecond),
			r.CallsPerRot, r.IAMCallsPerRot, r.Achieved, r.Limit, r.Achieved/r.Limit, r.UpdatesPerRot, r.CommitsPerRot, r.FsyncsPerRot,
			r.CommitTime.Round(10*time.Microsecond), 100*r.CommitterBusy,
			r.CPUPer1000.Round(time.Millisecond), r.PeakRSS>>20, r.MaxTargetPerSec, r.Failed, r.Throttled, own)
	}
	return b.String()
}
