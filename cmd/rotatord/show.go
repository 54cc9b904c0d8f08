package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/state"
)

func (c *cli) listCommand() *cobra.Command {
	var output *outputFormat
	cmd := &cobra.Command{
		Use:   "list [FOLDER]",
		Short: "List every secret (or those under FOLDER): key id, state, last and next rotation, last error",
		Long: `List every secret, or with FOLDER only those whose name lies under it: the
folder /team-a/ (or /team-a) holds /team-a/x and /team-a/ci/y, not
/team-ab/z. A folder starts with /. A folder that holds no secret lists
none and exits 0.

-o json and -o yaml print one document instead of the table; see
docs/output.md.`,
		Args: oneFolder,
		RunE: func(cmd *cobra.Command, args []string) error {
			var folder string
			if len(args) == 1 {
				var err error
				if folder, err = config.CanonicalFolder(args[0]); err != nil {
					return errUsage{fmt.Errorf("list: %w", err)}
				}
			}
			return c.withBackend("rotatord list", func(b backend) error {
				rows, err := b.List(c.ctx)
				if err != nil {
					return err
				}
				if folder != "" {
					rows = slices.DeleteFunc(rows, func(r control.SecretStatus) bool { return !config.InFolder(r.Name, folder) })
				}
				if *output != outputTable {
					return writeDoc(c.stdout, *output, newListDoc(folder, rows))
				}
				return printList(c.stdout, rows)
			})
		},
	}
	output = outputFlag(cmd)
	return cmd
}

// oneFolder accepts at most one argument, the folder.
func oneFolder(cmd *cobra.Command, args []string) error {
	if len(args) > 1 {
		return errUsage{fmt.Errorf("%s takes at most one folder, got %q (see %s --help)", cmd.Name(), args, cmd.CommandPath())}
	}
	return nil
}

func printList(w io.Writer, rows []control.SecretStatus) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	// A HELD BY column while replicas sharing the store hold leases.
	shared := slices.ContainsFunc(rows, func(r control.SecretStatus) bool { return r.Holder != "" })
	head := "NAME\tTARGET\tKEY ID\tSTATE\tLAST ROTATION\tNEXT ROTATION\tLAST ERROR"
	if shared {
		head += "\tHELD BY"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rows {
		next := stamp(r.NextRotation)
		if r.Target != "" && r.NextRotation.IsZero() {
			next = "manual"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s", r.Name, dash(r.Target), dash(r.KeyID), stateText(r),
			stamp(r.LastRotation), next, short(r.LastError))
		if shared {
			fmt.Fprintf(tw, "\t%s", dash(r.Holder))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

func (c *cli) statusCommand() *cobra.Command {
	var output *outputFormat
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Show one secret: state, schedule, open rotation, each sink's delivery",
		Args:  oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withBackend("rotatord status", func(b backend) error {
				d, err := b.Status(c.ctx, args[0])
				if err != nil {
					return notFound(args[0], err)
				}
				if *output != outputTable {
					return writeDoc(c.stdout, *output, newStatusDoc(d))
				}
				printStatus(c.stdout, d)
				return nil
			})
		},
	}
	output = outputFlag(cmd)
	return cmd
}

func printStatus(w io.Writer, d *control.SecretDetail) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "name:\t%s\ntarget:\t%s\nstate:\t%s\nkey id:\t%s\nlast rotation:\t%s\nnext rotation:\t%s\n",
		d.Name, dash(d.Target), d.State, dash(d.KeyID), stamp(d.LastRotation), stamp(d.NextRotation))
	if d.LastError != "" {
		fmt.Fprintf(tw, "last error:\t%s\n", d.LastError)
	}
	if h := d.Held; h != nil {
		fmt.Fprintf(tw, "held:\t%s\nheld key:\t%s since %s, next look %s\n", h.Describe(reportNow()), h.KeyID, stamp(h.Since), stamp(h.NextLook))
	}
	if d.Replicas != nil {
		held := "none"
		if d.Holder != "" {
			held = fmt.Sprintf("%s until %s", d.Holder, stamp(d.LeaseExpires))
		}
		fmt.Fprintf(tw, "lease:\t%s\nreplicas:\t%s\n", held, strings.Join(d.Replicas, ", "))
	}
	if s := d.Secret; s != nil {
		if s.UserName != "" {
			fmt.Fprintf(tw, "IAM user:\t%s\n", s.UserARN)
		}
		if j := s.Journal; j != nil {
			fmt.Fprintf(tw, "open rotation:\t%s since %s, last step %s, new key %s\n", j.RotationID, stamp(j.Started), j.Step, dash(j.NewKeyID))
		}
	}
	_ = tw.Flush()
	if len(d.Sinks) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SINK\tCURRENT DELIVERED\tPENDING DELIVERED")
	for _, s := range d.Sinks {
		pending := "-"
		if d.Secret != nil && d.Secret.Pending() != nil {
			pending = stamp(s.Pending)
			if s.Pending.IsZero() {
				pending = "not yet"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.ID, stamp(s.Current), pending)
	}
	_ = tw.Flush()
}

