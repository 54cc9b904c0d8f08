package daemon

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

// SetProcs gives the Go scheduler twice as many Ps as CPUs, unless the
// GOMAXPROCS environment variable says how many; it returns the number in
// force. rotatord's goroutines mostly wait: on AWS round trips, and in
// fdatasync (each store commit syncs twice, each file sink once). A
// goroutine blocked in a system call keeps its P until the runtime's
// monitor takes it back, and a goroutine woken by a response waits for a
// free P: with only as many Ps as CPUs, every rotation step queues behind
// the others. Measured on 2 CPUs (rotatord-bench -n 10000 -targets 4
// -workers 64 -latency 20ms): a mean AWS call of 23.4 ms for 20 ms of
// latency with 2 Ps, 21.5 ms with 4; more Ps than that gained nothing.
func SetProcs() int {
	if _, set := os.LookupEnv("GOMAXPROCS"); set {
		return runtime.GOMAXPROCS(0)
	}
	n := 2 * runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(n)
	return n
}

// startupGCPercent is the garbage collector's target while the daemon
// loads its configuration and schedules its secrets. That work allocates
// in a burst that stays mostly live (100,000 secrets hold about 150 MB),
// so with Go's default of 100 the heap peaks near twice that before it
// settles. Collecting at 25% growth keeps the peak near 1.25 times, for
// about half a second more CPU at 100,000 secrets
// (rotatord-bench -n 100000 -targets 4 -startup-only: peak RSS 358 MB and
// ready in 1.4 s by default, 277 MB and 2.0 s with 25).
const startupGCPercent = 25

var startupGC struct {
	sync.Mutex
	n   int // daemons starting
	old int // the percent to restore
}

// lowGCWhileStarting sets startupGCPercent until the returned function is
// called, unless GOGC is set in the environment. Daemons starting at once
// (tests) share it: the last one done restores the setting.
func lowGCWhileStarting() (restore func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	startupGC.Lock()
	if startupGC.n == 0 {
		startupGC.old = debug.SetGCPercent(startupGCPercent)
	}
	startupGC.n++
	startupGC.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			startupGC.Lock()
			defer startupGC.Unlock()
			if startupGC.n--; startupGC.n == 0 {
				debug.SetGCPercent(startupGC.old)
			}
		})
	}
}
