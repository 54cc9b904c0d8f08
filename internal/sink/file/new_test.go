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
		in   Config
		want File
	}{
		{"defaults", Config{Path: "/run/x.ini"}, File{path: "/run/x.ini", format: FormatAWSCredentials, profile: "default", mode: 0o600}},
		{"profile and mode", Config{Path: "/run//x.ini", Profile: "deployer", Mode: 0o640}, File{path: "/run/x.ini", format: FormatAWSCredentials, profile: "deployer", mode: 0o640}},
		{"env drops profile", Config{Path: "/run/x.env", Format: FormatEnv, Profile: "p"}, File{path: "/run/x.env", format: FormatEnv, mode: 0o600}},
		{"json", Config{Path: "/run/x.json", Format: FormatJSON}, File{path: "/run/x.json", format: FormatJSON, mode: 0o600}},
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
		in      Config
		wantErr string
	}{
		{"empty path", Config{}, "path is empty"},
		{"unknown format", Config{Path: "/x", Format: "yaml"}, `unknown format "yaml"`},
		{"profile with space", Config{Path: "/x", Profile: "a b"}, `profile "a b"`},
		{"profile with bracket", Config{Path: "/x", Profile: "a]"}, `profile "a]"`},
		{"profile with newline", Config{Path: "/x", Profile: "a\n[b"}, `profile "a\n[b"`},
		{"setuid mode", Config{Path: "/x", Mode: config.FileMode(os.ModeSetuid | 0o600)}, "mode"},
		{"unknown user", Config{Path: "/x", Owner: "no-such-user-rotatord"}, `unknown user "no-such-user-rotatord"`},
		{"unknown group", Config{Path: "/x", Owner: "0:no-such-group-rotatord"}, `unknown group "no-such-group-rotatord"`},
		{"bare colon", Config{Path: "/x", Owner: ":"}, `owner ":"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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
		f := newFile(t, Config{Path: path, Profile: fmt.Sprintf("p%d", i)})
		cred := sink.Credential{AccessKeyID: fmt.Sprintf("AKIA%016d", i), SecretAccessKey: config.SecretValue(fmt.Sprintf("%s%d", testSecret, i))}
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
