package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keyFileConfig is a file of n secrets, secret i with its key in keys/si.
func keyFileConfig(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nstate: {protection_key_env: K}\ntargets:\n  - {name: prod, access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key_env: T}\nsecrets:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: s%d, target: prod, authentication_credentials: use-target-creds, access_key_id: AKIAFAKEDEPLOYER%04d, secret_access_key_file: keys/s%d}\n", i, i, i)
	}
	return b.String()
}

// keyFileDir writes keyFileConfig(n) and its n key files, each holding
// value(i), of mode mode, in a fresh directory, and returns the
// configuration's path.
func keyFileDir(t *testing.T, n int, mode os.FileMode, value func(int) string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kf") // t.TempDir's long names look like keys to shownPath
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Mkdir(filepath.Join(dir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		writeFile(t, dir, fmt.Sprintf("keys/s%d", i), value(i), mode)
	}
	return writeFile(t, dir, "rotatord.yaml", keyFileConfig(n), 0o600)
}

var keyEnv = LoadOptions{LookupEnv: lookupIn(map[string]string{"K": testKey, "T": "target-secret"})}

func secretOf(i int) string { return fmt.Sprintf("fakeSecretAccessKeyNumber%015d\n", i) }

// TestKeyFileLazy: Load checks a secret's key file without reading it, and
// BootstrapKey reads it when asked, refusing a file replaced or emptied
// since, with errors that never hold the key.
func TestKeyFileLazy(t *testing.T) {
	cfg := keyFileDir(t, 3, 0o600, secretOf)
	c, err := LoadWith(cfg, keyEnv)
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(filepath.Dir(cfg), "keys")
	for i, s := range c.Secrets {
		if s.SecretAccessKey != "" || s.KeyFile == nil {
			t.Fatalf("secret %d: SecretAccessKey set or KeyFile nil after Load: the key was read, or not checked", i)
		}
		if got, want := s.KeyFile.Path(), filepath.Join(keys, fmt.Sprintf("s%d", i)); got != want {
			t.Errorf("KeyFile.Path() = %q, want %q", got, want)
		}
	}
	if v, err := c.Secrets[0].BootstrapKey(); err != nil || v.Reveal() != strings.TrimSpace(secretOf(0)) {
		t.Errorf("BootstrapKey() = %q, %v; want the file's key", v.Reveal(), err)
	}

	// Replaced by a rename (a new inode), then emptied in place.
	writeFile(t, keys, "new", secretOf(7), 0o600)
	if err := os.Rename(filepath.Join(keys, "new"), filepath.Join(keys, "s1")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keys, "s2"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		i    int
		want string
	}{
		{1, "was replaced since rotatord checked it; reload rotatord"},
		{2, "is empty; write the key into it"},
	} {
		v, err := c.Secrets[tt.i].BootstrapKey()
		if err == nil || !strings.Contains(err.Error(), tt.want) || v != "" {
			t.Errorf("secret %d: BootstrapKey() = %q, %v; want an error with %q", tt.i, v.Reveal(), err, tt.want)
			continue
		}
		for j := range 8 {
			if strings.Contains(err.Error(), strings.TrimSpace(secretOf(j))) {
				t.Errorf("error %q holds a key", err)
			}
		}
	}
}

// TestKeyFileRepeats: a problem that many key files share is reported
// once, at the first secret, with how many more share it.
func TestKeyFileRepeats(t *testing.T) {
	t.Run("readable by others", func(t *testing.T) {
		c, err := LoadWith(keyFileDir(t, 5, 0o644, secretOf), keyEnv)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Warnings) != 1 {
			t.Fatalf("got %d warnings, want 1:\n%v", len(c.Warnings), c.Warnings)
		}
		w := c.Warnings[0]
		if w.Path != "secrets[0].secret_access_key_file" || w.Line != 6 ||
			!strings.Contains(w.Msg, "is readable by group and others (mode 0644)") || !strings.Contains(w.Msg, "and 4 more secrets name key files in ") {
			t.Errorf("warning = %v, want one at secrets[0] (line 6) counting 4 more", w)
		}
		for _, s := range c.Secrets {
			if s.KeyFile == nil {
				t.Errorf("%s: no KeyFile: a warning must not drop the key", s.Name)
			}
		}
	})
	t.Run("directory others can write", func(t *testing.T) {
		cfg := keyFileDir(t, 4, 0o600, secretOf)
		if err := os.Chmod(filepath.Join(filepath.Dir(cfg), "keys"), 0o777); err != nil {
			t.Fatal(err)
		}
		_, err := LoadWith(cfg, keyEnv)
		es, ok := err.(Errors)
		if !ok || len(es) != 1 {
			t.Fatalf("got %v, want one error", err)
		}
		if e := es[0]; e.Line != 6 || !strings.Contains(e.Msg, "is writable by every user") || !strings.Contains(e.Msg, "and 3 more secrets name key files in ") {
			t.Errorf("error = %v, want one at line 6 counting 3 more", e)
		}
	})
	t.Run("missing files each named", func(t *testing.T) {
		cfg := keyFileDir(t, 3, 0o600, secretOf)
		keys := filepath.Join(filepath.Dir(cfg), "keys")
		for _, f := range []string{"s0", "s2"} {
			if err := os.Remove(filepath.Join(keys, f)); err != nil {
				t.Fatal(err)
			}
		}
		_, err := LoadWith(cfg, keyEnv)
		es, ok := err.(Errors)
		if !ok || len(es) != 1 || es[0].Line != 6 || !strings.Contains(es[0].Msg, "no such file or directory") || !strings.Contains(es[0].Msg, "and 1 more secret names a key file in ") {
			t.Errorf("got %v, want one error at line 6 counting 1 more", err)
		}
	})
}

