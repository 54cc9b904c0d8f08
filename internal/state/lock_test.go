package state

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestOpenTwiceInProcess(t *testing.T) {
	b, path := openTemp(t, WithHolder("rotatord run"))
	start := time.Now()
	_, err := Open(path, testKey(1))
	if elapsed := time.Since(start); elapsed >= boltLockTimeout {
		t.Errorf("second Open took %v: it waited instead of failing at once", elapsed)
	}
	want := fmt.Sprintf("state file %s is in use by pid %d (rotatord run); stop that process or talk to it through its control socket", path, os.Getpid())
	if !errors.Is(err, ErrLocked) || err.Error() != want {
		t.Fatalf("second Open:\n got %v\nwant %s (wrapping ErrLocked)", err, want)
	}
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("second Open: got %#v, want a *LockedError with our pid", err)
	}

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b2, err := Open(path, testKey(1))
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	b2.Close()
}

// lockHelperEnv names the state file the helper process opens.
const lockHelperEnv = "ROTATORD_STATE_LOCK_HELPER"

// TestLockHelperProcess is not a test: TestOpenLockedByChild runs the test
// binary as a child that opens the store, says "ready", and holds it until
// its stdin closes.
func TestLockHelperProcess(t *testing.T) {
	path := os.Getenv(lockHelperEnv)
	if path == "" {
		t.Skip("helper process for TestOpenLockedByChild")
	}
	b, err := Open(path, testKey(1), WithHolder("lock helper"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := b.Close(); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

func TestOpenLockedByChild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path,
		// Under -race a process sleeps 1s at exit unless told not to.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "ready" {
		if strings.HasPrefix(lines.Text(), "error:") {
			t.Fatalf("helper: %s", lines.Text())
		}
	}

	_, err = Open(path, testKey(1))
	var le *LockedError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &le) {
		t.Fatalf("Open while the child holds the file: got %v, want a *LockedError", err)
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	if le.PID != cmd.Process.Pid || !strings.Contains(err.Error(), "pid "+pid+" (lock helper)") {
		t.Fatalf("Open: got %q, want it to name pid %s (lock helper)", err, pid)
	}

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	b, err := Open(path, testKey(1))
	if err != nil {
		t.Fatalf("Open after the child exited: %v", err)
	}
	b.Close()
}

func TestOpenAfterHolderKilled(t *testing.T) {
	// A holder that dies without Close leaves its pid in the lock file; the
	// kernel drops its flock, so the next Open succeeds and records itself.
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path+".lock", []byte("999999\nold holder\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := Open(path, testKey(1), WithHolder("new holder"))
	if err != nil {
		t.Fatalf("Open over a stale lock file: %v", err)
	}
	defer b.Close()
	got, _ := os.ReadFile(path + ".lock")
	if want := fmt.Sprintf("%d\nnew holder\n", os.Getpid()); string(got) != want {
		t.Fatalf("lock file: got %q, want %q", got, want)
	}
}
