// Package buildinfo says which build a rotatord binary is: its version,
// commit, build date and Go version.
//
// The Go toolchain stamps the commit (vcs.revision), its time (vcs.time)
// and whether the tree had uncommitted changes (vcs.modified) into every
// binary built from a git checkout; debug.ReadBuildInfo reads them back.
// A release build may override the version, commit and date with -ldflags
// (-X main.version=v1.2.3 -X main.commit=… -X main.date=…), which
// cmd/rotatord passes to Read.
//
// The build date is the commit's time, not the time of the build, so that
// two builds of one commit give the same bytes.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Unknown stands for a field the binary does not know (a build outside a
// git checkout, or a test binary).
const Unknown = "unknown"

// Info is a build's identity. Every field is set; a field the build does
// not know is Unknown.
type Info struct {
	Version   string // v1.2.3, or the module version Go derived from git ("v0.0.0-2026…-abcdef+dirty")
	Commit    string // the full git revision, "+dirty" appended if the tree was modified
	Date      string // the commit's time, RFC 3339 UTC
	GoVersion string // the toolchain that built the binary
}

// Read returns this binary's Info: each of version, commit and date if
// not empty (the -ldflags overrides), else what debug.ReadBuildInfo holds.
func Read(version, commit, date string) Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi, version, commit, date)
}

func fromBuildInfo(bi *debug.BuildInfo, version, commit, date string) Info {
	in := Info{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			in.GoVersion = bi.GoVersion
		}
		var rev, at string
		var modified bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if in.Commit == "" && rev != "" {
			in.Commit = rev
			if modified {
				in.Commit += "+dirty"
			}
		}
		if in.Date == "" {
			in.Date = at
		}
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
	}
	for _, f := range []*string{&in.Version, &in.Commit, &in.Date} {
		if *f == "" {
			*f = Unknown
		}
	}
	return in
}

// String is the one-line form of --version: "rotatord v1.2.3 (commit
// abcdef…, built 2026-12-08T01:00:00Z, go1.26.8)".
func (in Info) String() string {
	var b strings.Builder
	b.WriteString("rotatord ")
	b.WriteString(in.Version)
	b.WriteString(" (commit ")
	b.WriteString(in.Commit)
	b.WriteString(", built ")
	b.WriteString(in.Date)
	b.WriteString(", ")
	b.WriteString(in.GoVersion)
	b.WriteString(")")
	return b.String()
}
