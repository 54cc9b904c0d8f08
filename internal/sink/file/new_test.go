package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		in   config.Sink
		want File
	}{
		{"defaults", config.Sink{Path: "/run/x.ini"}, File{path: "/run/x.ini", format: config.FormatAWSCredentials, profile: "default", mode: 0o600}},
		{"profile and mode", config.Sink{Path: "/run//x.ini", Profile: "deployer", Mode: 0o640}, File{path: "/run/x.ini", format: config.FormatAWSCredentials, profile: "deployer", mode: 0o640}},
		{"env drops profile", config.Sink{Path: "/run/x.env", Format: config.FormatEnv, Profile: "p"}, File{path: "/run/x.env", format: config.FormatEnv, mode: 0o600}},
		{"json", config.Sink{Path: "/run/x.json", Format: config.FormatJSON}, File{path: "/run/x.json", format: config.FormatJSON, mode: 0o600}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newFile(t, tt.in)
			if *got != tt.want {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      config.Sink
		wantErr string
	}{
		{"empty path", config.Sink{}, "path is empty"},
		{"unknown format", config.Sink{Path: "/x", Format: "yaml"}, `unknown format "yaml"`},
		{"profile with space", config.Sink{Path: "/x", Profile: "a b"}, `profile "a b"`},
		{"profile with bracket", config.Sink{Path: "/x", Profile: "a]"}, `profile "a]"`},
		{"profile with newline", config.Sink{Path: "/x", Profile: "a\n[b"}, `profile "a\n[b"`},
		{"setuid mode", config.Sink{Path: "/x", Mode: config.FileMode(os.ModeSetuid | 0o600)}, "mode"},
		{"unknown user", config.Sink{Path: "/x", Owner: "no-such-user-rotatord"}, `unknown user "no-such-user-rotatord"`},
		{"unknown group", config.Sink{Path: "/x", Owner: "0:no-such-group-rotatord"}, `unknown group "no-such-group-rotatord"`},
		{"bare colon", config.Sink{Path: "/x", Owner: ":"}, `owner ":"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Type = config.SinkFile
			_, err := New(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "file sink") {
				t.Errorf("error %q does not say which sink", err)
			}
		})
	}
}

func TestParseOwner(t *testing.T) {
	tests := []struct {
		in   string
		want owner
	}{
		{"root", owner{0, 0}},
		{"root:0", owner{0, 0}},
		{"root:", owner{0, 0}},
		{"0", owner{0, 0}}, // root's primary group from the account database
		{"12345:23456", owner{12345, 23456}},
		{"12345", owner{12345, -1}}, // unknown uid: group unchanged
		{":23456", owner{-1, 23456}},
		{"0:root", owner{0, 0}},
	}
	for _, tt := range tests {
		got, err := parseOwner(tt.in)
		if err != nil {
			t.Errorf("parseOwner(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseOwner(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// TestPutConcurrentProfiles writes 20 profiles of one file at once, each
// through its own File: the per-path lock must keep every update.
func TestPutConcurrentProfiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		f := newFile(t, config.Sink{Path: path, Profile: fmt.Sprintf("p%d", i)})
		cred := sink.Credential{AccessKeyID: fmt.Sprintf("AKIA%016d", i), SecretAccessKey: config.Secret(fmt.Sprintf("%s%d", testSecret, i))}
		wg.Go(func() { errs <- f.Put(context.Background(), cred) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for i := range n {
		assertSDKReadsFile(t, path, fmt.Sprintf("p%d", i), fmt.Sprintf("AKIA%016d", i), fmt.Sprintf("%s%d", testSecret, i))
	}
	assertOnlyFiles(t, dir, "credentials")
}