// TestKeyFileRefusals: what Load refused when it read key files, it
// refuses when it only checks them.
func TestKeyFileRefusals(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, keys string)
		want  string
	}{
		{"fifo", func(t *testing.T, keys string) {
			if err := mkfifo(filepath.Join(keys, "s0")); err != nil {
				t.Skip(err)
			}
		}, "is a FIFO (named pipe), not a regular file"},
		{"directory", func(t *testing.T, keys string) {
			if err := os.Mkdir(filepath.Join(keys, "s0"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, "is a directory; name the file that holds the key"},
		{"empty", func(t *testing.T, keys string) { writeFile(t, keys, "s0", "", 0o600) }, "is empty; write the key into it"},
		{"too large", func(t *testing.T, keys string) { writeFile(t, keys, "s0", strings.Repeat("k", 70000), 0o600) }, "is larger than 64 KiB"},
		{"writable by others", func(t *testing.T, keys string) { writeFile(t, keys, "s0", secretOf(0), 0o666) }, "is writable by every user (mode 0666)"},
		{"untrusted link", func(t *testing.T, keys string) {
			if err := os.Symlink("/etc/hostname", filepath.Join(keys, "s0")); err != nil {
				t.Fatal(err)
			}
			if err := os.Lchown(filepath.Join(keys, "s0"), 4242, 4242); err != nil {
				t.Skip(err)
			}
		}, "symbolic link"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := keyFileDir(t, 1, 0o600, secretOf)
			keys := filepath.Join(filepath.Dir(cfg), "keys")
			if err := os.Remove(filepath.Join(keys, "s0")); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, keys)
			_, err := LoadWith(cfg, keyEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "secrets[0].secret_access_key_file") {
				t.Errorf("got %v, want an error at secrets[0].secret_access_key_file with %q", err, tt.want)
			}
		})
	}
	t.Run("trusted link is followed", func(t *testing.T) {
		cfg := keyFileDir(t, 1, 0o600, secretOf)
		keys := filepath.Join(filepath.Dir(cfg), "keys")
		if err := os.Rename(filepath.Join(keys, "s0"), filepath.Join(keys, "real")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("real", filepath.Join(keys, "s0")); err != nil {
			t.Fatal(err)
		}
		c, err := LoadWith(cfg, keyEnv)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := c.Secrets[0].BootstrapKey(); err != nil || v.Reveal() != strings.TrimSpace(secretOf(0)) {
			t.Errorf("BootstrapKey() through a trusted link = %q, %v", v.Reveal(), err)
		}
	})
}
