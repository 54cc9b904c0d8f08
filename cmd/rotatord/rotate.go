package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/daemon"
	"github.com/rotatord/rotatord/internal/iamrotate"
)

// rotateFlags are the flags of `rotatord rotate`.
type rotateFlags struct {
	folder         string
	all            bool
	revokePrevious bool
	revokeAfter    time.Duration
	reason         string
	output         *outputFormat
}

// bulk reports whether the command line asks for a bulk rotation: several
// names, a folder, every secret, or a document for programs.
func (f *rotateFlags) bulk(cmd *cobra.Command, args []string) bool {
	return len(args) != 1 || f.folder != "" || f.all || cmd.Flags().Changed("output")
}

func (c *cli) rotateCommand() *cobra.Command {
	f := &rotateFlags{}
	cmd := &cobra.Command{
		Use:   "rotate [NAME...] [--folder FOLDER | --all]",
		Short: "Rotate secrets now: one, several, a folder or all",
		Long: `Rotate the named secret's access key now: create a new key, verify it,
deliver it to every sink, then retire the old one as the secret's mode says.
If the secret has a rotation left open (after a crash or a failed delivery),
rotate continues that rotation instead of starting another. When a daemon
runs, it does the rotation (through its control socket) and rotate waits
for up to the longest verify_timeout and 30 minutes more; if it stops
waiting, the rotation goes on in the daemon (see rotatord status NAME). A
control socket that another user's process serves is refused (see rotatord
run --help).

Several names, --folder FOLDER (every secret under that path, such as
/team-a/) or --all rotate many secrets: through the daemon's worker pool
when a daemon runs (queued, under each target's rate_limit and the
secrets' leases), or on a pool of "workers" in this process otherwise,
with a progress bar on a terminal. A table then lists each secret: rotated,
pending (the new key waits for a sink; both keys stay valid), failed (and
why), skipped or not started; -o json|yaml prints it as a document. Exit
status 1 if any failed or did not start, 3 if any delivery is pending.

--revoke-previous (incident response) revokes each replaced key: once
every sink holds the new key, the previous key is deactivated at once, in
graceful mode too, and deleted after --revoke-after (default: at once;
later, the daemon deletes it when due). It needs --reason, which the audit
history records (rotatord history NAME). Run the same command again after
an interruption: secrets already revoked for that reason are skipped, open
rotations are finished, and the rest are rotated.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(cmd, args); err != nil {
				return err
			}
			if !f.bulk(cmd, args) {
				return c.rotateSingle(args[0], f)
			}
			return c.rotateBulk(args, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.folder, "folder", "", "rotate every secret under this `folder` (such as /team-a/)")
	fl.BoolVar(&f.all, "all", false, "rotate every configured secret")
	fl.BoolVar(&f.revokePrevious, "revoke-previous", false, "revoke each replaced key once every sink holds the new one (needs --reason)")
	fl.DurationVar(&f.revokeAfter, "revoke-after", 0, "with --revoke-previous: delete the deactivated key after this `duration` (default: at once)")
	fl.StringVar(&f.reason, "reason", "", "with --revoke-previous: why, for the audit history (a `text` such as an incident number)")
	f.output = outputFlag(cmd)
	return cmd
}

// check refuses flags that do not go together.
func (f *rotateFlags) check(cmd *cobra.Command, args []string) error {
	given := 0
	for _, b := range []bool{len(args) > 0, f.folder != "", f.all} {
		if b {
			given++
		}
	}
	switch {
	case given != 1:
		return errUsage{fmt.Errorf("%s needs one secret name or more, --folder FOLDER or --all (one of them; see %s --help)", cmd.Name(), cmd.CommandPath())}
	case !f.revokePrevious && (cmd.Flags().Changed("revoke-after") || f.reason != ""):
		return errUsage{fmt.Errorf("--revoke-after and --reason go with --revoke-previous (see rotatord rotate --help)")}
	case f.revokePrevious && f.reason == "":
		return errUsage{fmt.Errorf("--revoke-previous needs --reason: it goes to the audit history, and a repeated run skips what was revoked for it")}
	case f.revokeAfter < 0:
		return errUsage{fmt.Errorf("--revoke-after must not be negative, got %s", f.revokeAfter)}
	}
	return nil
}

func (f *rotateFlags) revoke() *iamrotate.Revoke {
	if !f.revokePrevious {
		return nil
	}
	return &iamrotate.Revoke{After: f.revokeAfter, Reason: f.reason}
}

// rotateSingle rotates one secret and prints one line, as rotate always did.
func (c *cli) rotateSingle(name string, f *rotateFlags) error {
	return c.withBackend("rotatord rotate", func(b backend) error {
		var res *iamrotate.Result
		var err error
		if rv := f.revoke(); rv != nil {
			res, err = b.RotateRevoke(c.ctx, name, *rv)
		} else {
			res, err = b.Rotate(c.ctx, name)
		}
		if err != nil {
			return err
		}
		if res.Skipped {
			fmt.Fprintf(c.stdout, "%s: a key was already revoked for this reason; nothing done (current key %s, version %d)\n", config.CanonicalName(name), res.NewKeyID, res.Version)
			return nil
		}
		verb := "rotated"
		if res.Resumed {
			verb = "finished the open rotation of"
		}
		fmt.Fprintf(c.stdout, "%s %s: %s -> %s (version %d)\n", verb, config.CanonicalName(name), res.OldKeyID, res.NewKeyID, res.Version)
		if f.revokePrevious {
			fmt.Fprintf(c.stdout, "revoked %s (%s)\n", res.OldKeyID, revokedHow(f.revokeAfter))
		}
		return nil
	})
}

func revokedHow(after time.Duration) string {
	if after <= 0 {
		return "deactivated and deleted"
	}
	return "deactivated; deleted in " + after.String()
}

// rotateBulk rotates every selected secret and prints the summary.
func (c *cli) rotateBulk(args []string, f *rotateFlags) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	names, err := selectSecrets(cfg, args, f.folder, f.all)
	if err != nil {
		return err
	}
	req := bulkRequest{names: names, revoke: f.revoke(), parallel: cfg.Workers}
	var rows []bulkRow
	o := daemon.EngineOptions{Limiters: daemon.Limiters(cfg)}
	err = c.withBackendOf(cfg, "rotatord rotate", o, func(b backend) error {
		if _, viaDaemon := b.(*control.Client); viaDaemon {
			// Enough requests in flight to keep the daemon's pool busy; it
			// queues them and runs "workers" at once.
			req.parallel = min(2*cfg.Workers, 32)
		}
		bar := newProgress(c.stderr, isTerminal(c.stderr), "rotating")
		rows = runBulk(c.ctx, b, req, bar)
		bar.close()
		return nil
	})
	if err != nil {
		return err
	}
	doc := summarize(rows)
	if *f.output == outputTable {
		err = writeBulkTable(c.stdout, doc)
	} else {
		err = writeDoc(c.stdout, *f.output, doc)
	}
	if err != nil {
		return err
	}
	return bulkError(doc)
}

func (c *cli) recoverCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "recover",
		Short: "Continue every rotation left open by a crash",
		Long: `Compare each open rotation's journal with IAM and continue it from its last
completed step: remove orphan keys, retry pending deliveries, retire old keys.
The daemon does this at start-up.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withEngine("rotatord recover", func(e *daemon.Engine) error {
				names, err := e.Recover(c.ctx)
				for _, n := range names {
					fmt.Fprintf(c.stdout, "resumed %s\n", n)
				}
				if len(names) == 0 && err == nil {
					fmt.Fprintln(c.stdout, "no open rotation")
				}
				return err
			})
		},
	}
}
