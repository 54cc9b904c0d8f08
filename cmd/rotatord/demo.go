package main

import (
	"time"

	"github.com/spf13/cobra"
)

func (c *cli) demoCommand() *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the daemon against the built-in AWS endpoint (no AWS account needed)",
		Long: `Start the built-in AWS endpoint (IAM and STS, with real SigV4 checks) on
loopback, seed an IAM user, write a configuration, protection key and state
file into a temporary directory, and run the real daemon (rotatord run) with
the user's key rotating every few seconds. Each rotation is shown: what each
step did, what the sink file holds, and which keys still authenticate.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format := c.logFormat
			if format == "auto" {
				format = "text" // the demo is read by people, terminal or not
			}
			l, err := newLogger(c.stdout, format, c.logLevel)
			if err != nil {
				return errUsage{err}
			}
			o.Logger = l
			return runDemo(c.ctx, c.stdout, o)
		},
	}
	cmd.Flags().IntVar(&o.Rotations, "rotations", 3, "how many rotations to show before stopping")
	cmd.Flags().DurationVar(&o.Every, "every", 3*time.Second, "rotate the demo secret this often")
	cmd.Flags().StringVar(&o.Dir, "dir", "", "work in `directory` instead of a temporary one (kept)")
	cmd.Flags().BoolVar(&o.Keep, "keep", false, "keep the temporary directory")
	return cmd
}
