package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/testuid"
)

// forgedKey is the secret access key the squatter hands out.
const forgedKey = "FORGEDforgedFORGEDforgedFORGEDforged1234"

// squatterProc is testdata/squatter running as uid 65534.
type squatterProc struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	requests chan string
}

// startSquatter builds testdata/squatter and runs it as uid 65534 on
// socket, and waits until it listens.
func startSquatter(t *testing.T, socket string) *squatterProc {
	t.Helper()
	bin := filepath.Join(testuid.TempDir(t), "squatter")
	build := exec.Command("go", "build", "-o", bin, "./testdata/squatter")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the squatter: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cmd := testuid.Command(ctx, bin, socket, forgedKey)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &squatterProc{cmd: cmd, stdin: stdin, requests: make(chan string, 100)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "request ") {
				s.requests <- line
			} else {
				ready <- line
			}
		}
		close(s.requests)
	}()
	t.Cleanup(func() { s.stop() })
	select {
	case line := <-ready:
		if line != "listening" {
			t.Fatalf("squatter: %s", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the squatter did not listen within 30s")
	}
	return s
}

// stop ends the squatter and returns the requests it received.
func (s *squatterProc) stop() []string {
	_ = s.stdin.Close()
	_ = s.cmd.Wait()
	var got []string
	for line := range s.requests {
		got = append(got, line)
	}
	return got
}

// TestForgedControlSocket: control_socket is in a directory every user can
// write, and another user (uid 65534) got there first with a server that
// answers like the daemon, with a forged key. get --reveal, list and
// rotate refuse it, say why and exit 1, never print the forged key and
// send it nothing; the daemon refuses to start, naming the other user.
func TestForgedControlSocket(t *testing.T) {
	testuid.RequireRoot(t)
	w := newWorld(t, secretOpts{graceful: true})
	dir := filepath.Join(testuid.TempDir(t), "run")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	// Sticky, like /tmp: rotatord would refuse a directory anyone may
	// write without the sticky bit (see safefile), but in a sticky one
	// another user may still take the name first.
	if err := os.Chmod(dir, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "rotatord.sock")
	w.setDaemonListeners(socket)
	sq := startSquatter(t, socket)

	for _, args := range [][]string{
		{"get", "/team/app", "--reveal"},
		{"list"},
		{"rotate", "/team/app"},
	} {
		out, errOut, code := w.run(args...)
		all := out + errOut
		if code != exitFailed {
			t.Errorf("rotatord %v: exit %d, want %d\n%s", args, code, exitFailed, all)
		}
		for _, want := range []string{socket, "uid 65534", "refusing"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("rotatord %v: the error does not say %q:\n%s", args, want, errOut)
			}
		}
		for _, forged := range []string{forgedKey, "AKIAFORGED"} {
			if strings.Contains(all, forged) {
				t.Errorf("rotatord %v printed the squatter's %q:\n%s", args, forged, all)
			}
		}
	}

	out, errOut, code := w.run("run")
	if code == 0 || !strings.Contains(errOut, "another user (uid 65534") || strings.Contains(errOut, "another rotatord is serving") {
		t.Errorf("rotatord run beside the squatter: exit %d, want a failure naming the other user (uid 65534):\n%s%s", code, out, errOut)
	}
	if got := sq.stop(); len(got) != 0 {
		t.Errorf("the squatter received %q, want nothing", got)
	}
}
