package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/config"
)

// Fake keys; no output and no configuration may ever show them.
const (
	cliKey1 = "fakeCLISecretAccessKeyNumberOne000/00001"
	cliKey2 = "fakeCLISecretAccessKeyNumberTwo000/00002"
)

const editCLIFixture = `# test configuration
version: 1
state:
  path: state.db
  protection_key_file: protection.key
targets:
  - name: prod   # the account
    region: us-east-1
    access_key_id: AKIAIOSFODNN7EXAMPLE
    secret_access_key_file: prod.secret
secrets:
  # keep this one
  - name: /team/protected
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: AKIAFAKEPROTECTED001
    delete_protection: true
`

// editCLIDir writes the fixture with its protection key and target key and
// returns the configuration's path.
func editCLIDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"rotatord.yaml":  editCLIFixture,
		"protection.key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"prod.secret":    cliKey2 + "\n",
		"api.key":        cliKey1 + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "rotatord.yaml")
}

// runEditCLI runs rotatord in-process, through run once root.go registers
// the editing commands and through the same steps until then, and checks
// that no output shows a key.
func runEditCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{ctx: t.Context(), stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}
	root := c.rootCommand()
	if _, _, err := root.Find([]string{"secret", "delete"}); err == nil {
		code = run(t.Context(), args, strings.NewReader(stdin), &out, &errb)
	} else {
		root.AddCommand(c.secretCommand(), c.targetCommand())
		code = executeForTest(c, root, args)
	}
	for _, k := range []string{cliKey1, cliKey2} {
		if strings.Contains(out.String()+errb.String(), k) {
			t.Errorf("rotatord %s printed a secret key", strings.Join(args, " "))
		}
	}
	return out.String(), errb.String(), code
}

// executeForTest is run's execution and exit codes for a root command
// built by the test.
func executeForTest(c *cli, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	err := root.ExecuteContext(c.ctx)
	if err == nil {
		return exitOK
	}
	if !errors.Is(err, errReported) {
		fmt.Fprintf(c.stderr, "rotatord: %v\n", err)
	}
	var ue errUsage
	var ce config.Errors
	if errors.As(err, &ue) || errors.As(err, &ce) {
		return exitUsage
	}
	return exitFailed
}

func TestSecretCreateOutOfRangeChangesNothing(t *testing.T) {
	cfg := editCLIDir(t)
	dir := filepath.Dir(cfg)
	stdout, stderr, code := runEditCLI(t, "", "secret", "create", "aws", "-c", cfg,
		"--name", "/team/x", "--target-name", "prod", "--authentication-credentials", "use-user-creds",
		"--api-id", "AKIAFAKENEWKEY000003", "--api-key", cliKey1, "--rotation-interval", "400")
	if code != exitUsage {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, exitUsage, stderr)
	}
	if b, _ := os.ReadFile(cfg); string(b) != editCLIFixture {
		t.Errorf("the configuration changed:\n%s", b)
	}
	want := cfg + ":23:24: secrets[1].rotation_interval: 400 is out of range"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr:\n%s\nwant it to hold %q", stderr, want)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		for _, e := range entries {
			t.Logf("in the directory: %s", e.Name())
		}
		t.Errorf("%d files in the directory, want the 4 there were", len(entries))
	}
}

func TestSecretCreate(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		key   []string
	}{
		{"key as a flag", "", []string{"--api-key", cliKey1}},
		{"key from stdin", cliKey1 + "\n", []string{"--api-key", "-"}},
		{"key from a file", "", []string{"--api-key-file", "api.key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := editCLIDir(t)
			dir := filepath.Dir(cfg)
			t.Chdir(dir)
			args := append([]string{"secret", "create", "aws", "-c", cfg,
				"--name", "team/x", "--target-name", "prod", "--authentication-credentials", "use-user-creds",
				"--rotator-type", "api-key", "--api-id", "AKIAFAKENEWKEY000003", "--grace-rotation", "false",
				"--auto-rotate", "true", "--rotation-interval", "30", "--rotation-hour", "3", "--rotation-timezone", "Europe/Berlin",
				"--delete-protection", "false", "--sink", "file:app.ini,format=aws-credentials,profile=app,mode=0600"}, tt.key...)
			stdout, stderr, code := runEditCLI(t, tt.stdin, args...)
			if code != exitOK {
				t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
			}
			keyFile := filepath.Join(dir, "secrets/team/x.secret")
			want := fmt.Sprintf("added secret /team/x to %s (secret access key in %s, mode 0600); a running daemon picks the change up by itself\n", cfg, keyFile)
			if stdout != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
			}
			got, _ := os.ReadFile(cfg)
			if strings.Contains(string(got), cliKey1) {
				t.Errorf("the key is in the configuration")
			}
			wantEntry := `  - name: /team/x
    target: prod
    authentication_credentials: use-user-creds
    rotator_type: api-key
    access_key_id: AKIAFAKENEWKEY000003
    secret_access_key_file: secrets/team/x.secret
    grace_rotation: false
    auto_rotate: true
    rotation_interval: 30
    rotation_hour: 3
    rotation_timezone: Europe/Berlin
    delete_protection: false
    sinks:
      - type: file
        path: app.ini
        format: aws-credentials
        profile: app
        mode: "0600"
`
			if !strings.HasPrefix(string(got), editCLIFixture) || !strings.HasSuffix(string(got), wantEntry) {
				t.Errorf("configuration:\n%s\nwant the fixture, then:\n%s", got, wantEntry)
			}
			if b, err := os.ReadFile(keyFile); err != nil || string(b) != cliKey1+"\n" {
				t.Errorf("the key file does not hold the key: %v", err)
			}
			if _, stderr, code := runEditCLI(t, "", "validate", "-c", cfg); code != exitOK {
				t.Errorf("validate: exit code %d:\n%s", code, stderr)
			}
		})
	}
}

