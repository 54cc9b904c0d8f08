package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/config/edit"
)

// editNote is the part of every editing command's help about how the
// change is made.
const editNote = `
The configuration file (-c) is changed in place: comments, the order of
keys and the other entries are kept, and blank lines and spacing as far as
possible (the file is re-indented with two spaces). The new file is
checked in full first, secret files and the protection key included; if
it would be invalid, every problem is printed and nothing changes (exit
status 2). Otherwise it replaces the old one in one rename, which a
running daemon notices and reloads by itself.

A secret access key is never written into the configuration: it goes to a
new file beside it, mode 0600, referenced by secret_access_key_file:
secrets/<name>.secret for a rotated secret (the folders of its name become
directories) and targets/<name>.secret for a target. An existing file that
holds another key is never overwritten, except the one the entry already
uses. A key given on the command line is visible to other users in ps and
stays in the shell's history: prefer - as its value (standard input), or
the flag's -file form (--api-key-file FILE, --access-key-file FILE).`

// secretFlags are the options of a rotated secret, named as the reference
// product names them. Only the flags given are written.
type secretFlags struct {
	name, target, auth, rotator, apiID string
	timezone, catchUp                  string
	key                                keyInput
	grace, auto, protect               boolFlag
	interval, hour                     int
	sinks                              []string
}

// fields maps each flag to the YAML field of the same meaning.
var secretFields = []struct{ flag, field string }{
	{"target-name", "target"},
	{"authentication-credentials", "authentication_credentials"},
	{"rotator-type", "rotator_type"},
	{"api-id", "access_key_id"},
	{"grace-rotation", "grace_rotation"},
	{"auto-rotate", "auto_rotate"},
	{"rotation-interval", "rotation_interval"},
	{"rotation-hour", "rotation_hour"},
	{"rotation-timezone", "rotation_timezone"},
	{"catch-up", "catch_up"},
	{"delete-protection", "delete_protection"},
	{"sink", "sinks"},
}

func (f *secretFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.name, "name", "", "the secret's name, a path such as /team-a/ci/deployer (folders are implicit)")
	fs.StringVar(&f.target, "target-name", "", "the target whose account holds the user")
	fs.StringVar(&f.auth, "authentication-credentials", "", "use-user-creds (the user's own key signs its rotation) or use-target-creds (the target's credentials do)")
	fs.StringVar(&f.rotator, "rotator-type", "", "api-key (rotate this secret's key) or target (rotate the target's own key)")
	fs.StringVar(&f.apiID, "api-id", "", "the access key id of the key to rotate, such as AKIA...")
	f.key.register(fs, "api-key")
	fs.Var(&f.grace, "grace-rotation", "graceful rotation: keep the previous key valid until the next rotation")
	fs.Var(&f.auto, "auto-rotate", "rotate on the schedule of --rotation-interval and --rotation-hour")
	fs.IntVar(&f.interval, "rotation-interval", 0, "days between rotations, 1..365")
	fs.IntVar(&f.hour, "rotation-hour", 0, "hour of the day (0..23, in --rotation-timezone) at which the rotation runs")
	fs.StringVar(&f.timezone, "rotation-timezone", "", "IANA time zone (such as Europe/Berlin) of --rotation-hour and of the days of --rotation-interval; default: the file's rotation_timezone, else UTC")
	fs.StringVar(&f.catchUp, "catch-up", "", "when a key found overdue (older than --rotation-interval) rotates: next-hour (at the next --rotation-hour, the default) or immediate")
	fs.Var(&f.protect, "delete-protection", "refuse to delete the secret while true")
	fs.StringArrayVar(&f.sinks, "sink", nil, "deliver each new key to `SINK`, a file written file:PATH[,format=aws-credentials|env|json][,profile=P][,mode=0600][,owner=USER]; repeat for more (on update, the given sinks replace the old ones)")
}

// value returns the YAML value of the flag that sets field.
func (f *secretFlags) value(field string) (any, error) {
	switch field {
	case "target":
		return f.target, nil
	case "authentication_credentials":
		return f.auth, nil
	case "rotator_type":
		return f.rotator, nil
	case "access_key_id":
		return f.apiID, nil
	case "grace_rotation":
		return bool(f.grace), nil
	case "auto_rotate":
		return bool(f.auto), nil
	case "rotation_interval":
		return f.interval, nil
	case "rotation_hour":
		return f.hour, nil
	case "rotation_timezone":
		return f.timezone, nil
	case "catch_up":
		return f.catchUp, nil
	case "delete_protection":
		return bool(f.protect), nil
	}
	var sinks []edit.Fields
	for _, s := range f.sinks {
		fs, err := parseSink(s)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, fs)
	}
	return sinks, nil
}

// apply writes every field whose flag was given to e, and the key, and
// returns the names of the fields and the key file's path.
func (f *secretFlags) apply(cmd *cobra.Command, e *edit.Entry, key string) (changed []string, keyPath string, err error) {
	for _, m := range secretFields {
		if !cmd.Flags().Changed(m.flag) {
			continue
		}
		v, err := f.value(m.field)
		if err != nil {
			return nil, "", err
		}
		if err := e.Set(m.field, v); err != nil {
			return nil, "", err
		}
		changed = append(changed, m.field)
	}
	if keyPath, err = setKey(e, key, f.key.given()); keyPath != "" {
		changed = append(changed, "secret_access_key_file")
	}
	return changed, keyPath, err
}

