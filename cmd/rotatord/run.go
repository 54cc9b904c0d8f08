package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/daemon"
)

func (c *cli) runCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the daemon: schedule every secret, rotate when due, deliver",
		Long: fmt.Sprintf(`Run rotatord as a daemon: load and check the configuration, open the state
store (a bbolt file exclusively), finish rotations a crash left open, schedule every
secret and rotate each when due in a pool of workers, delivering the new key
to its sinks. It refuses what validate refuses (see rotatord validate
--help), and a state file that exists but is empty, truncated, damaged or
not rotatord's: it exits 1 with one sentence and leaves the file as it is
(README, "Backups and restoring"); a new state file is made only where none
exists. A file sink never follows a symbolic link, never writes through a
directory another user can write, and writes only a regular file that is
not one of rotatord's own: a sink that meets anything else fails, its
rotation stays open with both keys valid, and the other secrets go on. The
process cannot be dumped (no core file holds a key).

SIGHUP, or any change of the configuration file, reloads it: the new file is
checked in full first; an invalid one changes nothing (see the log and
rotatord_config_last_reload_successful). SIGTERM or SIGINT stops scheduling,
lets running rotations finish (up to shutdown_timeout, then they stop at
their next step and resume at the next start) and exits 0. A second
SIGTERM or SIGINT exits at once, with status 143 or 130: a step that does
not stop (a sink's program that ignores signals) cannot hold the daemon,
and the next start resumes the rotation it cut short.

No call waits forever on a silent peer: every AWS call (IAM, STS, Secrets
Manager, SSM, DynamoDB) ends within 30s, SDK retries included, a webhook
attempt within its timeout (default 10s), a command within its timeout
(default 30s, then its process group is killed). A call that times out
fails its step, which is retried like any failure.

With state.backend: dynamodb, several daemons share one table: each
schedules every secret, and the one that takes a secret's lease rotates it
while the others skip it (see rotatord status, and README's "Several
replicas").

While it runs, list, status, get, history and rotate talk to it through its
control socket (mode 0600), and wait %[1]s for an answer (rotate: the longest
verify_timeout and 30 minutes more). Before sending anything they check who
listens there (SO_PEERCRED) and refuse a process that is neither root's nor
their own user's: whoever can write the socket's directory could otherwise
answer with a forged key. run refuses to start when such a process holds
control_socket. The socket keeps at most %[2]d connections (at the cap, the one
that waited longest for a request is closed) and closes one that sends no
request headers within %[3]s or stays idle %[4]s.

It serves /metrics, /healthz and /readyz on listen, within limits too: at
most %[5]d connections (closing, at the cap, the one that waited longest), %[6]s
for the headers (%[7]d KiB at most), %[8]s for the request, %[9]s for the answer, %[10]s
idle. It tells systemd its state (Type=notify, watchdog). It logs to standard
output (JSON unless a terminal); errors that stop it go to standard error.`,
			control.DefaultTimeout, control.MaxConns, control.ReadHeaderTimeout, control.IdleTimeout,
			daemon.MaxHTTPConns, daemon.HTTPReadHeaderTimeout, daemon.HTTPMaxHeaderBytes>>10,
			daemon.HTTPReadTimeout, daemon.HTTPWriteTimeout, daemon.HTTPIdleTimeout),
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// The daemon logs to standard output, as containers expect;
			// other commands keep it for their results.
			log, err := newLogger(c.stdout, c.logFormat, c.logLevel)
			if err != nil {
				return errUsage{err}
			}
			daemon.SetProcs()
			return daemon.Run(c.ctx, daemon.Options{ConfigPath: c.configPath, Logger: log, Build: build()})
		},
	}
}
