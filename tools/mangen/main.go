// Command mangen writes rotatord's man pages with cobra's doc generator:
//
//	rotatord __commands | go run ./mangen -dir DIR -version V -date 2006-01-02T15:04:05Z
//
// (run in tools/). It rebuilds the command tree from the JSON of the
// hidden `rotatord __commands`, so that the rotatord binary does not link
// cobra/doc's Markdown-to-roff converter. -date (the commit's time) makes
// the pages reproducible.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

type commandDoc struct {
	Use        string       `json:"use"`
	Short      string       `json:"short"`
	Long       string       `json:"long"`
	Example    string       `json:"example"`
	Aliases    []string     `json:"aliases"`
	Flags      []flagDoc    `json:"flags"`
	Persistent []flagDoc    `json:"persistent_flags"`
	Commands   []commandDoc `json:"commands"`
}

type flagDoc struct {
	Name        string `json:"name"`
	Shorthand   string `json:"shorthand"`
	Usage       string `json:"usage"`
	Type        string `json:"type"`
	Default     string `json:"default"`
	NoOptDefVal string `json:"no_opt_default"`
}

// value is a flag's value as documented: its default and its type name.
type value struct{ def, typ string }

func (v *value) String() string   { return v.def }
func (v *value) Set(string) error { return nil }
func (v *value) Type() string     { return v.typ }

func build(d commandDoc) *cobra.Command {
	cmd := &cobra.Command{Use: d.Use, Short: d.Short, Long: d.Long, Example: d.Example, Aliases: d.Aliases,
		Run: func(*cobra.Command, []string) {}, DisableAutoGenTag: true}
	for _, set := range []struct {
		flags []flagDoc
		local bool
	}{{d.Flags, true}, {d.Persistent, false}} {
		fs := cmd.PersistentFlags()
		if set.local {
			fs = cmd.Flags()
		}
		for _, f := range set.flags {
			fl := fs.VarPF(&value{f.Default, f.Type}, f.Name, f.Shorthand, f.Usage)
			fl.NoOptDefVal = f.NoOptDefVal
		}
	}
	for _, sub := range d.Commands {
		cmd.AddCommand(build(sub))
	}
	return cmd
}

func main() {
	dir := flag.String("dir", "man", "write the pages to `dir`")
	version := flag.String("version", "", "rotatord's version, for the pages' footer")
	date := flag.String("date", "", "the pages' date, RFC 3339 (the commit's time)")
	flag.Parse()
	if err := run(*dir, *version, *date); err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
}

func run(dir, version, date string) error {
	var root commandDoc
	if err := json.NewDecoder(os.Stdin).Decode(&root); err != nil {
		return fmt.Errorf("read the output of rotatord __commands: %w", err)
	}
	at, err := time.Parse(time.RFC3339, date)
	if err != nil {
		return fmt.Errorf("-date: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := build(root)
	return doc.GenManTree(cmd, &doc.GenManHeader{Title: "ROTATORD", Section: "1", Source: "rotatord " + version, Manual: "rotatord manual", Date: &at}, dir)
}
