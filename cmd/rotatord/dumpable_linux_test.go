package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/rotatord/rotatord/internal/testuid"
)

// TestDaemonNotDumpable runs `rotatord run` as an ordinary user (uid
// 65534, as the systemd unit runs it as user rotatord) and checks, from
// outside, that no core file and no process of that same user can get at
// its memory: its /proc/PID files belong to root (the kernel's mark of a
// non-dumpable process), the same uid cannot read its /proc/PID/environ,
// and its core file size limit is 0. /metrics still reports the process's
// own figures, which it reads from /proc/self.
func TestDaemonNotDumpable(t *testing.T) {
	testuid.RequireRoot(t)
	w := newWorld(t, secretOpts{})
	home := filepath.Join(testuid.TempDir(t), "rotatord")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	testuid.Chown(t, home)
	base, err := os.ReadFile(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"rotatord.yaml": strings.Replace(string(base), "targets:\n",
			fmt.Sprintf("listen: 127.0.0.1:0\ncontrol_socket: %s\ntargets:\n", filepath.Join(home, "r.sock")), 1),
	}
	for _, name := range []string{"protection.key", "admin.secret", "app.secret"} {
		raw, err := os.ReadFile(filepath.Join(w.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(raw)
	}
	for name, content := range files {
		p := filepath.Join(home, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		testuid.Chown(t, p)
	}
	bin := filepath.Join(home, "rotatord")
	copyFile(t, binary, bin)

	cmd := testuid.Command(context.Background(), bin, "-c", filepath.Join(home, "rotatord.yaml"), "--log-format", "json", "run")
	cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	p := w.startProc(cmd)
	pid := p.cmd.Process.Pid

	fi, err := os.Stat(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 0 {
		t.Errorf("/proc/%d/status belongs to uid %d, want 0: the daemon is dumpable", pid, uid)
	}
	out, err := testuid.Command(context.Background(), "/bin/cat", fmt.Sprintf("/proc/%d/environ", pid)).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Permission denied") {
		t.Errorf("uid %d read the daemon's /proc/PID/environ (err %v): a process of its own user can read its memory", testuid.Nobody, err)
	}
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Max core file size\s+0\s+0\s`).Match(limits) {
		t.Errorf("core file size limit is not 0:\n%s", limits)
	}
	if v := p.metric("process_open_fds"); v <= 0 {
		t.Errorf("process_open_fds = %v, want the daemon's open files", v)
	}
	if code, _ := p.term(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
}

// copyFile copies the file src to dst, executable.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
