package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/daemon"
	"github.com/rotatord/rotatord/internal/discover"
	"github.com/rotatord/rotatord/internal/state"
)

// discoverFlags are `rotatord discover`'s flags.
type discoverFlags struct {
	target     string
	source     string
	pathPrefix string
	olderThan  string
	unmanaged  bool
	output     outputFormat
}

func (c *cli) discoverCommand() *cobra.Command {
	var f discoverFlags
	cmd := &cobra.Command{
		Use:   "discover --target NAME [--path-prefix /x/] [--older-than 90d] [--unmanaged] [-o table|json|yaml]",
		Short: "List every IAM user's access keys in a target's account, with age, last use and manager",
		Long: `discover lists the access keys of every IAM user in the account of one
target of the configuration: user, path, key id, status, age, last use (date,
service, region), and the rotatord secret that manages the key, or none. It
changes nothing.

Sources (--source):
  auto      the credential report, or per-user calls where the target may not
            read the report (the default)
  report    IAM's credential report: one CSV for the whole account, plus one
            ListAccessKeys per user with keys (the report has no key ids).
            IAM makes a new report at most every four hours: last use and
            users are as of the report; keys created since are looked up one
            by one. Needs iam:GenerateCredentialReport,
            iam:GetCredentialReport and iam:ListAccessKeys.
  per-user  ListUsers, then ListAccessKeys for each user and
            GetAccessKeyLastUsed for each key: current, but one call per user
            and per key. Needs iam:ListUsers, iam:ListAccessKeys and
            iam:GetAccessKeyLastUsed.
Every call goes through the target's rate_limit (its own limiter: a running
daemon's calls are not counted against it).

Filters:
  --path-prefix /x/   users whose IAM path begins with /x/
  --older-than 90d    keys created more than 90 days ago (days with d, or a
                      Go duration such as 36h)
  --unmanaged         keys no rotatord secret holds: neither a secret's
                      access_key_id in the configuration nor a current,
                      pending or previous key of a secret in the state store

Output (-o): table (default), json or yaml; the documents are described in
docs/discover.md. A progress bar is drawn on standard error when it is a
terminal, never on a pipe or a file.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.discover(f) },
	}
	fl := cmd.Flags()
	f.register(fl)
	f.output = outputTable
	fl.VarP(&f.output, "output", "o", "output `format`: table, json or yaml (see docs/discover.md)")
	return cmd
}

// register adds the flags discover and adopt share: --target, --source
// and the filters.
func (f *discoverFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.target, "target", "", "the `target` whose account is listed (default: the only target)")
	fl.StringVar(&f.source, "source", "auto", "where last use is read: auto, report or per-user")
	fl.StringVar(&f.pathPrefix, "path-prefix", "/", "only users whose IAM path begins with this `path`")
	fl.StringVar(&f.olderThan, "older-than", "", "only keys older than this `age` (90d, 36h)")
	fl.BoolVar(&f.unmanaged, "unmanaged", false, "only keys that no rotatord secret manages")
}

func (c *cli) discover(f discoverFlags) error {
	opts, err := f.options()
	if err != nil {
		return errUsage{err}
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	keys, err := c.discoverKeys(cfg, "discover", &f.target, &opts)
	if err != nil {
		return err
	}
	if f.output == outputTable {
		return writeDiscoverTable(c, keys)
	}
	return writeDoc(c.stdout, f.output, newDiscoverDoc(f.target, opts, keys))
}

// discoverKeys resolves *target (the only target when empty; cmd names
// the command in the message when there are several), fills opts's
// Managed, Logger and Progress, and runs discover.Discover.
func (c *cli) discoverKeys(cfg *config.Config, cmd string, target *string, opts *discover.Options) ([]discover.Key, error) {
	if *target == "" {
		if len(cfg.Targets) != 1 {
			return nil, errUsage{fmt.Errorf("%s needs --target: the configuration has %d targets", cmd, len(cfg.Targets))}
		}
		*target = cfg.Targets[0].Name
	}
	if cfg.TargetByName(*target) == nil {
		return nil, errUsage{fmt.Errorf("no target %q in the configuration: name one of its targets: block", *target)}
	}
	store := c.readStore(cfg, *target)
	client, err := daemon.TargetIAM(c.ctx, cfg, *target, store.creds)
	if err != nil {
		return nil, err
	}
	opts.Managed = store.managed
	opts.Logger = c.log
	bar := newProgress(c.stderr, isTerminal(c.stderr), "reading users' keys")
	opts.Progress = bar.set
	keys, err := discover.Discover(c.ctx, client, *opts)
	bar.close()
	if err != nil {
		return nil, fmt.Errorf("discover the access keys of target %s: %w", *target, err)
	}
	return keys, nil
}

// options checks the flags that need no configuration.
func (f discoverFlags) options() (discover.Options, error) {
	var o discover.Options
	src, err := discover.ParseSource(f.source)
	if err != nil {
		return o, err
	}
	o.Source = src
	if !strings.HasPrefix(f.pathPrefix, "/") {
		return o, fmt.Errorf("--path-prefix %q: an IAM path begins with /, e.g. /prod/", f.pathPrefix)
	}
	o.PathPrefix = f.pathPrefix
	if f.olderThan != "" {
		if o.OlderThan, err = parseAge(f.olderThan); err != nil {
			return o, err
		}
	}
	o.Unmanaged = f.unmanaged
	return o, nil
}

// parseAge reads --older-than: whole days ("90d") or a Go duration
// ("36h"), more than zero.
func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("--older-than %q: want a number of days such as 90d, or a duration such as 36h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--older-than %q: want a number of days such as 90d, or a duration such as 36h", s)
	}
	return d, nil
}

// storeView is what discover learns from the state store: the key ids it
// holds for the target's secrets, by secret name, and, for a target whose
// own key rotatord rotates, that key's current version to sign with.
type storeView struct {
	managed map[string]string
	creds   aws.CredentialsProvider // nil: the target's configured credentials
}

// readStore maps the access key ids rotatord holds for the target's
// secrets to their names: each secret's access_key_id in the
// configuration, and its current, pending and previous versions in the
// state store, read through the running daemon, or the store itself when
// none runs. If the store cannot be read, a warning says so and the
// configuration alone counts.
func (c *cli) readStore(cfg *config.Config, target string) storeView {
	v := storeView{managed: map[string]string{}}
	for _, s := range cfg.Secrets {
		if s.Target == target && s.AccessKeyID != "" {
			v.managed[s.AccessKeyID] = s.Name
		}
	}
	err := c.withBackend("rotatord discover", func(b backend) error {
		rows, err := b.List(c.ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.Target != target || r.KeyID == "" {
				continue
			}
			d, err := b.Status(c.ctx, r.Name)
			if err != nil {
				return err
			}
			v.managed[r.KeyID] = r.Name
			if d.Secret != nil {
				for _, ver := range []*state.Version{d.Secret.Current(), d.Secret.Pending(), d.Secret.Previous()} {
					if ver != nil && ver.AccessKeyID != "" {
						v.managed[ver.AccessKeyID] = r.Name
					}
				}
			}
		}
		if rs := cfg.TargetRotator(target); rs != nil {
			cur, err := b.Reveal(c.ctx, rs.Name, 0)
			if err == nil && !cur.Value.IsZero() {
				v.creds = credentials.NewStaticCredentialsProvider(cur.AccessKeyID, cur.Value.Reveal(), "")
			}
		}
		return nil
	})
	if err != nil {
		c.log.Warn("managed_by is from the configuration alone: the state store could not be read", "err", err)
	}
	return v
}

func writeDiscoverTable(c *cli, keys []discover.Key) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tPATH\tKEY ID\tSTATUS\tAGE\tLAST USED\tSERVICE\tREGION\tMANAGED BY")
	for _, k := range keys {
		used := "never"
		if k.LastUsed != nil {
			used = stamp(*k.LastUsed)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%dd\t%s\t%s\t%s\t%s\n", k.User, k.Path, k.AccessKeyID, k.Status, k.AgeDays,
			used, dash(k.LastUsedService), dash(k.LastUsedRegion), dash(k.ManagedBy))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(keys) == 0 {
		fmt.Fprintln(c.stderr, "rotatord: no access key matches")
	}
	return nil
}