func (c *cli) getCommand() *cobra.Command {
	var version int
	var reveal bool
	var output *outputFormat
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a secret's current (or given) version; --reveal prints the secret access key",
		Long: `Show a secret's current version (or version N): its key id, state and
creation time; --reveal prints the secret access key too.

When a daemon runs, get asks it through the control socket, after checking
who listens there (SO_PEERCRED): a process that is neither root's nor your
own user's is refused, with its uid, and get exits 1 without printing
anything it answered (it could hand out a forged key). Without a daemon,
get reads the state store itself.

-o json and -o yaml print one document instead; it holds the secret
access key only with --reveal (see docs/output.md).`,
		Args: oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withBackend("rotatord get", func(b backend) error {
				v, err := c.version(b, args[0], version, reveal)
				if err != nil {
					return err
				}
				if *output != outputTable {
					return writeDoc(c.stdout, *output, newGetDoc(config.CanonicalName(args[0]), v, reveal))
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
					config.CanonicalName(args[0]), v.N, v.State, v.AccessKeyID, secret, stamp(v.Created))
				return tw.Flush()
			})
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "show version `N` instead of the current one")
	cmd.Flags().BoolVar(&reveal, "reveal", false, "print the secret access key itself")
	output = outputFlag(cmd)
	return cmd
}

// version fetches version n (0: current), with its value only if reveal.
func (c *cli) version(b backend, name string, n int, reveal bool) (*state.Version, error) {
	if reveal {
		v, err := b.Reveal(c.ctx, name, n)
		if err != nil {
			return nil, notFound(name, err)
		}
		return v, nil
	}
	d, err := b.Status(c.ctx, name)
	if err != nil {
		return nil, notFound(name, err)
	}
	var v *state.Version
	if d.Secret != nil {
		v = d.Secret.Current()
		if n > 0 {
			v = d.Secret.ByN(n)
		}
	}
	if v == nil {
		return nil, fmt.Errorf("%s has no version %d (see `rotatord history %s`)", d.Name, n, d.Name)
	}
	return v, nil
}

func (c *cli) historyCommand() *cobra.Command {
	var output *outputFormat
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "Show a secret's versions and audit events",
		Args:  oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withBackend("rotatord history", func(b backend) error {
				d, err := b.Status(c.ctx, args[0])
				if err == nil && d.Secret == nil {
					err = state.ErrNotFound
				}
				if err != nil {
					return notFound(args[0], err)
				}
				events, err := b.History(c.ctx, args[0])
				if err != nil {
					return err
				}
				if *output != outputTable {
					return writeDoc(c.stdout, *output, newHistoryDoc(d.Secret, events))
				}
				printHistory(c.stdout, d.Secret, events)
				return nil
			})
		},
	}
	output = outputFlag(cmd)
	return cmd
}

func printHistory(w io.Writer, s *state.Secret, events []state.Event) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tKEY ID\tSTATE\tCREATED\tREPLACED\tRETIRED\tDELIVERED TO")
	for _, v := range s.Versions {
		var sinks []string
		for id := range v.Delivered {
			sinks = append(sinks, id)
		}
		sort.Strings(sinks)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.N, v.AccessKeyID, v.State, stamp(v.Created), stamp(v.Replaced), stamp(v.Retired), strings.Join(sinks, ","))
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tROTATION\tEVENT\tKEY ID\tDETAIL")
	for _, e := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", stamp(e.Time), dash(e.RotationID), e.Kind, dash(e.KeyID), dash(e.Detail))
	}
	_ = tw.Flush()
}

func short(msg string) string {
	if msg == "" {
		return "-"
	}
	msg = strings.ReplaceAll(msg, "\n", "; ")
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

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func notFound(name string, err error) error {
	name = config.CanonicalName(name)
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("%s has no state yet: it was never rotated (`rotatord rotate %s` rotates it now)", name, name)
	}
	return err
}

// stateText is the STATE column: the state word, and for a held
// retirement why it is held ("held: previous key still in use (s3,
// eu-west-1, 2 h ago)").
func stateText(r control.SecretStatus) string {
	if r.State == "held" && r.Held != nil {
		return "held: " + r.Held.Describe(reportNow())
	}
	return r.State
}
