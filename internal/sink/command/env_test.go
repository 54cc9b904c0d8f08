package command

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPutEnvironment checks what the program gets: the key in its
// environment and nowhere in argv, none of the daemon's own AWS_* or other
// variables, "/" as working directory. No t.Parallel: t.Setenv.
func TestPutEnvironment(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":     "AKIADAEMONOWNKEY0000",
		"AWS_SECRET_ACCESS_KEY": "daemonOwnSecretValue/0000000000000000000",
		"AWS_SESSION_TOKEN":     "daemon-session-token",
		"AWS_PROFILE":           "daemon",
		"AWS_REGION":            "eu-west-1",
		"PROD_SECRET":           "a-target-secret-from-secret_access_key_env",
		"HOME":                  "/home/rotatord",
		"LANG":                  "C.UTF-8",
	} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	envFile, argvFile, outFile, pwdFile := filepath.Join(dir, "environ"), filepath.Join(dir, "cmdline"), filepath.Join(dir, "out"), filepath.Join(dir, "pwd")
	s := newCommand(t, 0, sh(`cat /proc/$$/environ > "$1" && cat /proc/$$/cmdline > "$2" &&
printf %s "$AWS_SECRET_ACCESS_KEY" > "$3" && pwd > "$4" && test ! -t 0 && test -z "$(cat)"`,
		envFile, argvFile, outFile, pwdFile)...)
	if err := s.Put(context.Background(), testCred); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := readFile(t, outFile); got != testSecret {
		t.Errorf("program sees AWS_SECRET_ACCESS_KEY %q, want %q", got, testSecret)
	}
	if got := readFile(t, argvFile); strings.Contains(got, testSecret) || strings.Contains(got, testID) {
		t.Errorf("argv holds the key: %q", got)
	}
	if got := readFile(t, pwdFile); got != "/\n" {
		t.Errorf("working directory %q, want /", got)
	}
	got := strings.Split(strings.TrimSuffix(readFile(t, envFile), "\x00"), "\x00")
	want := []string{
		"AWS_ACCESS_KEY_ID=" + testID,
		"AWS_SECRET_ACCESS_KEY=" + testSecret,
		"ROTATORD_SECRET=/team-a/deployer",
		"ROTATORD_VERSION=7",
		"HOME=/home/rotatord",
		"LANG=C.UTF-8",
	}
	for _, k := range []string{"PATH", "USER", "LOGNAME", "LC_ALL", "TZ", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			want = append(want, k+"="+v)
		} else if k == "PATH" {
			want = append(want, "PATH="+defaultPath)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("environment\n%q\nwant\n%q", got, want)
	}
}