// secretCommand is `rotatord secret`: create, update and delete rotated
// secrets in the configuration file.
func (c *cli) secretCommand() *cobra.Command {
	cmd := subcommands("secret", "Add, change or remove rotated secrets in the configuration file",
		"Add, change or remove the rotated secrets of the configuration file, with the\noptions of the reference product's `rotated-secret create aws`.\n"+editNote,
		subcommands("create", "Add a rotated secret", "Add a rotated secret.", c.secretCreateAWS()),
		subcommands("update", "Change a rotated secret", "Change the given options of a rotated secret.", c.secretUpdateAWS()),
		c.secretDelete(),
	)
	cmd.Aliases = []string{"rotated-secret"}
	return cmd
}

func (c *cli) secretCreateAWS() *cobra.Command {
	var f secretFlags
	cmd := &cobra.Command{
		Use:   "aws --name NAME --target-name TARGET [options]",
		Short: "Add a rotated secret for an AWS IAM user's access key",
		Long: `Add a rotated secret for an AWS IAM user's access key to the configuration
file. --name and --target-name are required; every other option is written
only when given, and the configuration's defaults apply to the rest.
` + editNote,
		Example: `  rotatord secret create aws --name /team-a/ci/deployer --target-name prod \
    --authentication-credentials use-target-creds --rotator-type api-key \
    --api-id AKIAIOSFODNN7EXAMPLE --api-key - --grace-rotation true \
    --auto-rotate true --rotation-interval 30 --rotation-hour 3 \
    --sink file:/run/rotatord/deployer.ini,format=aws-credentials,profile=deployer`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required(cmd, "name", "target-name"); err != nil {
				return err
			}
			key, err := f.key.read(c)
			if err != nil {
				return err
			}
			var name, keyPath string
			_, err = c.editConfig(func(d *edit.Document) error {
				if d.Secret(f.name) != nil {
					return errUsage{fmt.Errorf("%s already has secret %s; change it with rotatord secret update aws --name %s", c.configPath, config.CanonicalName(f.name), config.CanonicalName(f.name))}
				}
				e, err := d.AddSecret(f.name)
				if err != nil {
					return err
				}
				name = e.Name()
				_, keyPath, err = f.apply(cmd, e, key)
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "added secret %s to %s%s; %s\n", name, c.configPath, keyNote(keyPath), reloadNote)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func (c *cli) secretUpdateAWS() *cobra.Command {
	var f secretFlags
	cmd := &cobra.Command{
		Use:   "aws --name NAME [options]",
		Short: "Change options of a rotated secret",
		Long: `Change the given options of the rotated secret named --name (with or without
its leading /). Every other line of the file stays as it is. --sink
replaces all the secret's sinks with the ones given.
` + editNote,
		Example: `  rotatord secret update aws --name /team-a/ci/deployer --rotation-interval 60
  rotatord secret update aws --name /team-a/ci/deployer --delete-protection false`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required(cmd, "name"); err != nil {
				return err
			}
			key, err := f.key.read(c)
			if err != nil {
				return err
			}
			name := config.CanonicalName(f.name)
			var changed []string
			var keyPath string
			_, err = c.editConfig(func(d *edit.Document) error {
				e := d.Secret(name)
				if e == nil {
					return errUsage{fmt.Errorf("%s has no secret %s; add it with rotatord secret create aws", c.configPath, name)}
				}
				var err error
				changed, keyPath, err = f.apply(cmd, e, key)
				if err == nil && len(changed) == 0 {
					err = errUsage{fmt.Errorf("nothing to change: give at least one option (see %s --help)", cmd.CommandPath())}
				}
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "updated %s of secret %s in %s%s; %s\n", strings.Join(changed, ", "), name, c.configPath, keyNote(keyPath), reloadNote)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().Lookup("name").Usage = "the name of the secret to change (with or without its leading /)"
	return cmd
}

func (c *cli) secretDelete() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Remove a rotated secret from the configuration file",
		Long: `Remove the rotated secret NAME from the configuration file, with its
comments, and its key file if rotatord wrote it (secrets/<name>.secret
beside the configuration) and nothing else uses it. A secret with
delete_protection: true is refused: set it to false first. The user's IAM
keys are left as they are; a running daemon keeps or archives the
secret's state (see README.md).
` + editNote,
		Args: oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := config.CanonicalName(args[0])
			res, err := c.editConfig(func(d *edit.Document) error {
				if d.Secret(name) == nil {
					return errUsage{fmt.Errorf("%s has no secret %s", c.configPath, name)}
				}
				err := d.DeleteSecret(name)
				if errors.Is(err, edit.ErrDeleteProtected) {
					err = fmt.Errorf("%w (rotatord secret update aws --name %s --delete-protection false)", err, name)
				}
				return err
			})
			if err != nil {
				return err
			}
			var removed string
			if len(res.Removed) > 0 {
				removed = " and its key file " + strings.Join(res.Removed, ", ")
			}
			fmt.Fprintf(c.stdout, "removed secret %s from %s%s; %s\n", name, c.configPath, removed, reloadNote)
			return nil
		},
	}
}
