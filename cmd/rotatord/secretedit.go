package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/config/edit"
	"github.com/rotatord/rotatord/internal/sink/file"
)

// reloadNote ends the line every editing command prints on success.
const reloadNote = "a running daemon picks the change up by itself"

// editConfig changes the -c file with fn through edit.File and reports
// the outcome on stderr: the new file's warnings, or every problem the
// edit would make (exit 2, nothing changed). fn's errors are returned as
// they are.
func (c *cli) editConfig(fn func(d *edit.Document) error) (*edit.Result, error) {
	res, err := edit.File(c.configPath, config.LoadOptions{}, fn)
	var ce config.Errors
	switch {
	case errors.As(err, &ce) && res == nil:
		fmt.Fprint(c.stderr, config.Report(nil, err))
		fmt.Fprintf(c.stderr, "rotatord: nothing was changed: %s is invalid already; fix it first (rotatord validate -c %s)\n", c.configPath, c.configPath)
		return nil, errUsage{errReported}
	case errors.As(err, &ce):
		fmt.Fprint(c.stderr, config.Report(res.Config, err))
		why := "the edit would make " + c.configPath + " invalid"
		if _, lerr := config.Load(c.configPath); lerr != nil {
			why = c.configPath + " has problems already (rotatord validate -c " + c.configPath + " lists them)"
		}
		fmt.Fprintf(c.stderr, "rotatord: nothing was changed: %s; the lines above are those of the edited text\n", why)
		return nil, errUsage{errReported}
	case err != nil:
		return res, err
	}
	for _, w := range res.Config.Warnings {
		fmt.Fprintf(c.stderr, "warning: %s\n", w)
	}
	return res, nil
}

// keyInput is a secret access key given as --FLAG VALUE, --FLAG - (read
// from standard input) or --FLAG-file FILE. The value is never printed.
type keyInput struct {
	flag  string
	value string
	file  string
}

// register adds --FLAG and --FLAG-file.
func (k *keyInput) register(fs *pflag.FlagSet, flag string) {
	k.flag = flag
	fs.StringVar(&k.value, flag, "", "the secret access key, or - to read it from standard input; a value here is visible in ps and kept in shell history, so prefer - or --"+flag+"-file")
	fs.StringVar(&k.file, flag+"-file", "", "read the secret access key from `file`")
}

// given reports whether a key was given.
func (k *keyInput) given() bool { return k.value != "" || k.file != "" }

// read returns the key given, or "" when none was.
func (k *keyInput) read(c *cli) (string, error) {
	var r io.Reader
	switch {
	case k.value != "" && k.file != "":
		return "", errUsage{fmt.Errorf("give --%s or --%s-file, not both", k.flag, k.flag)}
	case k.value == "-":
		if r = c.stdin; r == nil {
			return "", errUsage{fmt.Errorf("--%s -: there is no standard input", k.flag)}
		}
	case k.file != "":
		// Not through safefile: the path comes from the operator's own
		// command line, is read once with the operator's rights, and may
		// be a pipe on purpose (--api-key-file <(pass show key)).
		f, err := os.Open(k.file) // the operator's own --api-key-file, read once (see above)
		if err != nil {
			return "", errUsage{fmt.Errorf("--%s-file: %w", k.flag, err)}
		}
		defer f.Close()
		r = f
	default:
		return k.value, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return "", fmt.Errorf("read the secret access key: %w", err)
	}
	return string(b), nil
}

// setKey writes a key that was given to the entry's key file, returning
// its path, or "" when no key was given.
func setKey(e *edit.Entry, key string, given bool) (string, error) {
	if !given {
		return "", nil
	}
	p, err := e.SetSecretKey(key)
	var pe *fs.PathError
	if err != nil && !errors.As(err, &pe) {
		err = errUsage{err}
	}
	return p, err
}

// boolFlag is a flag written --flag true or --flag false, as the reference
// product's are (a plain bool flag would take "false" as an argument).
type boolFlag bool

func (b *boolFlag) String() string { return fmt.Sprint(bool(*b)) }
func (b *boolFlag) Type() string   { return "true|false" }
func (b *boolFlag) Set(s string) error {
	switch strings.ToLower(s) {
	case "true":
		*b = true
	case "false":
		*b = false
	default:
		return fmt.Errorf("want true or false")
	}
	return nil
}

// parseSink reads --sink file:PATH[,format=F][,profile=P][,mode=M][,owner=O]
// into the YAML fields of a file sink. It is the one place where the
// commands know a sink's fields.
func parseSink(s string) (edit.Fields, error) {
	kind, rest, _ := strings.Cut(s, ":")
	if kind != file.Type {
		return nil, errUsage{fmt.Errorf("--sink %q: write file:PATH[,format=aws-credentials|env|json][,profile=P][,mode=0600][,owner=USER]; file is the only sink type", s)}
	}
	parts := strings.Split(rest, ",")
	if parts[0] == "" {
		return nil, errUsage{fmt.Errorf("--sink %q: name the file, as in file:/run/app/credentials", s)}
	}
	fs := edit.Fields{{Key: "type", Value: kind}, {Key: "path", Value: parts[0]}}
	seen := map[string]bool{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		switch {
		case !ok || (k != "format" && k != "profile" && k != "mode" && k != "owner"):
			return nil, errUsage{fmt.Errorf("--sink %q: %q is not format=, profile=, mode= or owner= (a path cannot hold a comma)", s, p)}
		case seen[k]:
			return nil, errUsage{fmt.Errorf("--sink %q: %s is given twice", s, k)}
		}
		seen[k] = true
		fs = append(fs, edit.Field{Key: k, Value: v})
	}
	return fs, nil
}

// subcommands makes a command that only groups others: without arguments
// it prints its help, and an unknown subcommand is a usage error.
func subcommands(use, short, long string, cmds ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return errUsage{fmt.Errorf("unknown command %q for %s (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath())}
		},
	}
	cmd.AddCommand(cmds...)
	return cmd
}

// required fails when a required flag is missing.
func required(cmd *cobra.Command, flags ...string) error {
	for _, f := range flags {
		if !cmd.Flags().Changed(f) {
			return errUsage{fmt.Errorf("%s needs --%s (see %s --help)", cmd.CommandPath(), f, cmd.CommandPath())}
		}
	}
	return nil
}

// keyNote says where a key was written, for the success line.
func keyNote(path string) string {
	if path == "" {
		return ""
	}
	return fmt.Sprintf(" (secret access key in %s, mode 0600)", path)
}
