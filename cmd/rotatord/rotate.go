package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/daemon"
)

func (c *cli) rotateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate NAME",
		Short: "Rotate one secret now, in this process",
		Long: `Rotate the named secret's access key now: create a new key, verify it,
deliver it to every sink, then retire the old one as the secret's mode says.
If the secret has a rotation left open (after a crash or a failed delivery),
rotate continues that rotation instead of starting another. When a daemon
runs, it does the rotation (through its control socket) and rotate waits
for up to the longest verify_timeout and 30 minutes more; if it stops
waiting, the rotation goes on in the daemon (see rotatord status NAME). A
control socket that another user's process serves is refused (see rotatord
run --help).`,
		Args: oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withBackend("rotatord rotate", func(b backend) error {
				res, err := b.Rotate(c.ctx, args[0])
				if err != nil {
					return err
				}
				verb := "rotated"
				if res.Resumed {
					verb = "finished the open rotation of"
				}
				fmt.Fprintf(c.stdout, "%s %s: %s -> %s (version %d)\n", verb, config.CanonicalName(args[0]), res.OldKeyID, res.NewKeyID, res.Version)
				return nil
			})
		},
	}
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
