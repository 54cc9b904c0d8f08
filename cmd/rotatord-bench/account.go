package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rotatord/rotatord/internal/state"
)

// accountFigures are a run's figures against an account's hidden IAM rate
// (Options.ThrottleRate): how soon rotatord found it, and how well it held
// it.
type accountFigures struct {
	Rate float64 // the hidden rate
	// Reach is the time from ready until IAM calls first succeeded at 0.9
	// of the rate over five seconds; negative: never.
	Reach time.Duration
	// From and To bound the steady window: from 30 s after ready (the
	// second half of the run if it is shorter than 40 s) to the last call
	// of the daemon that finished first (the others then have the account
	// to themselves).
	From, To time.Duration
	// Steady is the successful IAM calls a second in the steady window,
	// all daemons together, and Shares each daemon's.
	Steady float64
	Shares []float64
	// ThrottledSteady and ThrottledAll are the shares of IAM calls
	// throttled in the steady window and over the whole run.
	ThrottledSteady, ThrottledAll float64
}

// account computes the account figures of the daemons of ws, ready at
// readies; nil without a hidden rate.
func account(res *Result, ws []*world, readies []time.Time) *accountFigures {
	o := ws[0].o
	if o.ThrottleRate <= 0 || len(readies) == 0 {
		return nil
	}
	start := readies[0]
	for _, r := range readies {
		if r.Before(start) {
			start = r
		}
	}
	owner := map[string]int{}
	for i, w := range ws {
		for _, a := range w.admins {
			owner[a.AccessKeyID] = i
		}
	}
	type call struct {
		at        time.Duration
		daemon    int
		throttled bool
	}
	var calls []call
	for _, c := range ws[0].fake.CallLog() {
		if c.Service == "iam" {
			calls = append(calls, call{c.At.Sub(start), owner[c.KeyID], c.Throttled})
		}
	}
	f := &accountFigures{Rate: o.ThrottleRate, Reach: -1, Shares: make([]float64, len(ws))}
	if len(calls) == 0 {
		return f
	}
	last := make([]time.Duration, len(ws))
	for _, c := range calls {
		last[c.daemon] = c.at
	}
	f.To = slices.Min(last)
	if f.To <= 0 { // a daemon made no IAM call
		f.To = calls[len(calls)-1].at
	}
	f.From = 30 * time.Second
	if f.To < 40*time.Second {
		f.From = f.To / 2
	}
	var okTimes []time.Duration
	steadyOK, steadyAll, throttled := 0, 0, 0
	for _, c := range calls {
		if c.throttled {
			throttled++
		} else {
			okTimes = append(okTimes, c.at)
		}
		if c.at >= f.From && c.at <= f.To {
			steadyAll++
			if !c.throttled {
				steadyOK++
				f.Shares[c.daemon]++
			}
		}
	}
	secs := (f.To - f.From).Seconds()
	f.Steady = float64(steadyOK) / secs
	for i := range f.Shares {
		f.Shares[i] /= secs
	}
	f.ThrottledSteady = float64(steadyAll-steadyOK) / float64(max(steadyAll, 1))
	f.ThrottledAll = float64(throttled) / float64(len(calls))
	const window = 5 * time.Second
	for i, j := 0, 0; i < len(okTimes); i++ {
		for okTimes[i]-okTimes[j] >= window {
			j++
		}
		if okTimes[i] >= window && float64(i-j+1)/window.Seconds() >= 0.9*o.ThrottleRate {
			f.Reach = okTimes[i]
			break
		}
	}
	return f
}

// isolated runs the daemons of ws each in a process of its own and
// computes the run's figures.
func isolated(ctx context.Context, ws []*world) (*Result, error) {
	before := rusage()
	runs, err := runIsolated(ctx, ws)
	if err != nil {
		return nil, err
	}
	after := rusage()
	res := &Result{Options: ws[0].o}
	var st state.Stats
	var own time.Duration
	var readies []time.Time
	for _, r := range runs {
		res.Rotations += r.rotations
		res.Failed += r.failed
		own += r.cpu
		st.Updates += uint64(r.updates)
		st.Commits += uint64(r.commits)
		st.Busy += r.busy
		res.Elapsed = max(res.Elapsed, r.elapsed)
		res.StartToReady = max(res.StartToReady, r.startTo)
		res.PeakRSS = max(res.PeakRSS, r.peakRSS)
		readies = append(readies, r.ready)
	}
	if res.Rotations == 0 {
		return res, nil
	}
	res.OwnCPUPerRot = own / time.Duration(res.Rotations)
	// awsfake's CPU (this process) and the daemons' together, as the
	// in-process run counts it.
	figures(res, ws, &st, own+after.cpu-before.cpu)
	res.Account = account(res, ws, readies)
	return res, nil
}

// AccountTable formats the account figures of results that have them.
func AccountTable(rs []*Result) string {
	var b strings.Builder
	for _, r := range rs {
		f := r.Account
		if f == nil {
			continue
		}
		if b.Len() == 0 {
			fmt.Fprintf(&b, "%6s %7s %7s %9s %9s %8s %10s %10s %9s %7s\n",
				"hidden", "rate", "daemons", "reach0.9", "window", "iam/s", "of hidden", "shares", "throttled", "overall")
		}
		rate := fmt.Sprintf("%g", r.RateLimit)
		if r.RateAuto {
			rate = "auto"
		}
		reach := "never"
		if f.Reach >= 0 {
			reach = f.Reach.Round(100 * time.Millisecond).String()
		}
		var shares []string
		for _, s := range f.Shares {
			shares = append(shares, fmt.Sprintf("%.0f", 100*s/f.Steady))
		}
		fmt.Fprintf(&b, "%6g %7s %7d %9s %9s %8.1f %10.2f %10s %8.2f%% %6.2f%%\n",
			f.Rate, rate, max(r.Daemons, 1), reach,
			fmt.Sprintf("%.0f-%.0fs", f.From.Seconds(), f.To.Seconds()), f.Steady, f.Steady/f.Rate,
			strings.Join(shares, "/")+"%", 100*f.ThrottledSteady, 100*f.ThrottledAll)
	}
	return b.String()
}
