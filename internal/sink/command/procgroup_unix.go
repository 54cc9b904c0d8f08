//go:build unix

package command

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// killGroupOnCancel runs cmd in a process group of its own and makes the
// end of its context kill that whole group with SIGKILL: a shell script's
// children (a sleep, a curl) die with it instead of living on, holding
// the output pipe open. A process that left the group (setsid, a daemon
// that forks away) is not killed; Put stops reading its output after
// outputGrace.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// With Setpgid the group's id is the leader's pid; a negative pid
		// signals every process in the group.
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
}
