package command

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

const (
	testID     = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var testCred = sink.Credential{Secret: "/team-a/deployer", Version: 7, AccessKeyID: testID, SecretAccessKey: config.SecretValue(testSecret)}

// newCommand returns a sink running argv, failing the test on error.
func newCommand(t *testing.T, timeout time.Duration, argv ...string) *Command {
	t.Helper()
	s, err := New(Config{Command: argv, Timeout: config.Duration(timeout)}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// sh returns argv that runs script with /bin/sh, args as $1, $2…
func sh(script string, args ...string) []string {
	return append([]string{"/bin/sh", "-c", script, "sh"}, args...)
}

// assertNoSecret fails if err's text holds window characters of the test
// secret in a row.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for i := 0; i+window <= len(testSecret); i++ {
		if strings.Contains(err.Error(), testSecret[i:i+window]) {
			t.Errorf("error leaks %q of the secret: %v", testSecret[i:i+window], err)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPutFailureScrubsOutput(t *testing.T) {
	s := newCommand(t, 0, sh(`echo "reloading app"
echo "using key $AWS_ACCESS_KEY_ID / $AWS_SECRET_ACCESS_KEY" >&2
printf '{"secret":"%s"}\n' "$(printf %s "$AWS_SECRET_ACCESS_KEY" | sed 's,/,\\/,g')"
echo "cannot reload app: permission denied" >&2
exit 3`)...)
	err := s.Put(context.Background(), testCred)
	if err == nil {
		t.Fatal("Put succeeded, want an error")
	}
	assertNoSecret(t, err)
	msg := err.Error()
	for _, want := range []string{"command sink /bin/sh: exit status 3", `output: "reloading app\n[2 lines withheld: they held part of the secret access key]\ncannot reload app: permission denied"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "exit 3") {
		t.Errorf("error %q quotes the command's arguments", msg)
	}
}

func TestPutErrors(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		cred    sink.Credential
		wantErr string
	}{
		{"no output", sh("exit 1"), testCred, "command sink /bin/sh: exit status 1; no output"},
		{"killed by a signal", sh("kill -TERM $$"), testCred, "command sink /bin/sh: signal: terminated"},
		{"missing program", []string{"/nonexistent/reload"}, testCred, "command sink /nonexistent/reload: run: "},
		{"empty secret", sh("exit 0"), sink.Credential{AccessKeyID: testID}, "secret access key is empty"},
		{"empty key id", sh("exit 0"), sink.Credential{SecretAccessKey: testCred.SecretAccessKey}, "access key id is empty"},
		{"NUL in secret", sh("exit 0"), sink.Credential{AccessKeyID: testID, SecretAccessKey: config.SecretValue(testSecret + "\x00")}, "credential holds a NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newCommand(t, 0, tt.argv...).Put(context.Background(), tt.cred)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			assertNoSecret(t, err)
		})
	}
}

// processGone waits up to 5s for pid to exit: no such process, or a zombie
// (whoever inherits an orphan may be slow to reap it, or never do so).
func processGone(pid int) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if errors.Is(err, os.ErrNotExist) {
			return true
		}
		// pid (comm) state …; comm may hold spaces and parentheses.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && b[i+2] == 'Z' {
			return true
		}
	}
	return false
}

func TestPutTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	s := newCommand(t, time.Second, sh(`sleep 60 & echo $! > "$1"; echo started; wait`, pidFile)...)
	start := time.Now()
	err := s.Put(context.Background(), testCred)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Put took %v after a timeout of 1s", took)
	}
	if err == nil || !strings.Contains(err.Error(), "command sink /bin/sh: timed out after 1s") || !strings.Contains(err.Error(), "started") {
		t.Fatalf("got error %v, want a timeout after 1s with the output", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", err)
	}
	pid, perr := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
	if perr != nil {
		t.Fatal(perr)
	}
	if !processGone(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the program's background sleep (pid %d) outlived the timeout", pid)
	}
}

func TestPutCanceled(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	s := newCommand(t, time.Minute, sh(`echo $$ > "$1.tmp" && mv "$1.tmp" "$1"; sleep 60`, pidFile)...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Put(ctx, testCred) }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(pidFile); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal("the program did not start")
		}
	}
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "command sink /bin/sh: stopped: context canceled") {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if err := s.Put(ctx, testCred); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a done context: got %v, want context.Canceled", err)
	}
}

// TestPutBackgroundHoldsOutput: a program that exits 0 but leaves a child
// holding its output succeeds without waiting for that child, with a
// warning.
func TestPutBackgroundHoldsOutput(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	var logs bytes.Buffer
	s, err := New(Config{Command: sh(`sleep 60 & echo $! > "$1"; exit 0`, pidFile)},
		slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Put(context.Background(), testCred); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if took := time.Since(start); took > outputGrace+5*time.Second {
		t.Errorf("Put took %v", took)
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile))); err == nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if !strings.Contains(logs.String(), "left processes holding its output open") {
		t.Errorf("no warning logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), testSecret) {
		t.Errorf("log leaks the secret: %s", logs.String())
	}
}

// TestPutSerialized: Puts of one Command run one after the other.
func TestPutSerialized(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	s := newCommand(t, 0, sh(`echo "start $ROTATORD_VERSION" >> "$1"; sleep 0.05; echo "end $ROTATORD_VERSION" >> "$1"`, log)...)
	var wg sync.WaitGroup
	for v := range 4 {
		c := testCred
		c.Version = v
		wg.Go(func() {
			if err := s.Put(context.Background(), c); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSpace(readFile(t, log)), "\n")
	if len(lines) != 8 {
		t.Fatalf("log %q, want 8 lines", lines)
	}
	for i := 0; i < len(lines); i += 2 {
		v := strings.TrimPrefix(lines[i], "start ")
		if lines[i+1] != "end "+v {
			t.Fatalf("runs overlap: %q", lines)
		}
	}
}

func TestNew(t *testing.T) {
	s := newCommand(t, 0, "/usr/bin/systemctl", "reload", "app")
	if s.timeout != DefaultTimeout {
		t.Errorf("timeout %v, want %v", s.timeout, DefaultTimeout)
	}
	if s = newCommand(t, 5*time.Second, "/bin/true"); s.timeout != 5*time.Second {
		t.Errorf("timeout %v, want 5s", s.timeout)
	}
	tests := []struct {
		name    string
		in      Config
		wantErr string
	}{
		{"empty", Config{}, "command sink: command is empty"},
		{"relative", Config{Command: []string{"systemctl", "reload"}}, `command sink "systemctl": want an absolute path`},
		{"negative timeout", Config{Command: []string{"/bin/true"}, Timeout: config.Duration(-time.Second)}, "timeout -1s is negative"},
		{"NUL", Config{Command: []string{"/bin/true", "a\x00b"}}, "command[1] holds a NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.in, nil); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestPutFailureWithholdsPieces: a program that prints pieces of the key
// in many forms and fails: its error quotes the lines that hold none, and
// no run of 8 characters of the key.
func TestPutFailureWithholdsPieces(t *testing.T) {
	s := newCommand(t, 0, sh(`k=$AWS_SECRET_ACCESS_KEY
echo "first 20: $(printf %s "$k" | cut -c1-20)"
echo "middle 8: $(printf %s "$k" | cut -c17-24)"
echo "base64: $(printf 'x%s' "$k" | base64 -w0)"
echo "hex: $(printf %s "$k" | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$k" | fold -w1
echo "id $AWS_ACCESS_KEY_ID, version $ROTATORD_VERSION"
exit 4`)...)
	err := s.Put(context.Background(), testCred)
	if err == nil {
		t.Fatal("Put succeeded, want an error")
	}
	assertNoSecret(t, err)
	want := `command sink /bin/sh: exit status 4; output: "[44 lines withheld: they held part of the secret access key]\nid ` + testID + `, version 7"`
	if err.Error() != want {
		t.Errorf("got  %q\nwant %q", err, want)
	}
}
