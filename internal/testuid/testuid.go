// Package testuid lets a test that runs as root act as another local user,
// the way an attacker with an unprivileged account would: each action is a
// child process whose uid and gid are Nobody (65534), set with
// syscall.Credential. A Go process cannot drop privileges for one goroutine,
// so anything the other user does happens in a child.
package testuid

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Nobody is the uid and gid the attacker's processes run as.
const Nobody = 65534

// RequireRoot skips t unless the test runs as root: only root can start a
// process as another user and own files the attacker may not touch.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to act as another user (uid 65534)")
	}
}

// Command returns name with args, set up to run as uid and gid Nobody with
// no supplementary groups, in directory "/", with a minimal environment.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent", "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: Nobody, Gid: Nobody, Groups: []uint32{}},
	}
	return cmd
}

// Sh runs script with /bin/sh -c as uid Nobody and returns its combined
// output. It fails t if the script fails or takes over 30 s.
func Sh(t testing.TB, script string) string {
	t.Helper()
	RequireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := Command(ctx, "/bin/sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("as uid %d: sh -c %q: %v\n%s", Nobody, script, err, out)
	}
	return string(out)
}

// TempDir returns a new directory, owned by root, that uid Nobody may
// enter and read but not write (mode 0755, as is its parent, which
// t.TempDir makes 0700): the place for a test's files that the attacker
// can see.
func TempDir(t testing.TB) string {
	t.Helper()
	RequireRoot(t)
	dir := t.TempDir()
	// A test's own directories (the package is for tests only).
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil { // a test's own directory
			t.Fatal(err)
		}
	}
	return dir
}

// Chown gives path to Nobody, failing t on error: a directory or file that
// another user owns.
func Chown(t testing.TB, path string) {
	t.Helper()
	RequireRoot(t)
	if err := os.Lchown(path, Nobody, Nobody); err != nil { // a test's own file
		t.Fatal(err)
	}
}
