package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// daemonProc is a `rotatord run` process and what it logged.
type daemonProc struct {
	t      *testing.T
	w      *world
	cmd    *exec.Cmd
	listen string
	exited chan error
}

// startDaemon starts `rotatord run` on the world's configuration and waits
// until it logs that it runs.
func (w *world) startDaemon() *daemonProc {
	w.t.Helper()
	cmd := exec.Command(binary, "-c", w.cfg, "--log-format", "json", "run")
	cmd.Env = env()
	return w.startProc(cmd)
}

// runSettings returns the world's configuration with what a test that
// runs `rotatord run` needs: a loopback listen address, a control socket
// of its own (removed when the test ends) and shutdown_timeout.
func (w *world) runSettings(shutdown string) string {
	w.t.Helper()
	sockDir, err := os.MkdirTemp("", "rd")
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { os.RemoveAll(sockDir) })
	base, err := os.ReadFile(w.cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	return strings.Replace(string(base), "targets:\n", fmt.Sprintf("listen: 127.0.0.1:0\ncontrol_socket: %s\nshutdown_timeout: %s\ntargets:\n", filepath.Join(sockDir, "r.sock"), shutdown), 1)
}

// startProc starts cmd, a `rotatord run`, and waits until it logs that it
// runs.
func (w *world) startProc(cmd *exec.Cmd) *daemonProc {
	w.t.Helper()
	stdout, err := cmd.StdoutPipe() // the daemon logs to standard output
	if err != nil {
		w.t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	p := &daemonProc{t: w.t, w: w, cmd: cmd, exited: make(chan error, 1)}
	running := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			w.record(line)
			var m struct{ Msg, Listen string }
			if json.Unmarshal([]byte(line), &m) == nil && m.Msg == "rotatord is running" {
				running <- m.Listen
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		err := cmd.Wait()
		w.record(stderr.String())
		p.exited <- err
	}()
	select {
	case p.listen = <-running:
	case err := <-p.exited:
		w.t.Fatalf("rotatord run exited at start: %v", err)
	case <-time.After(time.Minute):
		w.t.Fatal("rotatord run did not start within a minute")
	}
	w.t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	return p
}

// metric returns the value of one series on /metrics, or -1 if absent.
func (p *daemonProc) metric(series string) float64 {
	p.t.Helper()
	resp, err := http.Get("http://" + p.listen + "/metrics")
	if err != nil {
		p.t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p.w.record(string(body))
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindSubmatch(body)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

// waitMetric polls until cond holds for the series' value.
func (p *daemonProc) waitMetric(series string, what string, cond func(float64) bool) {
	p.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond(p.metric(series)) {
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %s (%s = %v)", what, series, p.metric(series))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// term sends SIGTERM and returns the exit code and how long it took.
func (p *daemonProc) term() (int, time.Duration) {
	p.t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			p.t.Fatal(err)
		}
		return code, time.Since(start)
	case <-time.After(time.Minute):
		p.t.Fatal("rotatord did not exit within a minute of SIGTERM")
		return 0, 0
	}
}

// replaceConfig writes the configuration the way editors do: a temp file
// renamed over the original.
func (w *world) replaceConfig(content string) {
	w.t.Helper()
	tmp := filepath.Join(w.dir, ".rotatord.yaml.swp")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
	if err := os.Rename(tmp, w.cfg); err != nil {
		w.t.Fatal(err)
	}
}

// daemonConfig is the world's configuration with the daemon's settings and,
// when withNew, a second secret /team/new rotating every second.
func (w *world) daemonConfig(socket string, withNew bool) string {
	raw, err := os.ReadFile(filepath.Join(w.dir, "base.yaml"))
	if err != nil {
		w.t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "targets:\n", fmt.Sprintf("# the daemon test's own comment\nlisten: 127.0.0.1:0\ncontrol_socket: %s\nshutdown_timeout: 3s\ntargets:\n", socket), 1)
	if withNew {
		k := w.newUser
		cfg += fmt.Sprintf(`  - name: /team/new
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: %s
    auto_rotate: true
    rotation_schedule: "@every 1s"
    sinks:
      - type: file
        path: new.ini
        profile: new
`, k.AccessKeyID)
	}
	return cfg
}

// TestDaemonEndToEnd runs the real binary: a secret added by editing the
// file is scheduled and rotated; a broken file leaves the old configuration
// running with the reload metric at 0, fixing it sets 1; the CLI talks to
// the daemon; a second daemon is refused naming the first's pid; SIGTERM
// during a rotation exits 0 within shutdown_timeout, and the next start
// finishes that rotation without an orphan key.
func TestDaemonEndToEnd(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true})
	w.newUser = w.fake.SeedUser("new", false)
	base, err := os.ReadFile(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.write("base.yaml", string(base))
	sockDir, err := os.MkdirTemp("", "rd")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockDir)
	socket := filepath.Join(sockDir, "r.sock")
	w.replaceConfig(w.daemonConfig(socket, false))

	p := w.startDaemon()
	if v := p.metric("rotatord_config_last_reload_successful"); v != 1 {
		t.Fatalf("reload metric %v at start, want 1", v)
	}
	buildSeries := fmt.Sprintf(`rotatord_build_info{commit=%q,go_version=%q,version=%q}`, testCommit, runtime.Version(), testVersion)
	if v := p.metric(buildSeries); v != 1 {
		t.Fatalf("%s is %v, want 1", buildSeries, v)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + p.listen + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}
	// SIGHUP reloads (nothing changed: an empty diff).
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	w.waitOutput(`"why":"SIGHUP"`)
	// Add a secret by editing the file.
	good := w.daemonConfig(socket, true)
	w.replaceConfig(good)
	p.waitMetric(`rotatord_next_rotation_timestamp_seconds{secret="/team/new"}`, "the new secret to be scheduled", func(v float64) bool { return v > 0 })
	p.waitMetric(`rotatord_rotations_total{result="success",secret="/team/new"}`, "the new secret to rotate", func(v float64) bool { return v >= 1 })
	if keys := w.fake.Keys("new"); len(keys) != 2 {
		t.Errorf("user new holds %d keys after a graceful rotation, want 2", len(keys))
	}
	// The CLI goes through the daemon (the store is held by it).
	if out := w.mustRun("list"); !strings.Contains(out, "/team/new") {
		t.Errorf("list through the daemon:\n%s", out)
	}
	// Break the file: the old configuration keeps running.
	w.replaceConfig(strings.Replace(good, `rotation_schedule: "@every 1s"`, "rotation_interval: 400", 1))
	p.waitMetric("rotatord_config_last_reload_successful", "the reload metric to drop", func(v float64) bool { return v == 0 })
	before := p.metric(`rotatord_rotations_total{result="success",secret="/team/new"}`)
	p.waitMetric(`rotatord_rotations_total{result="success",secret="/team/new"}`, "the old configuration to keep rotating", func(v float64) bool { return v > before })
	// Fix it.
	w.replaceConfig(good)
	p.waitMetric("rotatord_config_last_reload_successful", "the reload metric to come back", func(v float64) bool { return v == 1 })

	// The reference product's CLI edits the commented file; the daemon
	// schedules the new secret. A bad value changes nothing and says why.
	cli := w.fake.SeedUser("cli", false)
	cfgBefore, _ := os.ReadFile(w.cfg)
	_, errOut, code := w.run("secret", "create", "aws", "--name", "/team/cli", "--target-name", "prod",
		"--authentication-credentials", "use-target-creds", "--rotator-type", "api-key", "--api-id", cli.AccessKeyID,
		"--auto-rotate", "true", "--rotation-interval", "400", "--rotation-hour", "3")
	if after, _ := os.ReadFile(w.cfg); code != exitUsage || !strings.Contains(errOut, "rotation_interval: 400 is out of range") || string(after) != string(cfgBefore) {
		t.Errorf("secret create with --rotation-interval 400: exit %d, file changed: %v\n%s", code, string(after) != string(cfgBefore), errOut)
	}
	w.mustRun("secret", "create", "aws", "--name", "/team/cli", "--target-name", "prod",
		"--authentication-credentials", "use-target-creds", "--rotator-type", "api-key", "--api-id", cli.AccessKeyID,
		"--auto-rotate", "true", "--rotation-interval", "30", "--rotation-hour", "3")
	p.waitMetric(`rotatord_next_rotation_timestamp_seconds{secret="/team/cli"}`, "the created secret to be scheduled", func(v float64) bool { return v > 0 })
	if edited, _ := os.ReadFile(w.cfg); !strings.Contains(string(edited), "# the daemon test's own comment") {
		t.Errorf("secret create lost the file's comments:\n%s", edited)
	}
	edited, err := os.ReadFile(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	good = string(edited)

	// A second daemon on the same state file.
	var out string
	out, errOut, code = w.run("run")
	if code == 0 || !strings.Contains(errOut, "pid "+strconv.Itoa(p.cmd.Process.Pid)) || !strings.Contains(errOut, filepath.Join(w.dir, "state.db")) {
		t.Errorf("second rotatord run: exit %d\n%s%s\nwant a failure naming pid %d and the state file", code, out, errOut, p.cmd.Process.Pid)
	}

	// SIGTERM while a rotation waits on IAM.
	hold := w.fake.Hold("CreateAccessKey")
	select {
	case <-hold.Reached():
	case <-time.After(time.Minute):
		t.Fatal("no rotation reached CreateAccessKey")
	}
	code, took := p.term()
	if code != 0 || took > 5*time.Second {
		t.Errorf("SIGTERM during a rotation: exit %d after %s, want 0 within shutdown_timeout (3s)", code, took)
	}
	hold.Release() // IAM creates the key after all: an orphan unless recovered
	<-hold.Done()

	w.replaceConfig(strings.Replace(good, "@every 1s", "@every 1h", 1)) // no more rotations: only recovery
	p = w.startDaemon()
	deadline := time.Now().Add(time.Minute)
	for {
		out := w.mustRun("status", "/team/new")
		if strings.Contains(out, "state:") && !strings.Contains(out, "open rotation") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the interrupted rotation was not finished:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := p.term(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
	st := w.openStore()
	defer st.Close()
	s, err := st.Get(context.Background(), "/team/new")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range w.fake.Keys("new") {
		if s.ByKeyID(k.ID) == nil {
			t.Errorf("orphan key %s left in IAM", k.ID)
		}
	}
}

// waitOutput polls everything rotatord printed until it contains s.
func (w *world) waitOutput(s string) {
	w.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		w.mu.Lock()
		found := strings.Contains(w.output.String(), s)
		w.mu.Unlock()
		if found {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("rotatord never printed %s", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
