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
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rotatord/rotatord/internal/daemon"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// rotateEnv, set beside childEnv, makes the child run the daemon until
// that many rotations have ended (-isolate), and report them.
const rotateEnv = childEnv + "_ROTATE"

// profileEnv names the file the child writes a CPU profile of its steady
// state to: from ready to the last rotation's end.
const profileEnv = childEnv + "_CPUPROFILE"

// childRun is what a rotating child reported.
type childRun struct {
	ready     time.Time // when the parent read "ready"
	startTo   time.Duration
	rotations int
	failed    int
	elapsed   time.Duration // ready to the last rotation's end
	cpu       time.Duration // the child's user+sys CPU from ready to the end
	updates   int64
	commits   int64
	busy      time.Duration
	peakRSS   int64
}

// runIsolated runs the daemon of each world in a process of its own, at
// once, so that the CPU each reports is rotatord's alone: awsfake runs in
// this process.
func runIsolated(ctx context.Context, ws []*world) ([]*childRun, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	runs := make([]*childRun, len(ws))
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		runs[i] = &childRun{}
		cmd := exec.CommandContext(ctx, self)
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		cmd.Env = append(os.Environ(), childEnv+"="+filepath.Join(w.dir, "rotatord.yaml"), rotateEnv+"="+strconv.Itoa(w.o.Secrets))
		if w.o.Profile != "" {
			p := w.o.Profile
			if len(ws) > 1 {
				p += "." + strconv.Itoa(i)
			}
			cmd.Env = append(cmd.Env, profileEnv+"="+p)
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
		wg.Go(func() { errs[i] = readChild(cmd, out, started, runs[i]) })
	}
	wg.Wait()
	return runs, errors.Join(errs...)
}

// readChild reads a rotating child's report and waits for it to exit.
func readChild(cmd *exec.Cmd, out interface{ Read([]byte) (int, error) }, started time.Time, r *childRun) error {
	sc := bufio.NewScanner(out)
	done := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "ready":
			r.ready = time.Now()
			r.startTo = r.ready.Sub(started)
		case len(f) == 9 && f[0] == "rotated":
			n := make([]int64, 8)
			for i := range n {
				n[i], _ = strconv.ParseInt(f[i+1], 10, 64)
			}
			r.rotations, r.failed, r.elapsed, r.cpu = int(n[0]), int(n[1]), time.Duration(n[2]), time.Duration(n[3])
			r.updates, r.commits, r.busy, r.peakRSS = n[4], n[5], time.Duration(n[6]), n[7]
			done = true
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("the daemon: %w", err)
	}
	if !done {
		return errors.New("the daemon stopped before its rotations ended")
	}
	return nil
}

// rotateChild runs the daemon on path until want rotations have ended,
// prints "ready RSS" once ready and, at the end, "rotated N FAILED
// ELAPSED CPU UPDATES COMMITS BUSY PEAKRSS" (durations in nanoseconds),
// CPU being this process's from ready to the end.
func rotateChild(path string, want int) error {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var done, failed atomic.Int64
	var last atomic.Int64
	var ready time.Time
	var atReady usage
	var d *daemon.Daemon
	finished := make(chan struct{})
	var once sync.Once
	profile := os.Getenv(profileEnv)
	err := daemon.Run(ctx, daemon.Options{
		ConfigPath: path, Logger: log, NoWatch: true,
		Ready: func(x *daemon.Daemon) {
			d, ready, atReady = x, time.Now(), rusage()
			fmt.Println("ready", peakRSS())
			if profile != "" {
				startProfile(profile)
			}
			go func() { <-finished; stop() }()
		},
		AfterRotation: func(_ string, _ *iamrotate.Result, err error) {
			if err != nil {
				failed.Add(1)
			}
			last.Store(time.Now().UnixNano())
			if done.Add(1) == int64(want) {
				once.Do(func() { close(finished) })
			}
		},
	})
	if profile != "" {
		pprof.StopCPUProfile()
	}
	end := rusage()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if d == nil {
		return errors.New("the daemon was never ready")
	}
	var st state.Stats
	if b, ok := d.Store().(*state.Bolt); ok {
		st = b.Stats()
	}
	fmt.Println("rotated", done.Load(), failed.Load(), last.Load()-ready.UnixNano(), int64(end.cpu-atReady.cpu),
		st.Updates, st.Commits, int64(st.Busy), end.maxRSS)
	return nil
}

// startProfile starts a CPU profile into path, a file the benchmark's
// user named.
func startProfile(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rotatord-bench: cpu profile:", err)
	}
}