func TestSecretUpdateAndDelete(t *testing.T) {
	cfg := editCLIDir(t)
	dir := filepath.Dir(cfg)
	steps := []struct {
		args   []string
		code   int
		stdout string // a prefix
		stderr string // a part
	}{
		{[]string{"secret", "delete", "team/protected"}, exitFailed, "", "is protected (delete_protection is true); set delete_protection: false first, then delete it (rotatord secret update aws --name /team/protected --delete-protection false)"},
		{[]string{"secret", "update", "aws", "--name", "team/protected"}, exitUsage, "", "nothing to change"},
		{[]string{"secret", "update", "aws", "--name", "/nope", "--auto-rotate", "false"}, exitUsage, "", "has no secret /nope"},
		{[]string{"secret", "update", "aws", "--name", "team/protected", "--delete-protection", "maybe"}, exitUsage, "", `invalid argument "maybe"`},
		{[]string{"secret", "update", "aws", "--name", "team/protected", "--delete-protection", "false", "--api-key", cliKey1},
			exitOK, "updated delete_protection, secret_access_key_file of secret /team/protected in " + cfg, ""},
		{[]string{"secret", "update", "aws", "--name", "team/protected", "--api-key", cliKey2}, exitOK, "updated secret_access_key_file", ""},
		{[]string{"secret", "update", "aws", "--name", "team/protected", "--rotation-timezone", "Mars/Olympus"}, exitUsage, "",
			`secrets[0].rotation_timezone: "Mars/Olympus" is not a time zone (unknown time zone); write an IANA name such as Europe/Berlin`},
		{[]string{"secret", "update", "aws", "--name", "team/protected", "--rotation-timezone", "America/Sao_Paulo"}, exitOK, "updated rotation_timezone", ""},
		{[]string{"secret", "delete", "team/protected"}, exitOK,
			"removed secret /team/protected from " + cfg + " and its key file " + filepath.Join(dir, "secrets/team/protected.secret"), ""},
		{[]string{"secret", "delete", "team/protected"}, exitUsage, "", "has no secret /team/protected"},
		{[]string{"target", "create", "aws", "--name", "staging", "--region", "eu-west-1", "--access-key-id", "AKIAFAKESTAGING00001",
			"--access-key", cliKey2, "--endpoint", "http://127.0.0.1:4566"}, exitOK, "added target staging to " + cfg, ""},
		{[]string{"target", "create", "aws", "--name", "staging"}, exitUsage, "", "already has target staging"},
		{[]string{"secret", "create", "aws", "--name", "/a", "--target-name", "prod", "--sink", "s3:bucket"}, exitUsage, "", "file is the only sink type"},
		{[]string{"secret", "create", "aws", "--name", "/a"}, exitUsage, "", "needs --target-name"},
		{[]string{"secret", "create", "aws", "--name", "/a", "--target-name", "prod", "--api-key", "x", "--api-key-file", "y"}, exitUsage, "", "not both"},
		{[]string{"secret", "frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
	}
	for _, s := range steps {
		name := strings.Join(s.args, " ")
		stdout, stderr, code := runEditCLI(t, "", append(s.args, "-c", cfg)...)
		if code != s.code || !strings.HasPrefix(stdout, s.stdout) || !strings.Contains(stderr, s.stderr) {
			t.Errorf("rotatord %s: exit code %d, stdout:\n%s\nstderr:\n%s\nwant exit code %d, stdout from %q, stderr with %q",
				name, code, stdout, stderr, s.code, s.stdout, s.stderr)
		}
	}
	if _, stderr, code := runEditCLI(t, "", "validate", "-c", cfg); code != exitOK {
		t.Errorf("validate: exit code %d:\n%s", code, stderr)
	}
	got, _ := os.ReadFile(cfg)
	for _, k := range []string{cliKey1, cliKey2} {
		if strings.Contains(string(got), k) {
			t.Errorf("a key is in the configuration:\n%s", got)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "targets/staging.secret")); string(b) != cliKey2+"\n" {
		t.Errorf("the target's key file does not hold its key")
	}
}
