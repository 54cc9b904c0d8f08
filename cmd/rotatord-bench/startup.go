package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/internal/daemon"
	"github.com/rotatord/rotatord/internal/schedule"
)

// childEnv names the configuration a re-executed rotatord-bench starts the
// daemon on, for the start-up measurement.
const childEnv = "ROTATORD_BENCH_DAEMON"

// startup measures start-up to ready in a process of its own, so that the
// peak RSS and CPU are the daemon's, not awsfake's or the seeding's: the
// benchmark binary runs itself again as the daemon, which loads the
// configuration, opens the store, recovers and schedules every secret,
// prints "ready" and stops.
func (w *world) startup(ctx context.Context) (*Result, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.Env = append(os.Environ(), childEnv+"="+filepath.Join(w.dir, "rotatord.yaml"))
	if w.o.Reload {
		cmd.Env = append(cmd.Env, childEnv+"_RELOAD=1")
	}
	cmd.Stderr = orDiscard(w.o.Log)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var ready time.Duration
	res := &Result{Options: w.o}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "ready":
			ready = time.Since(started)
			res.ReadyRSS, _ = strconv.ParseInt(f[1], 10, 64)
		case len(f) == 4 && f[0] == "reloaded":
			took, _ := strconv.ParseInt(f[1], 10, 64)
			res.ReloadTook = time.Duration(took)
			res.Rescheduled, _ = strconv.Atoi(f[2])
			res.ReloadScheduled, _ = strconv.Atoi(f[3])
		}
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("the daemon: %w", err)
	}
	if ready == 0 {
		return nil, errors.New("the daemon stopped before it was ready")
	}
	if w.o.Reload && res.ReloadTook == 0 {
		return nil, errors.New("the daemon did not report its reload")
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	res.StartToReady, res.PeakRSS, res.StartupCPU = ready, ru.Maxrss*1024, tv(ru.Utime)+tv(ru.Stime)
	return res, nil
}

// ChildMain runs the daemon for startup when this process is that child,
// and reports whether it was. The daemon stops once ready (rotations it
// began by then finish first); with Reload, once it has reloaded.
func ChildMain() bool {
	path, ok := os.LookupEnv(childEnv)
	if !ok {
		return false
	}
	daemon.SetProcs()
	if n, err := strconv.Atoi(os.Getenv(rotateEnv)); err == nil {
		if err := rotateChild(path, n); err != nil {
			fmt.Fprintln(os.Stderr, "rotatord-bench daemon:", strings.TrimSpace(err.Error()))
			os.Exit(1)
		}
		os.Exit(0)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	reloaded := make(chan slog.Record, 1)
	log := slog.New(&watchHandler{
		Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}),
		msg:     "configuration reloaded", seen: reloaded,
	})
	runner := &countingRunner{Timer: schedule.NewTimer()}
	err := daemon.Run(ctx, daemon.Options{
		ConfigPath: path, Logger: log, NoWatch: true, Runner: runner,
		Ready: func(d *daemon.Daemon) {
			fmt.Println("ready", peakRSS())
			if f := os.Getenv(childEnv + "_HEAP"); f != "" {
				writeHeap(f)
			}
			if os.Getenv(childEnv+"_RELOAD") == "" {
				stop()
				return
			}
			go func() {
				defer stop()
				if err := reloadOnce(d, path, runner, reloaded); err != nil {
					fmt.Fprintln(os.Stderr, "rotatord-bench daemon:", err)
				}
			}()
		},
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "rotatord-bench daemon:", strings.TrimSpace(err.Error()))
		os.Exit(1)
	}
	os.Exit(0)
	return true
}

// reloadOnce waits for the start-up jobs to finish, changes the rotation
// hour of every hundredth secret in the file, sends SIGHUP and prints
// "reloaded <took> <rescheduled> <entries scheduled>" once the daemon
// says it has applied the file.
func reloadOnce(d *daemon.Daemon, path string, runner *countingRunner, reloaded <-chan slog.Record) error {
	deadline := time.Now().Add(10 * time.Minute)
	for q, r := d.Jobs(); q+r > 0; q, r = d.Jobs() {
		if time.Now().After(deadline) {
			return errors.New("start-up jobs still running after 10 minutes")
		}
		time.Sleep(50 * time.Millisecond) // polling the pool, which has no signal for idle
	}
	// The benchmark's own configuration, in its own work directory.
	data, err := os.ReadFile(path) // the benchmark's own work directory
	if err != nil {
		return err
	}
	items := strings.Split(string(data), "\n  - name: ")
	for i := 1; i < len(items); i += 100 {
		items[i] = strings.Replace(items[i], "rotation_hour: 3", "rotation_hour: 4", 1)
	}
	if err := os.WriteFile(path, []byte(strings.Join(items, "\n  - name: ")), 0o600); err != nil { // the same, its own
		return err
	}
	runner.n.Store(0)
	if f := os.Getenv(childEnv + "_RELOAD_PROFILE"); f != "" {
		out, err := os.Create(f) // a profile the benchmark's user asked for
		if err != nil {
			return err
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		return err
	}
	select {
	case r := <-reloaded:
		var took time.Duration
		var rescheduled int64
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "took":
				took = a.Value.Duration()
			case "rescheduled":
				rescheduled = a.Value.Int64()
			}
			return true
		})
		fmt.Printf("reloaded %d %d %d\n", took, rescheduled, runner.n.Load())
		return nil
	case <-time.After(time.Minute):
		return errors.New("no reload within a minute of SIGHUP")
	}
}

// watchHandler passes records on, and sends the first with message msg.
type watchHandler struct {
	slog.Handler
	msg  string
	seen chan<- slog.Record
}

func (h *watchHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo
}

func (h *watchHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.seen <- r.Clone():
		default:
		}
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *watchHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &watchHandler{Handler: h.Handler.WithAttrs(as), msg: h.msg, seen: h.seen}
}

func (h *watchHandler) WithGroup(name string) slog.Handler {
	return &watchHandler{Handler: h.Handler.WithGroup(name), msg: h.msg, seen: h.seen}
}

// countingRunner counts the entries scheduled, to show that a reload
// reschedules only the secrets whose schedule changed.
type countingRunner struct {
	*schedule.Timer
	n atomic.Int64
}

func (c *countingRunner) Schedule(s cron.Schedule, j cron.Job) cron.EntryID {
	c.n.Add(1)
	return c.Timer.Schedule(s, j)
}

// peakRSS is this process's peak resident set so far, in bytes (VmHWM).
func peakRSS() int64 {
	b, _ := os.ReadFile("/proc/self/status") // the kernel's, not a configured path
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// writeHeap writes a heap profile of what is live.
func writeHeap(path string) {
	runtime.GC()
	f, err := os.Create(path) // a profile the benchmark's user asked for
	if err == nil {
		err = pprof.WriteHeapProfile(f)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rotatord-bench: heap profile:", err)
	}
}

// mib formats bytes in MiB.
func mib(b int64) string { return strconv.FormatInt(b>>20, 10) + "M" }
