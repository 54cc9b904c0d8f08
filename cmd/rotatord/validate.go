package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
)

// errReported marks an error whose report was already printed.
var errReported = errors.New("configuration is invalid")

func (c *cli) validateCommand() *cobra.Command {
	var print bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration file and exit",
		Long: `Load and check the whole configuration: the YAML, every field, cross-field
rules, and every secret reference (files, environment variables, the
protection key). Every file sink template is rendered with sample values
and refused if it could run unbounded (range, recursion, more than 10000
steps) or goes past a limit (printf widths over 256, 64 KiB of output).

Since rotatord runs as root with keys to an AWS account, it also refuses:
the configuration file, a key, template or certificate file it names, or a
command sink's program, if another user could change it (the file, a
directory on the way, or a symbolic link that user made); a key with two
owners (two secrets with one access_key_id, a secret on a target's own
key); a plain http:// endpoint that is not this machine's, unless the
target sets allow_insecure_endpoint; and a file sink over one of
rotatord's own files (the configuration, state file and lock, protection
key, key files, control socket). It warns when another user could take the
control socket's name. See README, "A host with other users".

Every problem is reported at once with its file, line, column and field
path. With --print, the effective configuration (defaults
filled in, secrets redacted) is printed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(c.configPath)
			var ce config.Errors
			if err != nil && !errors.As(err, &ce) {
				return err // the file could not be read at all
			}
			fmt.Fprint(c.stderr, config.Report(cfg, err))
			if err != nil {
				return errUsage{errReported}
			}
			if print {
				out, err := cfg.Marshal()
				if err != nil {
					return err
				}
				_, err = c.stdout.Write(out)
				return err
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&print, "print", false, "print the effective configuration, secrets redacted")
	return cmd
}
