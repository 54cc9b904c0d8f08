package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testKey = "cm90YXRvcmQtdGVzdC1wcm90ZWN0aW9uLWtleS0zMmI=" // base64 of 32 bytes

// loadDir writes files (name → content, all 0600) and rotatord.yaml with
// src into a temporary directory, and loads it with env.
func loadDir(t *testing.T, src string, files, env map[string]string) (*Config, Errors) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		writeFile(t, dir, name, data, 0o600)
	}
	cfg := writeFile(t, dir, "rotatord.yaml", src, 0o600)
	c, err := LoadWith(cfg, LoadOptions{LookupEnv: lookupIn(env)})
	if err == nil {
		return c, nil
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("LoadWith error is %T, want Errors", err)
	}
	return c, es
}

func TestLoadResolves(t *testing.T) {
	src := `version: 1
state: {protection_key_env: ROTATORD_KEY}
targets:
  - {name: prod, access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key_file: keys/prod.secret}
  - {name: staging, access_key_id: AKIAI44QH8DHBEXAMPLE, secret_access_key_env: STAGING_SECRET}
secrets:
  - {name: a, target: prod, access_key_id: AKIAFAKEDEPLOYER0001, secret_access_key: inline-value}
  - {name: b, target: staging, access_key_id: AKIAFAKEDEPLOYER0002, secret_access_key_file: b.secret}
  - {name: c, target: staging, access_key_id: AKIAFAKEDEPLOYER0003, authentication_credentials: use-target-creds}
`
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "keys/prod.secret", "prod-secret-value \n\n", 0o600)
	writeFile(t, dir, "b.secret", "b-secret-value\r\n", 0o400)
	cfg := writeFile(t, dir, "rotatord.yaml", src, 0o600)
	env := map[string]string{"ROTATORD_KEY": testKey + "\n", "STAGING_SECRET": "staging-secret-value"}
	c, err := LoadWith(cfg, LoadOptions{LookupEnv: lookupIn(env)})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := c.Secrets[1].BootstrapKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, got, want string }{
		{"file, trimmed", c.Targets[0].SecretAccessKey.Reveal(), "prod-secret-value"},
		{"env", c.Targets[1].SecretAccessKey.Reveal(), "staging-secret-value"},
		{"inline", c.Secrets[0].SecretAccessKey.Reveal(), "inline-value"},
		{"file with CRLF, read when needed", boot.Reveal(), "b-secret-value"},
		{"file not read at load", c.Secrets[1].SecretAccessKey.Reveal(), ""},
		{"none", c.Secrets[2].SecretAccessKey.Reveal(), ""},
		{"protection key", c.State.ProtectionKey.Reveal(), "rotatord-test-protection-key-32b"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if len(c.Warnings) != 0 {
		t.Errorf("got warnings %v, want none", c.Warnings)
	}
}

func TestLoadProblems(t *testing.T) {
	const targets = "targets:\n  - {name: prod, access_key_id: AKIAIOSFODNN7EXAMPLE, %s}\nsecrets:\n  - {name: a, target: prod, authentication_credentials: use-target-creds, access_key_id: AKIAFAKEDEPLOYER0001}\n"
	withKey := "version: 1\nstate: {protection_key_file: p.key}\n"
	good := map[string]string{"p.key": testKey}
	for _, tt := range []struct {
		name, src string
		files     map[string]string
		env       map[string]string
		want      string
	}{
		{"env unset", withKey + strings.Replace(targets, "%s", "secret_access_key_env: PROD", 1), good, nil,
			"targets[0].secret_access_key_env: environment variable PROD is not set; set it in rotatord's environment"},
		{"env empty", withKey + strings.Replace(targets, "%s", "secret_access_key_env: PROD", 1), good, map[string]string{"PROD": " "},
			"environment variable PROD is empty"},
		{"env two lines", withKey + strings.Replace(targets, "%s", "secret_access_key_env: PROD", 1), good, map[string]string{"PROD": "a\nb"},
			"environment variable PROD holds more than one line"},
		{"file missing", withKey + strings.Replace(targets, "%s", "secret_access_key_file: nope", 1), good, nil,
			"no such file or directory; write the secret access key into it, or fix the path"},
		{"file empty", withKey + strings.Replace(targets, "%s", "secret_access_key_file: s", 1), map[string]string{"p.key": testKey, "s": "\n\n"}, nil,
			"is empty; write the key into it"},
		{"file two lines", withKey + strings.Replace(targets, "%s", "secret_access_key_file: s", 1), map[string]string{"p.key": testKey, "s": "a\nb\n"}, nil,
			"the file holds more than one line"},
		{"file too large", withKey + strings.Replace(targets, "%s", "secret_access_key_file: s", 1), map[string]string{"p.key": testKey, "s": strings.Repeat("a", 70000)}, nil,
			"is larger than 64 KiB"},
		{"file is a directory", withKey + strings.Replace(targets, "%s", "secret_access_key_file: .", 1), good, nil,
			"is a directory; name the file that holds the key"},
		{"key file missing", withKey + strings.Replace(targets, "%s", "credentials: static, secret_access_key: x", 1), nil, nil,
			"p.key: no such file or directory; create one with `rotatord keygen -o "},
		{"default key file missing", "version: 1\nstate: {path: /tmp/x.db}\n" + strings.Replace(targets, "%s", "secret_access_key: x", 1), nil, nil,
			"state.protection_key_file: open /etc/rotatord/protection.key: no such file or directory; create one with `rotatord keygen -o /etc/rotatord/protection.key`, or set state.protection_key_file"},
		{"key too short", withKey + strings.Replace(targets, "%s", "secret_access_key: x", 1), map[string]string{"p.key": "cm90YXRvcmQtc2hvcnQta2V5LTI0Ynl0\n"}, nil,
			"holds 24 bytes after base64 decoding, want 32"},
		{"key not base64", withKey + strings.Replace(targets, "%s", "secret_access_key: x", 1), map[string]string{"p.key": "not a key\n"}, nil,
			"is not base64 (illegal base64 data at input byte 3)"},
		{"key unpadded", withKey + strings.Replace(targets, "%s", "secret_access_key: x", 1), map[string]string{"p.key": strings.TrimSuffix(testKey, "=")}, nil,
			"is not base64"},
		{"key env", "version: 1\nstate: {protection_key_env: K}\n" + strings.Replace(targets, "%s", "secret_access_key: x", 1), nil, nil,
			"state.protection_key_env: environment variable K is not set"},
		{"key env bad", "version: 1\nstate: {protection_key_env: K}\n" + strings.Replace(targets, "%s", "secret_access_key: x", 1), nil, map[string]string{"K": "c2hvcnQ="},
			"environment variable K holds 5 bytes after base64 decoding, want 32"},
		{"reported with parse errors", withKey + "workers: 0\n" + strings.Replace(targets, "%s", "secret_access_key_env: PROD", 1), good, nil,
			"environment variable PROD is not set"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, es := loadDir(t, tt.src, tt.files, tt.env)
			for _, e := range es {
				if strings.Contains(e.Error(), tt.want) {
					if e.Line < 1 || e.Col < 1 {
						t.Errorf("error %q has no position", e)
					}
					return
				}
			}
			t.Errorf("got errors:\n%v\nwant one with %q", es, tt.want)
		})
	}
}

