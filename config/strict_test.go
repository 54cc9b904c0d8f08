package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/internal/testuid"
)

// What rotatord runs as root must be something only root can change: the
// configuration, the files it includes, a command sink's program, and the
// directories on the way to each (issue 11, item 4).

const strictConfig = `version: 1
state: {protection_key_file: keys/p.key}
targets:
  - {name: prod, access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key_file: keys/prod.secret}
secrets:
  - name: a
    target: prod
    access_key_id: AKIAFAKEDEPLOYER0001
    authentication_credentials: use-target-creds
    sinks:
      - {type: command, command: [%PROG%]}
      - {type: file, path: /run/x.ini, format: template, template_file: t.tmpl}
`

// strictDir writes a valid configuration whose files are all private and
// returns the configuration's path.
func strictDir(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = testuid.TempDir(t)
	if err := os.Mkdir(filepath.Join(dir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "keys/p.key", testKey, 0o600)
	writeFile(t, dir, "keys/prod.secret", "prod-secret-value", 0o600)
	writeFile(t, dir, "t.tmpl", "{{.AccessKeyID}}\n", 0o644)
	writeFile(t, dir, "hook", "#!/bin/sh\nexit 0\n", 0o755)
	cfg = writeFile(t, dir, "rotatord.yaml", strings.Replace(strictConfig, "%PROG%", filepath.Join(dir, "hook"), 1), 0o600)
	return dir, cfg
}

func TestStrictModes(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
		line  int // 0: the file itself
	}{
		{"config 0666", func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "rotatord.yaml"), 0o666) },
			"rotatord.yaml: refused: the file is writable by every user (mode 0666)", 0},
		{"config of another user", func(t *testing.T, dir string) { testuid.Chown(t, filepath.Join(dir, "rotatord.yaml")) },
			"rotatord.yaml: refused: the file belongs to uid 65534", 0},
		{"config in a directory others can write", func(t *testing.T, dir string) { chmod(t, dir, 0o777) },
			"is writable by every user (mode 0777)", 0},
		{"command program 0777", func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "hook"), 0o777) },
			"secrets[0].sinks[0].command[0]: program DIR/hook is writable by every user", 11},
		{"command program of another user", func(t *testing.T, dir string) { testuid.Chown(t, filepath.Join(dir, "hook")) },
			"program DIR/hook belongs to uid 65534", 11},
		{"key file in a directory others can write", func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "keys"), 0o777) },
			"targets[0].secret_access_key_file: DIR/keys/prod.secret: directory DIR/keys is writable by every user", 4},
		{"protection key in a directory of another user", func(t *testing.T, dir string) { testuid.Chown(t, filepath.Join(dir, "keys")) },
			"state.protection_key_file: DIR/keys/p.key: directory DIR/keys belongs to uid 65534", 2},
		{"key file a link another user made", func(t *testing.T, dir string) {
			keys := filepath.Join(dir, "keys")
			chmod(t, keys, os.ModeSticky|0o777)
			os.Rename(filepath.Join(keys, "prod.secret"), filepath.Join(dir, "prod.secret"))
			testuid.Sh(t, "ln -s "+filepath.Join(dir, "prod.secret")+" "+filepath.Join(keys, "prod.secret"))
		}, "targets[0].secret_access_key_file: DIR/keys/prod.secret: symbolic link DIR/keys/prod.secret belongs to uid 65534", 4},
		{"template file 0666", func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "t.tmpl"), 0o666) },
			"secrets[0].sinks[1].template_file: DIR/t.tmpl: is writable by every user", 12},
		{"template file a FIFO", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "t.tmpl"))
			if err := mkfifo(filepath.Join(dir, "t.tmpl")); err != nil {
				t.Fatal(err)
			}
		}, "t.tmpl: is a FIFO (named pipe), not a regular file", 12},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, cfg := strictDir(t)
			if _, err := Load(cfg); err != nil {
				t.Fatalf("before the change: %v", err)
			}
			tt.setup(t, dir)
			_, err := Load(cfg)
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Load = %v, want Errors", err)
			}
			for _, e := range es {
				if strings.Contains(e.Error(), strings.ReplaceAll(tt.want, "DIR", dir)) {
					if e.Line != tt.line || e.File != cfg {
						t.Errorf("error %q at %s:%d, want %s:%d", e, e.File, e.Line, cfg, tt.line)
					}
					return
				}
			}
			t.Errorf("got errors:\n%v\nwant one with %q", es, tt.want)
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// TestStrictFollowsTrustedLinks: a Kubernetes ConfigMap or Secret volume
// holds its files as links that the kubelet (root) made
// (rotatord.yaml -> ..data/rotatord.yaml, ..data -> ..2026_12_07...):
// those are followed.
func TestStrictFollowsTrustedLinks(t *testing.T) {
	dir, cfg := strictDir(t)
	real := filepath.Join(dir, "..2026_12_07")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rotatord.yaml", "t.tmpl"} {
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(real, name)); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("..data/"+name, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("..2026_12_07", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	c, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sinkField(c.Secrets[0].Sinks[1], "template") != "{{.AccessKeyID}}\n" {
		t.Fatalf("template through the links: %q", sinkField(c.Secrets[0].Sinks[1], "template"))
	}
}

func TestControlSocketWarning(t *testing.T) {
	for _, tt := range []struct {
		name, dir string
		setup     func(t *testing.T, dir string)
		want      string
	}{
		{"private", "run", func(t *testing.T, dir string) {}, ""},
		{"not made yet", "run/sub/deeper", func(t *testing.T, dir string) {}, ""},
		{"sticky", "tmp", func(t *testing.T, dir string) { chmod(t, dir, os.ModeSticky|0o777) }, "which other users can write (mode 0777)"},
		{"another user's", "theirs", func(t *testing.T, dir string) { testuid.Chown(t, dir) }, "belongs to uid 65534"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, cfg := strictDir(t)
			first := filepath.Join(base, strings.SplitN(tt.dir, "/", 2)[0])
			if err := os.Mkdir(first, 0o755); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, first)
			data, _ := os.ReadFile(cfg)
			sock := filepath.Join(base, tt.dir, "rotatord.sock")
			if err := os.WriteFile(cfg, append(data, []byte("control_socket: "+sock+"\n")...), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			for _, w := range c.Warnings {
				if w.Path == "control_socket" {
					got = w.Error()
					if w.Line != 13 {
						t.Errorf("warning at line %d, want 13", w.Line)
					}
				}
			}
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("warning %q, want one with %q", got, tt.want)
			}
		})
	}
}
