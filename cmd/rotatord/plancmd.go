package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/schedule"
)

// outputICS is plan's iCalendar form (ics.go).
const outputICS outputFormat = "ics"

// planFormat is plan's -o: the read commands' formats and ics.
type planFormat struct{ outputFormat }

// Set accepts ics besides table, json and yaml.
func (f *planFormat) Set(s string) error {
	if outputFormat(s) == outputICS {
		f.outputFormat = outputICS
		return nil
	}
	if err := f.outputFormat.Set(s); err != nil {
		return fmt.Errorf("unknown output format %q: use table, json, yaml or ics", s)
	}
	return nil
}

func (c *cli) planCommand() *cobra.Command {
	output := planFormat{outputTable}
	var days int
	cmd := &cobra.Command{
		Use:   "plan [FOLDER]",
		Short: "Show what the daemon will do in the next days: rotations, retirements, reminders",
		Long: `Show everything the daemon will do for every secret (or those under FOLDER)
in the next --days days, in time order: rotations and why (interval, cron,
catch-up, overdue, unknown-age, resume), retirements of previous keys
(grace-period, revoke, make-room, strict), held retirements it looks at
again, and the rotation.upcoming reminders of notify_before.

The plan comes from the daemon's own schedule code: from the running
daemon through its control socket, or, when none runs, from the store and
the configuration, as a daemon started now would act. It assumes every
rotation and retirement succeeds.

-o json and -o yaml print one document (docs/output.md); -o ics prints an
iCalendar file, one event per item, with UIDs that stay the same from one
run to the next, for a calendar an on-call team subscribes to (docs/plan.md).`,
		Args: oneFolder,
		RunE: func(cmd *cobra.Command, args []string) error {
			if days < 1 || days > control.MaxPlanDays {
				return errUsage{fmt.Errorf("plan: --days %d is out of range 1..%d", days, control.MaxPlanDays)}
			}
			var folder string
			if len(args) == 1 {
				var err error
				if folder, err = config.CanonicalFolder(args[0]); err != nil {
					return errUsage{fmt.Errorf("plan: %w", err)}
				}
			}
			return c.withBackend("rotatord plan", func(b backend) error {
				p, err := b.Plan(c.ctx, control.PlanQuery{Days: days, Folder: folder})
				if err != nil {
					return err
				}
				for _, name := range p.Truncated {
					c.log.Warn("the plan shows only the first items of this secret", "secret", name, "items", schedule.DefaultMaxItems)
				}
				switch output.outputFormat {
				case outputTable:
					return printPlan(c.stdout, p)
				case outputICS:
					return writeICS(c.stdout, p)
				}
				return writeDoc(c.stdout, output.outputFormat, newPlanDoc(folder, days, p))
			})
		},
	}
	cmd.Flags().IntVar(&days, "days", 30, "the window's length in days, from now (1..3660)")
	cmd.Flags().VarP(&output, "output", "o", "output `format`: table, json, yaml or ics (see docs/plan.md)")
	return cmd
}

// printPlan is the table: one line per item.
func printPlan(w io.Writer, p *control.Plan) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSECRET\tWHAT\tWHY")
	for _, it := range p.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", stamp(it.At), it.Secret, planWhat(it), planWhy(it))
	}
	return tw.Flush()
}

// planWhat says what an item does, in words.
func planWhat(it control.PlanItem) string {
	switch it.Kind {
	case schedule.KindRotation:
		return "rotate"
	case schedule.KindRetirement:
		if it.Reason == schedule.ReasonStrict {
			return "retire the replaced key"
		}
		return "retire the previous key"
	case schedule.KindLook:
		return "look again at the held retirement"
	case schedule.KindReminder:
		return fmt.Sprintf("send rotation.upcoming (due %s)", stamp(it.Due))
	}
	return it.Kind
}

// planWhy explains an item's reason.
func planWhy(it control.PlanItem) string {
	switch it.Reason {
	case schedule.ReasonInterval:
		return "rotation_interval"
	case schedule.ReasonCron:
		return "rotation_schedule"
	case schedule.ReasonCatchUp:
		return "catch-up: missed while no rotation ran"
	case schedule.ReasonOverdue:
		return "overdue: the last attempt failed"
	case schedule.ReasonUnknownAge:
		return "key age unknown: due unless IAM says the key is younger"
	case schedule.ReasonResume:
		return "finishes the open rotation"
	case schedule.ReasonGracePeriod:
		return "grace_period ends"
	case schedule.ReasonRevoke:
		return "rotate --revoke-after ends"
	case schedule.ReasonHeld:
		return "the previous key was still in use: looks again"
	case schedule.ReasonMakeRoom:
		return "graceful: room for the new key"
	case schedule.ReasonStrict:
		return "strict rotation"
	case schedule.ReasonNotifyBefore:
		return fmt.Sprintf("notify_before: %d days", it.Days)
	}
	return it.Reason
}
