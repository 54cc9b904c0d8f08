package daemon

import (
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"
)

// sdNotify tells systemd the daemon's state when it runs under a unit with
// Type=notify (NOTIFY_SOCKET set); otherwise it does nothing.
func sdNotify(state string) { _, _ = sd.SdNotify(false, state) }

// watchdog returns a channel that ticks at half the unit's WatchdogSec, or
// never when no watchdog is set.
func watchdog(notify func(string)) (<-chan time.Time, func()) {
	interval, err := sd.SdWatchdogEnabled(false)
	if err != nil || interval <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(interval / 2)
	return t.C, t.Stop
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds, which systemd wants
// with RELOADING=1.
func monotonicUsec() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano() / 1000
}
