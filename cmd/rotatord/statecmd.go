package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/daemon"
	"github.com/rotatord/rotatord/internal/state"
)

func (c *cli) stateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Set up the state store",
		Args:  noArgs,
	}
	cmd.AddCommand(c.stateInitCommand())
	cmd.AddCommand(c.stateMigrateCommand())
	return cmd
}

func (c *cli) stateInitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create the DynamoDB table of state.backend: dynamodb",
		Long: `Create the DynamoDB table that state.table names, as the store needs it:
string partition key pk and sort key sk, on-demand billing, time to live
on the expires attribute (leases), point-in-time recovery. Running it
again checks the table and turns on what is off; a table with other keys
is refused. It uses the credentials of state.target, or the default
chain.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			if cfg.State.Backend != config.BackendDynamoDB {
				return errors.New("state.backend is bbolt, whose file rotatord run creates; state init creates a DynamoDB table: set state.backend: dynamodb and state.table")
			}
			awsCfg, err := daemon.StateAWS(c.ctx, cfg)
			if err != nil {
				return err
			}
			done, err := state.InitDynamoTable(c.ctx, awsCfg, cfg.State.Table)
			if err != nil {
				return err
			}
			var did []string
			for _, d := range []struct {
				on   bool
				what string
			}{{done.Created, "created the table"}, {done.TTL, "turned on time to live (expires)"}, {done.PITR, "turned on point-in-time recovery"}} {
				if d.on {
					did = append(did, d.what)
				}
			}
			if len(did) == 0 {
				did = append(did, "nothing to do: it is ready")
			}
			_, err = fmt.Fprintf(c.stdout, "%s (%s): %s\n", cfg.State.Table, cfg.State.Region, strings.Join(did, "; "))
			return err
		},
	}
}
