package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/internal/buildinfo"
)

// Set at link time by release builds (tools/build.sh):
//
//	go build -ldflags '-X main.version=v1.2.3 -X main.commit=… -X main.date=…'
//
// Empty: buildinfo.Read takes them from what the toolchain stamped.
var (
	version string
	commit  string
	date    string
)

// build is this binary's identity, for `rotatord version`, --version and
// the rotatord_build_info metric.
func build() buildinfo.Info { return buildinfo.Read(version, commit, date) }

func (c *cli) versionCommand() *cobra.Command {
	var output *outputFormat
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print rotatord's version, commit, build date and Go version",
		Long: `Print which build this binary is: its version, the git commit it was built
from ("+dirty" if the tree had uncommitted changes), that commit's date (the
build date of a reproducible build) and the Go version that built it.
"rotatord --version" prints the same on one line.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in := build()
			if *output != outputTable {
				return writeDoc(c.stdout, *output, newBuildDoc(in))
			}
			_, err := fmt.Fprintf(c.stdout, "version:    %s\ncommit:     %s\nbuilt:      %s\ngo version: %s\n",
				in.Version, in.Commit, in.Date, in.GoVersion)
			return err
		},
	}
	output = outputFlag(cmd)
	return cmd
}

// buildDoc is `rotatord version -o json|yaml` (docs/output.md): a field
// the binary does not know is null, as elsewhere in those documents.
type buildDoc struct {
	Version   *string `json:"version" yaml:"version"`
	Commit    *string `json:"commit" yaml:"commit"`
	Date      *string `json:"date" yaml:"date"`
	GoVersion string  `json:"go_version" yaml:"go_version"`
}

func newBuildDoc(in buildinfo.Info) buildDoc {
	known := func(s string) *string {
		if s == buildinfo.Unknown {
			return nil
		}
		return &s
	}
	return buildDoc{Version: known(in.Version), Commit: known(in.Commit), Date: known(in.Date), GoVersion: in.GoVersion}
}
