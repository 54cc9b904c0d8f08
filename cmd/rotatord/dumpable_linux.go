package main

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// forbidCoreDumps keeps the keys in this process's memory (the protection
// key, the targets' and the rotated secret access keys) out of core files
// and away from other processes of the same user. It makes the process
// non-dumpable (prctl PR_SET_DUMPABLE 0): no core file is written, a
// process of the same uid can neither ptrace it nor read its /proc/PID/mem
// or environ, and those files belong to root. It also sets the core file
// size limit to 0 (RLIMIT_CORE), which programs rotatord starts (a command
// sink's, with a key in its environment) inherit; execve makes those
// dumpable again, so the limit is what covers them. It runs first in main,
// before any key is read.
func forbidCoreDumps() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("make the process non-dumpable (prctl PR_SET_DUMPABLE): %w; allow prctl in the system call filter", err)
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err == nil && lim.Cur == 0 && lim.Max == 0 {
		return nil // already so, e.g. LimitCORE=0 in the systemd unit
	}
	if err := unix.Prlimit(0, unix.RLIMIT_CORE, &unix.Rlimit{}, nil); err != nil {
		return fmt.Errorf("set the core file size limit to 0 (RLIMIT_CORE): %w; set it before starting rotatord (LimitCORE=0, ulimit -c 0)", err)
	}
	return nil
}
