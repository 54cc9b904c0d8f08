package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// replica is one `rotatord run` process of an haWorld.
type replica struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	mu     sync.Mutex
	log    bytes.Buffer // standard output and error
	exited chan error
	listen string // its /metrics address, once it serves
}

// startReplica starts `rotatord run` as replica name, with extra
// environment (a failpoint), and returns once it serves, or once it
// reports the failpoint reached when one is armed.
func (w *haWorld) startReplica(name string, extraEnv ...string) *replica {
	w.t.Helper()
	cfg := w.replicaConfig(name)
	r := &replica{t: w.t, name: name, exited: make(chan error, 1)}
	r.cmd = exec.Command(binary, "-c", cfg, "--log-format", "json", "run")
	r.cmd.Env = env(extraEnv...)
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
		_ = r.cmd.Process.Kill()
	})
	up := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, pipe := range []io.Reader{stdout, stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(pipe)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				line := sc.Text()
				w.record(line)
				r.mu.Lock()
				r.log.WriteString(line + "\n")
				r.mu.Unlock()
				var m struct{ Msg, Listen string }
				signal := false
				if strings.HasPrefix(line, "failpoint ") {
					signal = true
				} else if json.Unmarshal([]byte(line), &m) == nil && m.Msg == "rotatord is running" {
					r.mu.Lock()
					r.listen = m.Listen
					r.mu.Unlock()
					signal = true
				}
				// Only the first signal is awaited; a replica stopped at a
				// failpoint in several rotations prints it once each, and
				// a blocked send would stop this reader for good.
				if signal {
					select {
					case up <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		r.exited <- r.cmd.Wait()
	}()
	select {
	case <-up:
	case err := <-r.exited:
		w.t.Fatalf("replica %s exited at start: %v\n%s", name, err, r.logs())
	case <-time.After(time.Minute):
		w.t.Fatalf("replica %s did not start within a minute", name)
	}
	return r
}

func (r *replica) logs() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

// count counts the replica's log lines with that message.
func (r *replica) count(msg string) int {
	n := 0
	for _, line := range strings.Split(r.logs(), "\n") {
		var m struct{ Msg string }
		if json.Unmarshal([]byte(line), &m) == nil && m.Msg == msg {
			n++
		}
	}
	return n
}

// waitLog polls the replica's log until it holds s.
func (r *replica) waitLog(s string) {
	r.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(r.logs(), s) {
		if time.Now().After(deadline) {
			r.t.Fatalf("replica %s did not log %q within a minute:\n%s", r.name, s, r.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metric returns the value of one series on the replica's /metrics, 0 if
// absent.
func (r *replica) metric(series string) float64 {
	r.t.Helper()
	r.mu.Lock()
	listen := r.listen
	r.mu.Unlock()
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		r.t.Fatalf("scrape %s: %v", r.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

func (r *replica) signal(sig syscall.Signal) {
	r.t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatalf("signal %s to replica %s: %v", sig, r.name, err)
	}
}

// stop sends SIGTERM and waits for the exit.
func (r *replica) stop() {
	r.t.Helper()
	r.signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(time.Minute):
		r.t.Fatalf("replica %s did not stop within a minute of SIGTERM", r.name)
	}
}
