package bench

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
	"syscall"
	"time"

	"github.com/rotatord/rotatord/internal/daemon"
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
	cmd.Env = append(os.Environ(), childEnv+"="+filepath.Join(w.dir, "rotatord.yaml"))
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
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "ready" {
			ready = time.Since(started)
		}
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("the daemon: %w", err)
	}
	if ready == 0 {
		return nil, errors.New("the daemon stopped before it was ready")
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return &Result{Options: w.o, StartToReady: ready, PeakRSS: ru.Maxrss * 1024, StartupCPU: tv(ru.Utime) + tv(ru.Stime)}, nil
}

// ChildMain runs the daemon for startup when this process is that child,
// and reports whether it was. The daemon stops once ready; rotations it
// began by then finish first.
func ChildMain() bool {
	path, ok := os.LookupEnv(childEnv)
	if !ok {
		return false
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	err := daemon.Run(ctx, daemon.Options{
		ConfigPath: path, Logger: log, NoWatch: true,
		Ready: func(*daemon.Daemon) {
			fmt.Println("ready")
			if os.Getenv(childEnv+"_STATUS") != "" {
				b, _ := os.ReadFile("/proc/self/status")
				for _, l := range strings.Split(string(b), "\n") {
					if strings.HasPrefix(l, "Rss") || strings.HasPrefix(l, "VmHWM") {
						fmt.Fprintln(os.Stderr, l)
					}
				}
			}
			if f := os.Getenv(childEnv + "_HEAP"); f != "" {
				writeHeap(f)
			}
			stop()
		},
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "rotatord-bench daemon:", strings.TrimSpace(err.Error()))
		os.Exit(1)
	}
	os.Exit(0)
	return true
}

// writeHeap writes a heap profile of what is live.
func writeHeap(path string) {
	runtime.GC()
	f, err := os.Create(path)
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
