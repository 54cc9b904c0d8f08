package main

import (
	"encoding/json"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commandDoc is one command of `rotatord __commands`: what a man page
// generator needs, as JSON. tools/mangen rebuilds the command tree from it
// and writes the man pages with cobra's doc generator, so that the binary
// does not link a Markdown-to-roff converter.
type commandDoc struct {
	Use        string       `json:"use"`
	Short      string       `json:"short"`
	Long       string       `json:"long"`
	Example    string       `json:"example,omitempty"`
	Aliases    []string     `json:"aliases,omitempty"`
	Flags      []flagDoc    `json:"flags,omitempty"`
	Persistent []flagDoc    `json:"persistent_flags,omitempty"`
	Commands   []commandDoc `json:"commands,omitempty"`
}

// flagDoc is one flag of a commandDoc.
type flagDoc struct {
	Name        string `json:"name"`
	Shorthand   string `json:"shorthand,omitempty"`
	Usage       string `json:"usage"`
	Type        string `json:"type"`
	Default     string `json:"default"`
	NoOptDefVal string `json:"no_opt_default,omitempty"`
}

// commandsCommand is `rotatord __commands`, hidden: the command tree as
// JSON, for tools/release.sh's man pages.
func (c *cli) commandsCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "__commands",
		Short:  "Print the command tree as JSON (for generating man pages)",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			enc := json.NewEncoder(c.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(describeCommand(cmd.Root()))
		},
	}
}

func describeCommand(cmd *cobra.Command) commandDoc {
	d := commandDoc{Use: cmd.Use, Short: cmd.Short, Long: cmd.Long, Example: cmd.Example, Aliases: cmd.Aliases}
	d.Flags = describeFlags(cmd.LocalNonPersistentFlags())
	d.Persistent = describeFlags(cmd.PersistentFlags())
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			d.Commands = append(d.Commands, describeCommand(sub))
		}
	}
	return d
}

func describeFlags(fs *pflag.FlagSet) []flagDoc {
	var out []flagDoc
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			out = append(out, flagDoc{Name: f.Name, Shorthand: f.Shorthand, Usage: f.Usage, Type: f.Value.Type(), Default: f.DefValue, NoOptDefVal: f.NoOptDefVal})
		}
	})
	return out
}
