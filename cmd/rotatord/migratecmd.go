package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/daemon"
	"github.com/rotatord/rotatord/internal/state"
)

// migrateHolder is how state migrate describes itself to another process
// that finds a state file in use.
const migrateHolder = "rotatord state migrate"

// migrateFlags are the options of state migrate.
type migrateFlags struct {
	to       string
	table    string
	region   string
	endpoint string
	target   string
	path     string
}

func (c *cli) stateMigrateCommand() *cobra.Command {
	var f migrateFlags
	cmd := &cobra.Command{
		Use:   "migrate --to dynamodb --table TABLE | --to bbolt --path FILE",
		Short: "Copy the whole state store into the other backend",
		Long: `Copy the whole state store of the configuration (state.backend) into the
other backend, unchanged: every secret's versions and values, open
rotations and pending deliveries, schedule facts and the full audit history
with its event numbers and times. Values stay sealed with the same
protection key (state.protection_key_file); they are never shown.

  rotatord state migrate --to dynamodb --table rotatord-state [--region R]
      [--target NAME | --endpoint URL]
    copies the bbolt file (state.path) into the DynamoDB table. The table
    must exist and hold no state: create it first with rotatord state init
    (in a configuration with state.backend: dynamodb and state.table).
    DynamoDB is reached through the connection of target NAME (its
    credentials, role and endpoint), or else the SDK's default credential
    chain; the region defaults to the target's, then us-east-1.

  rotatord state migrate --to bbolt --path /var/lib/rotatord/state.db
    copies the DynamoDB table (state.table) into a new bbolt file. A file
    that exists must hold no state.

Stop every daemon first. The command refuses while one runs: on the bbolt
file (its lock, its control socket) or on the table (a replica's heartbeat;
one that died without stopping counts until its heartbeat expires). The
source is only read and stays as it was; once the copy is made, switch
state.backend (and its fields) in the configuration and start rotatord
again. A copy that fails midway leaves part of the state behind: a new
bbolt file is removed, but a table must be deleted and created again
(rotatord state init) before the next try.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return c.stateMigrate(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.to, "to", "", "the `backend` to copy into: dynamodb or bbolt (the one the configuration does not use)")
	fl.StringVar(&f.table, "table", "", "--to dynamodb: the DynamoDB `table` (rotatord state init creates it)")
	fl.StringVar(&f.region, "region", "", "--to dynamodb: the table's AWS `region` (default: the target's, then us-east-1)")
	fl.StringVar(&f.endpoint, "endpoint", "", "--to dynamodb: a custom DynamoDB endpoint `URL`")
	fl.StringVar(&f.target, "target", "", "--to dynamodb: the `name` of a target whose connection reaches the table")
	fl.StringVar(&f.path, "path", "", "--to bbolt: the new bbolt state `file`")
	return cmd
}

// stateMigrate checks the options, refuses while a daemon runs, and copies
// the configured store into the other backend (see state.Migrate).
func (c *cli) stateMigrate(cmd *cobra.Command, f migrateFlags) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if err := f.check(cmd, cfg); err != nil {
		return err
	}
	if err := migrateNoDaemon(c.ctx, cfg.ControlSocket); err != nil {
		return err
	}
	to, err := f.dest(cfg)
	if err != nil {
		return err
	}
	stats, err := state.Migrate(c.ctx, &cfg.State, to, state.MigrateOptions{
		Holder: migrateHolder, Connect: daemon.StateConnect(cfg),
	})
	if err != nil {
		return err
	}
	if to.Backend == config.BackendDynamoDB {
		return c.migratedToDynamo(cfg, f, stats)
	}
	return c.migratedToBbolt(cfg, to.Path, stats)
}

// check refuses options that do not fit the configured backend.
func (f *migrateFlags) check(cmd *cobra.Command, cfg *config.Config) error {
	from := cfg.State.Backend
	switch {
	case f.to == "":
		return errUsage{errors.New("--to is required: dynamodb or bbolt, the backend to copy the state into")}
	case f.to != config.BackendBbolt && f.to != config.BackendDynamoDB:
		return errUsage{fmt.Errorf("--to %q: write --to dynamodb or --to bbolt", f.to)}
	case f.to == from:
		return errUsage{fmt.Errorf("--to %s: the configuration keeps its state in %s already (state.backend); state migrate copies it into the other backend", f.to, from)}
	}
	if f.to == config.BackendBbolt {
		for _, name := range []string{"table", "region", "endpoint", "target"} {
			if cmd.Flags().Changed(name) {
				return errUsage{fmt.Errorf("--%s only applies with --to dynamodb; --to bbolt takes --path", name)}
			}
		}
		if f.path == "" {
			return errUsage{errors.New("--to bbolt needs --path FILE, the new bbolt state file")}
		}
		return nil
	}
	switch {
	case cmd.Flags().Changed("path"):
		return errUsage{errors.New("--path only applies with --to bbolt; --to dynamodb takes --table")}
	case f.table == "":
		return errUsage{errors.New("--to dynamodb needs --table TABLE, the DynamoDB table to copy into (rotatord state init creates it)")}
	case f.target != "" && f.endpoint != "":
		return errUsage{fmt.Errorf("--endpoint: the table is reached through target %s, with its endpoint; give --endpoint or --target, not both", f.target)}
	case f.target != "" && cfg.TargetByName(f.target) == nil:
		return errUsage{fmt.Errorf("--target %s: %s has no such target", f.target, cfg.File)}
	}
	if f.region == "" {
		f.region = config.DefaultRegion
		if t := cfg.TargetByName(f.target); t != nil {
			f.region = t.Region
		}
	}
	return nil
}

// migrateNoDaemon refuses when a daemon answers on the control socket.
func migrateNoDaemon(ctx context.Context, socket string) error {
	client, err := control.Dial(ctx, socket)
	switch {
	case err == nil:
		_ = client.Close()
		return fmt.Errorf("a daemon is running (control socket %s); stop it first", socket)
	case errors.Is(err, control.ErrNoDaemon):
		return nil
	}
	return fmt.Errorf("cannot tell whether a daemon is running: %w", err)
}

// dest is the state block of the store to copy into: the configuration's,
// with the other backend and its fields from the flags (a --path made
// absolute).
func (f *migrateFlags) dest(cfg *config.Config) (*config.State, error) {
	to := cfg.State
	if f.to == config.BackendBbolt {
		path, err := filepath.Abs(f.path)
		if err != nil {
			return nil, fmt.Errorf("--path %s: %w", f.path, err)
		}
		to.Backend, to.Path = config.BackendBbolt, path
		to.Table, to.Region, to.Endpoint, to.Target = "", "", "", ""
		return &to, nil
	}
	to.Backend, to.Path = config.BackendDynamoDB, ""
	to.Table, to.Region, to.Endpoint, to.Target = f.table, f.region, f.endpoint, f.target
	return &to, nil
}

// migratedToDynamo says what state migrate copied from the configured
// bbolt file into the table of f, and what to do next.
func (c *cli) migratedToDynamo(cfg *config.Config, f migrateFlags, stats state.MigrateStats) error {
	path := cfg.State.Path
	var where string
	switch {
	case f.target != "":
		where = fmt.Sprintf("state.region: %s, state.target: %s", f.region, f.target)
	case f.endpoint != "":
		where = fmt.Sprintf("state.region: %s, state.endpoint: %s", f.region, f.endpoint)
	default:
		where = "state.region: " + f.region
	}
	_, err := fmt.Fprintf(c.stdout, "copied %s from bbolt file %s to DynamoDB table %s (%s)\n"+
		"next: in %s set state.backend: dynamodb, state.table: %s, %s, remove state.path, then start rotatord; %s is no longer updated (keep it as a backup)\n",
		migrateCounts(stats), path, f.table, f.region, cfg.File, f.table, where, path)
	return err
}

// migratedToBbolt says what state migrate copied from the configured
// table into the bbolt file at path, and what to do next.
func (c *cli) migratedToBbolt(cfg *config.Config, path string, stats state.MigrateStats) error {
	st := cfg.State
	_, err := fmt.Fprintf(c.stdout, "copied %s from DynamoDB table %s (%s) to bbolt file %s\n"+
		"next: in %s set state.backend: bbolt and state.path: %s, remove state.table, state.region, state.endpoint, state.target, state.lease_duration and state.replica, then start rotatord; table %s is left as it was and no longer updated\n",
		migrateCounts(stats), st.Table, st.Region, path, cfg.File, path, st.Table)
	return err
}

// migrateCounts is what Migrate copied, in words: "2 secrets (5
// versions, 9 events)".
func migrateCounts(s state.MigrateStats) string {
	n := func(n int, what string) string {
		if n == 1 {
			return "1 " + what
		}
		return fmt.Sprintf("%d %ss", n, what)
	}
	return fmt.Sprintf("%s (%s, %s)", n(s.Secrets, "secret"), n(s.Versions, "version"), n(s.Events, "event"))
}
