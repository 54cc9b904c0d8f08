package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/state"
)

func (c *cli) listCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List every secret: key id, state, last and next rotation, last error",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			return c.withStore(cfg, "rotatord list", func(st state.Store) error {
				all, err := st.List(c.ctx)
				if err != nil {
					return err
				}
				c.printList(cfg, all)
				return nil
			})
		},
	}
}

func (c *cli) printList(cfg *config.Config, all []*state.Secret) {
	byName := map[string]*state.Secret{}
	for _, s := range all {
		byName[s.Name] = s
	}
	now := time.Now()
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTARGET\tKEY ID\tSTATE\tLAST ROTATION\tNEXT ROTATION\tLAST ERROR")
	for i := range cfg.Secrets {
		rs := &cfg.Secrets[i]
		st := byName[rs.Name]
		delete(byName, rs.Name)
		keyID := rs.AccessKeyID
		if rs.RotatorType == config.RotatorTarget {
			keyID = cfg.TargetByName(rs.Target).AccessKeyID
		}
		var last time.Time
		if st != nil {
			if cur := st.Current(); cur != nil {
				keyID = cur.AccessKeyID
			}
			last = st.LastRotation
		}
		next := "manual"
		if t, ok, err := schedule.Next(rs, last, now); err != nil {
			next = "invalid schedule"
		} else if ok {
			next = stamp(t)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rs.Name, rs.Target, keyID, stateWord(st), stamp(last), next, lastError(st))
	}
	var gone []string
	for n := range byName {
		gone = append(gone, n)
	}
	sort.Strings(gone)
	for _, n := range gone {
		st := byName[n]
		keyID := "-"
		if cur := st.Current(); cur != nil {
			keyID = cur.AccessKeyID
		}
		fmt.Fprintf(tw, "%s\t-\t%s\tnot configured\t%s\t-\t%s\n", n, keyID, stamp(st.LastRotation), lastError(st))
	}
	_ = tw.Flush()
}

func stateWord(st *state.Secret) string {
	switch {
	case st == nil || len(st.Versions) == 0:
		return "new"
	case st.Journal != nil && st.Journal.Step == state.StepDelivering:
		return "delivering"
	case st.Journal != nil:
		return "rotating (" + string(st.Journal.Step) + ")"
	case st.LastError != "":
		return "failed"
	default:
		return "ok"
	}
}

func lastError(st *state.Secret) string {
	if st == nil || st.LastError == "" {
		return "-"
	}
	msg := strings.ReplaceAll(st.LastError, "\n", "; ")
	if len(msg) > 100 {
		msg = msg[:97] + "..."
	}
	return msg
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func (c *cli) getCommand() *cobra.Command {
	var version int
	var reveal bool
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a secret's current (or given) version; --reveal prints the secret access key",
		Args:  oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withSecretState(args[0], "rotatord get", func(s *state.Secret) error {
				v := s.Current()
				if version > 0 {
					v = s.ByN(version)
				}
				if v == nil {
					return fmt.Errorf("%s has no version %d (see `rotatord history %s`)", s.Name, version, s.Name)
				}
				secret := config.Redacted + " (add --reveal to print it)"
				switch {
				case v.Value.IsZero():
					secret = "(not kept: the version is " + string(v.State) + ")"
				case reveal:
					secret = v.Value.Reveal()
				}
				tw := tabwriter.NewWriter(c.stdout, 0, 4, 1, ' ', 0)
				fmt.Fprintf(tw, "name:\t%s\nversion:\t%d\nstate:\t%s\naccess_key_id:\t%s\nsecret_access_key:\t%s\ncreated:\t%s\n",
					s.Name, v.N, v.State, v.AccessKeyID, secret, stamp(v.Created))
				return tw.Flush()
			})
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "show version `N` instead of the current one")
	cmd.Flags().BoolVar(&reveal, "reveal", false, "print the secret access key itself")
	return cmd
}

func (c *cli) historyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "history NAME",
		Short: "Show a secret's versions and audit events",
		Args:  oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			name := config.CanonicalName(args[0])
			return c.withStore(cfg, "rotatord history", func(st state.Store) error {
				s, err := st.Get(c.ctx, name)
				if err != nil {
					return notFound(name, err)
				}
				events, err := st.History(c.ctx, name)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "VERSION\tKEY ID\tSTATE\tCREATED\tREPLACED\tRETIRED\tDELIVERED TO")
				for _, v := range s.Versions {
					var sinks []string
					for id := range v.Delivered {
						sinks = append(sinks, id)
					}
					sort.Strings(sinks)
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.N, v.AccessKeyID, v.State, stamp(v.Created), stamp(v.Replaced), stamp(v.Retired), strings.Join(sinks, ","))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintln(c.stdout)
				tw = tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TIME\tROTATION\tEVENT\tKEY ID\tDETAIL")
				for _, e := range events {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", stamp(e.Time), dash(e.RotationID), e.Kind, dash(e.KeyID), dash(e.Detail))
				}
				return tw.Flush()
			})
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// withSecretState loads the configuration, opens the store and runs fn on
// the named secret's state.
func (c *cli) withSecretState(name, holder string, fn func(s *state.Secret) error) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	name = config.CanonicalName(name)
	return c.withStore(cfg, holder, func(st state.Store) error {
		s, err := st.Get(c.ctx, name)
		if err != nil {
			return notFound(name, err)
		}
		return fn(s)
	})
}

func notFound(name string, err error) error {
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("%s has no state yet: it was never rotated (`rotatord rotate %s` rotates it now)", name, name)
	}
	return err
}
