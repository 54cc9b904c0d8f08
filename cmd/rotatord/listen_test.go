package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/daemon"
)

// floodSize is how many idle connections each listener gets.
const floodSize = 5000

// daemonNoFile is the daemon's file descriptor limit in TestIdleFlood:
// systemd's default soft limit, which the report's 1,100 connections
// exhausted.
const daemonNoFile = 1024

// TestIdleFlood: 5,000 idle connections to the HTTP port and 5,000 to the
// control socket, against a daemon limited to 1,024 file descriptors:
// the daemon never holds more than its two connection caps' worth,
// `rotatord list` answers within 2s, a scrape gets through, and the
// secret (rotation_schedule @every 2s) keeps rotating.
func TestIdleFlood(t *testing.T) {
	needNoFile(t, 2*floodSize+1000)
	w := newWorld(t, secretOpts{graceful: true, extra: "    auto_rotate: true\n    rotation_schedule: \"@every 2s\"\n"})
	socket := filepath.Join(shortTempDir(t), "r.sock")
	w.setDaemonListeners(socket)
	p := w.startDaemon()
	pid := p.cmd.Process.Pid
	lim := unix.Rlimit{Cur: daemonNoFile, Max: daemonNoFile}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		t.Fatalf("limit the daemon's file descriptors: %v", err)
	}
	rotated := `rotatord_rotations_total{result="success",secret="/team/app"}`
	p.waitMetric(rotated, "a first rotation", func(v float64) bool { return v >= 1 })
	base := countFDs(t, pid)
	// A few more for the rotations' own files and AWS connections, and
	// for a connection closed to make room while the new one is open.
	most := base + daemon.MaxHTTPConns + control.MaxConns + 32
	t.Logf("the daemon holds %d file descriptors before the flood; the bound is %d", base, most)

	peak := watchFDs(t, pid)
	httpOpen := flood(t, "http", func() (net.Conn, error) { return net.DialTimeout("tcp", p.listen, 2*time.Second) },
		"GET /healthz HTTP/1.1\r\nHost: rotatord\r\n\r\n")
	ctlOpen := flood(t, "control socket", func() (net.Conn, error) { return net.DialTimeout("unix", socket, 2*time.Second) },
		"GET /v1/no-such HTTP/1.1\r\nHost: rotatord\r\n\r\n")
	t.Logf("opened %d connections to the HTTP port and %d to the control socket", httpOpen, ctlOpen)

	start := time.Now()
	out, errOut, code := w.run("list")
	took := time.Since(start)
	if code != 0 || !strings.Contains(out, "/team/app") {
		t.Errorf("rotatord list under the flood: exit %d after %s\n%s%s", code, took.Round(time.Millisecond), out, errOut)
	} else if took > 2*time.Second {
		t.Errorf("rotatord list under the flood took %s, want under 2s", took.Round(time.Millisecond))
	} else {
		t.Logf("rotatord list under the flood answered in %s", took.Round(time.Millisecond))
	}
	// A scrape gets through, and rotations go on.
	before, err := scrape(p.listen, rotated)
	if err != nil {
		t.Errorf("scrape under the flood: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		v, err := scrape(p.listen, rotated)
		if err == nil && v > before {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("no rotation within 30s under the flood (%s = %v, was %v; %v)", rotated, v, before, err)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	if got := peak(); got > most {
		t.Errorf("the daemon held up to %d file descriptors under the flood, want at most %d (%d before it, %d for HTTP, %d for the control socket)",
			got, most, base, daemon.MaxHTTPConns, control.MaxConns)
	} else {
		t.Logf("the daemon held at most %d file descriptors under the flood", got)
	}
	if httpOpen < floodSize || ctlOpen < floodSize {
		t.Errorf("opened %d and %d connections, want %d each: the daemon stopped accepting", httpOpen, ctlOpen, floodSize)
	}
}

// scrape reads one series from /metrics on listen, within 5s.
func scrape(listen, series string) (float64, error) {
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get("http://" + listen + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no series %s on /metrics", series)
}

// setDaemonListeners makes the world's configuration listen on a free
// loopback port and serve its control socket at socket.
func (w *world) setDaemonListeners(socket string) {
	w.t.Helper()
	raw, err := os.ReadFile(w.cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "targets:\n",
		fmt.Sprintf("listen: 127.0.0.1:0\ncontrol_socket: %s\nshutdown_timeout: 3s\ntargets:\n", socket), 1)
	w.write("rotatord.yaml", cfg)
}

// shortTempDir is a directory whose paths fit a unix socket's 108 bytes.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// needNoFile raises this process's file descriptor limit to n, or skips.
func needNoFile(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	lim.Cur = n
	lim.Max = max(lim.Max, n) // root may raise the hard limit
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("needs %d file descriptors: %v", n, err)
	}
}

// countFDs counts the open file descriptors of process pid.
func countFDs(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatalf("count the daemon's file descriptors: %v", err)
	}
	return len(ents)
}

// watchFDs samples pid's open file descriptors until the returned
// function is called, which returns the most seen.
func watchFDs(t *testing.T, pid int) (peak func() int) {
	t.Helper()
	var most atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if ents, err := os.ReadDir(dir); err == nil && int64(len(ents)) > most.Load() {
				most.Store(int64(len(ents)))
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	peak = func() int {
		once.Do(func() { close(stop); <-done })
		return int(most.Load())
	}
	t.Cleanup(func() { peak() })
	return peak
}

// flood opens floodSize connections with dial and leaves them open until
// the test ends: every other one sends request and reads the answer first
// (an idle keep-alive connection), the rest send nothing. A dial the
// listener's full queue refuses (EAGAIN) is retried; the flood gives up
// after 60s. It returns how many connections it opened.
func flood(t *testing.T, what string, dial func() (net.Conn, error), request string) int {
	t.Helper()
	const workers = 8
	var opened atomic.Int64
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	var wg sync.WaitGroup
	var lastErr atomic.Value
	for wk := range workers {
		wg.Go(func() {
			for i := wk; i < floodSize && time.Now().Before(deadline); i += workers {
				c, err := dial()
				for err != nil && errors.Is(err, syscall.EAGAIN) && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond) // the queue drains as the daemon accepts
					c, err = dial()
				}
				if err != nil {
					lastErr.Store(err)
					continue
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				opened.Add(1)
				if i%2 == 0 {
					_ = c.SetDeadline(time.Now().Add(2 * time.Second))
					if _, err := c.Write([]byte(request)); err == nil {
						if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
							resp.Body.Close()
						}
					}
					_ = c.SetDeadline(time.Time{})
				}
			}
		})
	}
	wg.Wait()
	if err, ok := lastErr.Load().(error); ok {
		t.Logf("%s: last dial error: %v", what, err)
	}
	return int(opened.Load())
}
