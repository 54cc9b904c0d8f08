// Command rotatord-bench runs rotatord's daemon code path against the
// built-in AWS endpoint with a chosen latency and rate limit, N secrets all
// due at once, and prints one table. See BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"syscall"
)

func main() {
	if ChildMain() {
		return
	}
	var o Options
	flag.IntVar(&o.Secrets, "n", 1000, "secrets, all due at once")
	flag.IntVar(&o.Targets, "targets", 1, "targets the secrets are spread over")
	flag.IntVar(&o.Workers, "workers", 64, "rotation workers")
	flag.DurationVar(&o.Latency, "latency", 0, "latency awsfake adds to every AWS call")
	rate := flag.String("rate", "0", "rate_limit of each target in IAM calls/s (0: 1000, none that binds), or auto")
	flag.Float64Var(&o.RateLimit, "rate-max", 0, "with -rate auto: rate_limit_max (0: 1000)")
	flag.Float64Var(&o.ThrottleRate, "throttle-rate", 0, "the account's IAM rate in awsfake, hidden from rotatord: calls beyond it are answered Throttling (0: none)")
	flag.IntVar(&o.ThrottleBurst, "throttle-burst", 0, "the account's burst of IAM calls (0: a second's worth of -throttle-rate)")
	flag.BoolVar(&o.CloseConnections, "close-connections", false, "awsfake closes the connection after every answer")
	flag.BoolVar(&o.Realistic, "realistic", false, "awsfake's answers are the size AWS sends (indented XML)")
	flag.BoolVar(&o.Isolate, "isolate", false, "run the daemon in a process of its own, to report its own CPU per rotation (awsfake excluded)")
	flag.IntVar(&o.Daemons, "daemons", 1, "daemons sharing the account, each with -n secrets of its own (implies -isolate)")
	flag.StringVar(&o.Profile, "daemon-cpuprofile", "", "with -isolate: write a CPU profile of the daemon's steady state (ready to the last rotation) to `file`")
	flag.BoolVar(&o.StartupOnly, "startup-only", false, "measure the daemon's start-up to ready (in a process of its own), then stop")
	flag.BoolVar(&o.Reload, "reload", false, "with -startup-only: once start-up jobs are done, reload the file with 1% of the secrets rescheduled")
	flag.StringVar(&o.Dir, "dir", "", "work directory (default: a temporary one, removed)")
	keyFiles := flag.Uint("key-files", 0, "give every secret its own secret_access_key_file of this mode, such as 0600 or 0644 (0: none)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to `file`")
	traceFile := flag.String("trace", "", "write an execution trace of the run to `file`")
	memprofile := flag.String("memprofile", "", "write an allocation profile of the run to `file`")
	flag.Parse()
	if *rate == "auto" {
		o.RateAuto = true
	} else if _, err := fmt.Sscan(*rate, &o.RateLimit); err != nil {
		fmt.Fprintln(os.Stderr, "rotatord-bench: -rate: want a number or auto")
		os.Exit(2)
	}
	if o.ThrottleBurst == 0 {
		o.ThrottleBurst = max(int(o.ThrottleRate), 1)
	}
	o.KeyFiles = os.FileMode(*keyFiles) & os.ModePerm
	// The profile and trace files below are outputs the benchmark's user
	// names on its command line, written with that user's rights: not
	// configured paths, so not through internal/safefile.
	if *traceFile != "" {
		f, err := os.Create(*traceFile) // an output the benchmark's user named
		if err != nil {
			fmt.Fprintln(os.Stderr, "rotatord-bench:", err)
			os.Exit(1)
		}
		if err := trace.Start(f); err != nil {
			fmt.Fprintln(os.Stderr, "rotatord-bench:", err)
			os.Exit(1)
		}
		defer trace.Stop()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile) // an output the benchmark's user named
		if err != nil {
			fmt.Fprintln(os.Stderr, "rotatord-bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "rotatord-bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	o.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := Run(ctx, o)
	if err != nil {
		pprof.StopCPUProfile()
		trace.Stop()
		fmt.Fprintln(os.Stderr, "rotatord-bench:", err)
		os.Exit(1)
	}
	if *memprofile != "" {
		f, err := os.Create(*memprofile) // an output the benchmark's user named
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "rotatord-bench:", err)
			os.Exit(1)
		}
	}
	fmt.Print(Table([]*Result{r}))
	if t := AccountTable([]*Result{r}); t != "" {
		fmt.Print("\n" + t)
	}
}