func TestLoadWarnings(t *testing.T) {
	const src = `version: 1
state: {protection_key_file: p.key}
targets:
  - name: prod
    access_key_id: AKIAIOSFODNN7EXAMPLE
    secret_access_key: fakeInlineValueForWarnings/0000000000009
secrets:
  - {name: a, target: prod, access_key_id: AKIAFAKEDEPLOYER0001, secret_access_key_file: a.secret}
`
	for _, tt := range []struct {
		name                    string
		cfgMode, keyMode, aMode os.FileMode
		want                    []string
	}{
		{"all private", 0o600, 0o600, 0o400, nil},
		{"config readable", 0o644, 0o600, 0o600, []string{
			"rotatord.yaml:6:24: targets[0].secret_access_key: is written inline in a file that group and others can read (mode 0644); move it to secret_access_key_file, or chmod 600 ",
		}},
		{"key and secret readable", 0o600, 0o640, 0o604, []string{
			"rotatord.yaml:2:30: state.protection_key_file: ",
			"p.key is readable by its group (mode 0640); chmod 600 ",
			"rotatord.yaml:8:90: secrets[0].secret_access_key_file: ",
			"a.secret is readable by others (mode 0604); chmod 600 ",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "p.key", testKey, tt.keyMode)
			writeFile(t, dir, "a.secret", "a-value", tt.aMode)
			cfg := writeFile(t, dir, "rotatord.yaml", src, tt.cfgMode)
			c, err := LoadWith(cfg, LoadOptions{LookupEnv: lookupIn(nil)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range c.Warnings {
				got = append(got, w.Error())
			}
			all := strings.Join(got, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("warnings:\n%s\nwant one with %q", all, w)
				}
			}
			if tt.want == nil && len(got) > 0 {
				t.Errorf("got warnings %v, want none", got)
			}
			assertNoSecret(t, "warnings", all, []string{"fakeInlineValueForWarnings/0000000000009", "a-value"})
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "missing.yaml"))
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || !strings.HasSuffix(es[0].Error(), "missing.yaml: cannot read the file: no such file or directory") {
		t.Fatalf("got %v, want one cannot-read error", err)
	}
	if got := Report(c, err); !strings.HasSuffix(got, "missing.yaml: 1 error\n") {
		t.Errorf("Report: got %q", got)
	}
}

func TestLoadUsesOSEnvironment(t *testing.T) {
	t.Setenv("ROTATORD_TEST_KEY", testKey)
	c, es := loadDir(t, "version: 1\nstate: {protection_key_env: ROTATORD_TEST_KEY}\n", nil, nil)
	_ = c
	// loadDir injects an empty environment; Load itself reads the real one.
	if len(es) == 0 {
		t.Fatal("injected empty environment found the variable")
	}
	dir := t.TempDir()
	cfg := writeFile(t, dir, "rotatord.yaml", "version: 1\nstate: {protection_key_env: ROTATORD_TEST_KEY}\n", 0o600)
	c, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.State.ProtectionKey.Reveal()) != 32 {
		t.Errorf("got a %d-byte protection key, want 32", len(c.State.ProtectionKey.Reveal()))
	}
}
