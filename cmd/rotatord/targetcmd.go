package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/config/edit"
)

// targetCommand is `rotatord target`: add targets to the configuration
// file.
func (c *cli) targetCommand() *cobra.Command {
	return subcommands("target", "Add targets (AWS accounts) to the configuration file",
		"Add targets to the configuration file: AWS account connections with the\ncredentials of a privileged IAM user allowed to manage other users' keys.\n"+editNote,
		subcommands("create", "Add a target", "Add a target.", c.targetCreateAWS()),
	)
}

func (c *cli) targetCreateAWS() *cobra.Command {
	var name, region, keyID, endpoint string
	var key keyInput
	cmd := &cobra.Command{
		Use:   "aws --name NAME --region REGION --access-key-id AKIA... --access-key-file FILE [--endpoint URL]",
		Short: "Add an AWS target: a region and a privileged user's access key",
		Long: `Add an AWS target to the configuration file. --name is required; the other
options are written only when given (the region defaults to ` + config.DefaultRegion + `).
` + editNote,
		Example: `  rotatord target create aws --name prod --region us-east-1 \
    --access-key-id AKIAIOSFODNN7EXAMPLE --access-key-file /root/prod.secret`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required(cmd, "name"); err != nil {
				return err
			}
			secret, err := key.read(c)
			if err != nil {
				return err
			}
			var keyPath string
			_, err = c.editConfig(func(d *edit.Document) error {
				if d.Target(name) != nil {
					return errUsage{fmt.Errorf("%s already has target %s", c.configPath, name)}
				}
				e, err := d.AddTarget(name)
				if err != nil {
					return err
				}
				for _, f := range []struct{ flag, field, value string }{
					{"region", "region", region},
					{"endpoint", "endpoint", endpoint},
					{"access-key-id", "access_key_id", keyID},
				} {
					if cmd.Flags().Changed(f.flag) {
						if err := e.Set(f.field, f.value); err != nil {
							return err
						}
					}
				}
				keyPath, err = setKey(e, secret, key.given())
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "added target %s to %s%s; %s\n", name, c.configPath, keyNote(keyPath), reloadNote)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&name, "name", "", "the target's name, such as prod (letters, digits and ._-)")
	fs.StringVar(&region, "region", "", "the AWS region, such as us-east-1")
	fs.StringVar(&keyID, "access-key-id", "", "the access key id of the privileged IAM user, such as AKIA...")
	key.register(fs, "access-key")
	fs.StringVar(&endpoint, "endpoint", "", "a custom IAM/STS endpoint `URL`, such as http://localhost:4566")
	return cmd
}
