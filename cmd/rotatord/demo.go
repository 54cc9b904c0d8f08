package main

import (
	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/internal/demo"
)

func (c *cli) demoCommand() *cobra.Command {
	var o demo.Options
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Rotate a key against the built-in AWS endpoint (no AWS account needed)",
		Long: `Start the built-in AWS endpoint (IAM and STS, with real SigV4 checks) on
loopback, seed an IAM user, write a configuration, protection key and state
file into a temporary directory, and rotate the user's key a few times,
showing what each step did, what the sink file holds, and which keys still
authenticate.`,
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
			return demo.Run(c.ctx, c.stdout, o)
		},
	}
	cmd.Flags().IntVar(&o.Rotations, "rotations", 3, "how many rotations to run")
	cmd.Flags().StringVar(&o.Dir, "dir", "", "work in `directory` instead of a temporary one (kept)")
	cmd.Flags().BoolVar(&o.Keep, "keep", false, "keep the temporary directory")
	return cmd
}
