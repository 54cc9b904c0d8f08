package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/rotatord/rotatord", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "abc123"},
			{Key: "vcs.time", Value: "2026-12-08T01:58:08Z"},
			{Key: "vcs.modified", Value: "false"},
		},
	}
	dirty := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/rotatord/rotatord", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"},
			{Key: "vcs.time", Value: "2026-12-08T01:58:08Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name                  string
		bi                    *debug.BuildInfo
		version, commit, date string
		want                  Info
	}{
		{"stamped", stamped, "", "", "",
			Info{Version: "v1.2.3", Commit: "abc123", Date: "2026-12-08T01:58:08Z", GoVersion: "go1.26.8"}},
		{"ldflags win", stamped, "v2.0.0", "def456", "2026-01-01T00:00:00Z",
			Info{Version: "v2.0.0", Commit: "def456", Date: "2026-01-01T00:00:00Z", GoVersion: "go1.26.8"}},
		{"dirty tree, devel version", dirty, "", "", "",
			Info{Version: Unknown, Commit: "abc123+dirty", Date: "2026-12-08T01:58:08Z", GoVersion: "go1.26.8"}},
		{"no build info", nil, "", "", "",
			Info{Version: Unknown, Commit: Unknown, Date: Unknown, GoVersion: runtime.Version()}},
		{"no vcs stamps, commit linked", &debug.BuildInfo{GoVersion: "go1.26.8"}, "", "def456", "",
			Info{Version: Unknown, Commit: "def456", Date: Unknown, GoVersion: "go1.26.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fromBuildInfo(tt.bi, tt.version, tt.commit, tt.date); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	in := Info{Version: "v1.2.3", Commit: "abc123", Date: "2026-12-08T01:58:08Z", GoVersion: "go1.26.8"}
	if got, want := in.String(), "rotatord v1.2.3 (commit abc123, built 2026-12-08T01:58:08Z, go1.26.8)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
