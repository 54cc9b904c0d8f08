package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
)

func (c *cli) rollbackCommand() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "rollback NAME",
		Short: "Make a secret's previous key current again",
		Long: `Roll the named secret back to its previous version: its key must still be
valid in IAM (a graceful rotation keeps it until grace_period ends), or
inactive with retire: deactivate, in which case it is reactivated. The key
is verified, delivered to every sink and committed the way a rotation
delivers a new key, and the key it replaces stays valid as the previous
one. A rollback is refused, with the reason, when the previous key was
deleted (retire: delete after a strict rotation or the grace period): rotate
instead. Like rotate, it runs in the daemon when one runs, continues a
rollback left open, and exits 3 when a sink still lacks the key (run it
again to retry). The audit history (rotatord history NAME) records it with
--reason.`,
		Args: oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withBackend("rotatord rollback", func(b backend) error {
				res, err := b.Rollback(c.ctx, args[0], reason)
				if err != nil {
					return err
				}
				verb := "rolled back"
				if res.Resumed {
					verb = "finished the open rollback of"
				}
				fmt.Fprintf(c.stdout, "%s %s: %s -> %s (version %d)\n", verb, config.CanonicalName(args[0]), res.OldKeyID, res.NewKeyID, res.Version)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit history")
	return cmd
}
