package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/state"
	"github.com/rotatord/rotatord/internal/testuid"
)

func TestCheckPeer(t *testing.T) {
	const path = "/run/rotatord/rotatord.sock"
	tests := []struct {
		name    string
		peer    peer
		self    int
		refused bool
		want    []string // in the message when refused
	}{
		{"root serves root", peer{UID: 0, PID: 7}, 0, false, nil},
		{"root serves a user", peer{UID: 0, PID: 7}, 1000, false, nil},
		{"a user serves itself", peer{UID: 1000, PID: 7}, 1000, false, nil},
		{"nobody serves root", peer{UID: 65534, PID: 42}, 0, true,
			[]string{path, "uid 65534", "pid 42", "not by root:", "ls -l " + path, "control_socket"}},
		{"another user serves a user", peer{UID: 1001, PID: 42}, 1000, true,
			[]string{"uid 1001", "not by root or uid 1000 (you)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPeer(path, tt.peer, tt.self)
			if !tt.refused {
				if err != nil {
					t.Fatalf("got %v, want it trusted", err)
				}
				return
			}
			if !errors.Is(err, ErrUntrusted) {
				t.Fatalf("got %v, want ErrUntrusted", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestPeerOfReadsTheKernel: the credentials come from the kernel: this
// process's uid and pid for a socket it listens on.
func TestPeerOfReadsTheKernel(t *testing.T) {
	path := sockPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := peerOf(c)
	if err != nil {
		t.Fatal(err)
	}
	if int(p.UID) != os.Geteuid() || int(p.PID) != os.Getpid() {
		t.Errorf("got uid %d pid %d, want %d %d", p.UID, p.PID, os.Geteuid(), os.Getpid())
	}
}

// forgedValue is the key the squatter hands out.
const forgedValue = "FORGEDsecretFORGEDsecretFORGEDsecret1234"

// squatterEnv names the socket TestSquatterHelper serves on.
const squatterEnv = "ROTATORD_TEST_SQUATTER"

// TestSquatterHelper is not a test: run by squat as uid 65534, it listens
// on the socket named by $ROTATORD_TEST_SQUATTER and answers every request
// like the daemon would, with a forged key, printing "request PATH" for
// each. It prints "listening" once clients can connect and exits when its
// standard input closes.
func TestSquatterHelper(t *testing.T) {
	path := os.Getenv(squatterEnv)
	if path == "" {
		t.Skip("a helper process for TestSquatter*, run as another user")
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fmt.Println("request", r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == pathList {
			fmt.Fprintf(w, `[{"name":%q,"state":"ok","key_id":"AKIAFORGED"}]`, nameOK)
			return
		}
		fmt.Fprintf(w, `{"n":3,"access_key_id":"AKIAFORGED","state":"current","value":%q}`, forgedValue)
	})}
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	fmt.Println("listening")
	_ = srv.Serve(ln)
}

// squatter is TestSquatterHelper running as uid 65534.
type squatter struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   chan string // the lines it printed after "listening"
}

// squat starts a squatter listening on path, whose directory uid 65534 may
// write, and waits until it listens.
func squat(t *testing.T, path string) *squatter {
	t.Helper()
	testuid.RequireRoot(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(testuid.TempDir(t), "control.test")
	raw, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cmd := testuid.Command(ctx, bin, "-test.run=^TestSquatterHelper$")
	cmd.Env = append(cmd.Env, squatterEnv+"="+path)
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
	s := &squatter{cmd: cmd, stdin: stdin, out: make(chan string, 100)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "request ") {
				s.out <- line
			} else {
				ready <- line
			}
		}
		close(s.out)
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
func (s *squatter) stop() []string {
	_ = s.stdin.Close()
	_ = s.cmd.Wait()
	var got []string
	for line := range s.out {
		got = append(got, line)
	}
	return got
}

// squatDir returns a socket path in a directory uid 65534 may write.
func squatDir(t *testing.T) string {
	t.Helper()
	// Sticky and open to all, like /tmp: the one kind of directory others
	// may write that Listen accepts (see safefile), where another user can
	// still take the socket's name first.
	dir := filepath.Join(testuid.TempDir(t), "run")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "r.sock")
}

// TestSquatterRefused: a socket another user serves is refused at Dial,
// with a message naming the path and the uid, and gets no request.
func TestSquatterRefused(t *testing.T) {
	testuid.RequireRoot(t)
	path := squatDir(t)
	s := squat(t, path)
	c, err := Dial(t.Context(), path)
	if err == nil {
		c.Close()
		t.Fatal("Dial of a socket uid 65534 serves: got a client, want ErrUntrusted")
	}
	if !errors.Is(err, ErrUntrusted) || errors.Is(err, ErrNoDaemon) {
		t.Errorf("got %v, want ErrUntrusted (and not ErrNoDaemon, which would open the store instead)", err)
	}
	for _, w := range []string{path, "uid 65534", "refusing"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message %q lacks %q", err, w)
		}
	}
	if got := s.stop(); len(got) != 0 {
		t.Errorf("the squatter received %q, want nothing", got)
	}
}

// TestSquatterAfterDial: every connection is checked, not only Dial's:
// once the daemon is gone and another user took its path, the next call
// fails before anything is sent, and the forged key never comes back.
func TestSquatterAfterDial(t *testing.T) {
	testuid.RequireRoot(t)
	path := squatDir(t)
	srv, err := listenFake(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Dial(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	s := squat(t, path)
	for _, call := range []func() (any, error){
		func() (any, error) { return c.Reveal(t.Context(), nameOK, 0) },
		func() (any, error) { return c.List(t.Context()) },
	} {
		v, err := call()
		if !errors.Is(err, ErrUntrusted) {
			t.Errorf("got %v, want ErrUntrusted", err)
		}
		if rv, ok := v.(*state.Version); ok && rv != nil && rv.Value.Reveal() == forgedValue {
			t.Error("the forged key came back")
		}
	}
	if got := s.stop(); len(got) != 0 {
		t.Errorf("the squatter received %q, want nothing", got)
	}
}

// TestListenOverSquatter: the daemon's start-up says that another user
// listens on its socket, and leaves the socket alone.
func TestListenOverSquatter(t *testing.T) {
	testuid.RequireRoot(t)
	path := squatDir(t)
	squat(t, path)
	before, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := listenFake(t.Context(), path)
	if err == nil {
		srv.Close()
		t.Fatal("Listen over another user's socket succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, "another rotatord is serving") || !strings.Contains(msg, "another user (uid 65534") {
		t.Errorf("got %q, want it to say another user (uid 65534) listens", msg)
	}
	if after, err := os.Lstat(path); err != nil || !os.SameFile(before, after) {
		t.Errorf("the socket at %s was touched: %v", path, err)
	}
}
