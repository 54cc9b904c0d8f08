package main

import (
	"bytes"
	"context"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/internal/buildinfo"
)

// What TestMain links into the end-to-end binary, as tools/build.sh does
// for a release.
const (
	testVersion = "v9.8.7-test"
	testCommit  = "0123456789abcdef0123456789abcdef01234567"
	testDate    = "2026-01-02T03:04:05Z"
	linkedBuild = "-X main.version=" + testVersion + " -X main.commit=" + testCommit + " -X main.date=" + testDate
)

// TestVersion: a binary built with -ldflags -X main.… prints that
// version, commit and date in `rotatord version`, --version and
// `version -o json`, with the Go version that built it.
func TestVersion(t *testing.T) {
	want := buildinfo.Info{Version: testVersion, Commit: testCommit, Date: testDate, GoVersion: runtime.Version()}
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, out string)
	}{
		{"version", []string{"version"}, func(t *testing.T, out string) {
			for _, line := range []string{"version:    " + testVersion, "commit:     " + testCommit, "built:      " + testDate, "go version: " + runtime.Version()} {
				if !strings.Contains(out, line+"\n") {
					t.Errorf("output lacks %q:\n%s", line, out)
				}
			}
		}},
		{"--version", []string{"--version"}, func(t *testing.T, out string) {
			if want := want.String() + "\n"; out != want {
				t.Errorf("got %q, want %q", out, want)
			}
		}},
		{"json", []string{"version", "-o", "json"}, func(t *testing.T, out string) {
			want := `{
  "version": "` + testVersion + `",
  "commit": "` + testCommit + `",
  "date": "` + testDate + `",
  "go_version": "` + runtime.Version() + `"
}
`
			if out != want {
				t.Errorf("got\n%s\nwant\n%s", out, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(binary, tt.args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("rotatord %s: %v\n%s", strings.Join(tt.args, " "), err, stderr.String())
			}
			tt.check(t, stdout.String())
		})
	}
}

// TestVersionUnlinked: without -ldflags and without VCS stamps (a test
// binary has neither), every unknown field says "unknown" rather than
// being blank.
func TestVersionUnlinked(t *testing.T) {
	for _, tt := range []struct{ args, want string }{
		{"--version", "rotatord unknown (commit unknown, built unknown, " + runtime.Version() + ")\n"},
		{"version -o yaml", "version: null\ncommit: null\ndate: null\ngo_version: " + runtime.Version() + "\n"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), strings.Fields(tt.args), nil, &stdout, &stderr); code != exitOK {
			t.Fatalf("rotatord %s: exit %d: %s", tt.args, code, stderr.String())
		}
		if got := stdout.String(); got != tt.want {
			t.Errorf("rotatord %s: got %q, want %q", tt.args, got, tt.want)
		}
	}
}
