package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileChain is a template file of 30 defines, each calling the next
// twice: 2^29 calls.
func hostileChain() string {
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "{{define \"t%d\"}}", i)
		if i < 29 {
			fmt.Fprintf(&b, "{{template \"t%d\" .}}{{template \"t%d\" .}}", i+1, i+1)
		} else {
			b.WriteString("{{.AccessKeyID}}")
		}
		b.WriteString("{{end}}\n")
	}
	return b.String() + "KEY={{template \"t0\" .}}\n"
}

// TestTemplateReloadHostile gives a running daemon hostile templates by
// rewriting its configuration: nested huge ranges, a huge printf width, a
// template that calls itself, a chain of defines that calls the last one
// 2^29 times, strings that double 40 times. Each reload is refused with
// the configuration's file and line, the running configuration stays: a
// rotation still delivers through the old template, and SIGTERM ends the
// daemon within shutdown_timeout.
func TestTemplateReloadHostile(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true, extra: "    auto_rotate: true\n    rotation_schedule: \"@every 1s\"\n"})
	w.write("chain.tmpl", hostileChain())
	prefix := w.runSettings("3s") +
		"      - type: file\n        path: app.conf\n        format: template\n"
	line := strings.Count(prefix, "\n") + 1 // the template's line
	good := prefix + "        template: \"KEY={{.SecretAccessKey}}\\n\"\n"
	w.replaceConfig(good)
	p := w.startDaemon()
	// Once the daemon handled a SIGHUP, it follows the file.
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.waitReload(0, time.Minute); !ok {
		t.Fatal("no reload after SIGHUP")
	}

	hostile := []struct{ name, yaml, want string }{
		{"nested huge ranges", "        template: '{{range 100000000}}{{range 100000000}}x{{end}}{{end}}'\n",
			fmt.Sprintf("rotatord.yaml:%d:19: secrets[0].sinks[1].template: goes past a limit of templates: line 1, col 8: range is not allowed", line)},
		{"huge printf width", "        template: 'KEY={{printf \"%999999999s\" .SecretAccessKey}}'\n",
			fmt.Sprintf("rotatord.yaml:%d:19: secrets[0].sinks[1].template: goes past a limit of templates: line 1, col 6: printf: a width or precision of 999999999 is over the limit of 256", line)},
		{"a define that calls itself", "        template: '{{define \"r\"}}{{.Version}}{{template \"r\" .}}{{end}}{{template \"r\" .}}'\n",
			fmt.Sprintf("rotatord.yaml:%d:19: secrets[0].sinks[1].template: goes past a limit of templates: line 1, col 37: {{template \"r\"}} calls a template that is running: recursion is not allowed", line)},
		{"exponential chain", "        template_file: chain.tmpl\n",
			fmt.Sprintf("rotatord.yaml:%d:24: secrets[0].sinks[1].template_file: %s goes past a limit of templates: line 20, col 47: here \"t19\" runs more than 10000 steps", line, filepath.Join(w.dir, "chain.tmpl"))},
		{"doubling strings", "        template: '{{$x := printf \"%s%s\" .SecretAccessKey .SecretAccessKey}}" + strings.Repeat("{{$x = printf \"%s%s\" $x $x}}", 40) + "{{$x}}'\n",
			fmt.Sprintf("rotatord.yaml:%d:19: secrets[0].sinks[1].template: does not render: line 1, col ", line)},
	}
	for _, h := range hostile {
		before := w.reloads()
		w.replaceConfig(prefix + h.yaml)
		out, ok := w.waitReload(before, 20*time.Second)
		switch {
		case !ok:
			t.Errorf("%s: the daemon did not finish reloading within 20s", h.name)
		case !strings.Contains(out, "configuration reload failed"):
			t.Errorf("%s: the reload was not refused:\n%s", h.name, out)
		case !strings.Contains(reloadErrors(out), h.want):
			t.Errorf("%s: the reload was refused with\n%s\nwant %q", h.name, out, h.want)
		}
	}

	// The old template still delivers, on workers that no template holds.
	series := `rotatord_rotations_total{result="success",secret="/team/app"}`
	done := p.metric(series)
	for deadline := time.Now().Add(30 * time.Second); p.metric(series) <= done; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("no rotation within 30s with the hostile configuration on disk; log:\n%s", w.output.String())
			break
		}
	}
	if got, _ := os.ReadFile(filepath.Join(w.dir, "app.conf")); !strings.HasPrefix(string(got), "KEY=") || len(got) != len("KEY=")+40+1 {
		t.Errorf("app.conf after the rotation: %d bytes, want KEY= and a key", len(got))
	}

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if took := time.Since(start); err != nil || took > 5*time.Second {
			t.Errorf("SIGTERM: exit %v after %s, want 0 within shutdown_timeout (3s)", err, took)
		}
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Errorf("rotatord did not exit within 10s of SIGTERM (shutdown_timeout 3s)")
	}
}

// reloadErrors returns the errors of a log line of a refused reload, one
// a line.
func reloadErrors(line string) string {
	var m struct{ Errors []string }
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		return ""
	}
	return strings.Join(m.Errors, "\n")
}

// reloads counts the reloads the daemon has logged, done or refused.
func (w *world) reloads() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.output.String()
	return strings.Count(out, `"msg":"configuration reloaded"`) + strings.Count(out, `"msg":"configuration reload failed`)
}

// waitReload waits until the daemon logged a reload after the before-th,
// and returns that log line.
func (w *world) waitReload(before int, within time.Duration) (string, bool) {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if w.reloads() <= before {
			continue
		}
		w.mu.Lock()
		lines := strings.Split(w.output.String(), "\n")
		w.mu.Unlock()
		n := 0
		for _, l := range lines {
			if strings.Contains(l, `"msg":"configuration reloaded"`) || strings.Contains(l, `"msg":"configuration reload failed`) {
				if n++; n == before+1 {
					return l, true
				}
			}
		}
	}
	return "", false
}
