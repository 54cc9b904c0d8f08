package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSignalContext: in this process, the first SIGTERM cancels the
// context and nothing exits; the second calls exit with 143 after one line
// on stderr.
func TestSignalContext(t *testing.T) {
	var mu sync.Mutex
	var stderr strings.Builder
	exited := make(chan int, 1)
	ctx, stop := signalContext(context.Background(), lockedWriter{&mu, &stderr}, func(code int) { exited <- code })
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
		t.Fatal("the first SIGTERM did not cancel the context")
	}
	select {
	case code := <-exited:
		t.Fatalf("the first SIGTERM exited with %d", code)
	default:
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != 143 {
			t.Errorf("the second SIGTERM exited with %d, want 143", code)
		}
	case <-time.After(time.Minute):
		t.Fatal("the second SIGTERM did not exit")
	}
	mu.Lock()
	defer mu.Unlock()
	if got := stderr.String(); strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "rotatord: second SIGTERM: exiting now (status 143)") {
		t.Errorf("stderr %q, want one line about the second SIGTERM", got)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.WriteString(string(p))
}

// TestSecondSignalExits runs the real daemon with a delivery stuck in a
// command sink whose program ignores SIGTERM and SIGINT, with a long
// shutdown_timeout. The first signal starts the graceful shutdown (logged)
// and the daemon keeps waiting; the second ends it within two seconds with
// status 143 (SIGTERM) or 130 (SIGINT) and one line on stderr. The next
// `rotatord run` finishes the open rotation: the sink gets the new key and
// IAM holds no key the store does not know.
func TestSecondSignalExits(t *testing.T) {
	for _, tt := range []struct {
		sig  syscall.Signal
		name string
		code int
	}{{syscall.SIGTERM, "SIGTERM", 143}, {syscall.SIGINT, "SIGINT", 130}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, secretOpts{graceful: true, extra: "    auto_rotate: true\n    rotation_schedule: \"@every 1s\"\n"})
			stuck := w.stuckCommand()
			cfg := w.runSettings("10m") +
				fmt.Sprintf("      - type: command\n        command: [/bin/sh, %s]\n        timeout: 10m\n", stuck.script)
			w.replaceConfig(cfg)

			p := w.startDaemon()
			pid := stuck.wait()
			t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) }) // its own process group
			if err := p.cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			w.waitOutput(`"msg":"stopping"`)
			select {
			case err := <-p.exited:
				t.Fatalf("rotatord exited after one %s (%v) while a delivery was stuck and shutdown_timeout is 10m", tt.name, err)
			default:
			}
			start := time.Now()
			if err := p.cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			var exitErr error
			select {
			case exitErr = <-p.exited:
			case <-time.After(time.Minute):
				t.Fatalf("rotatord still runs a minute after the second %s", tt.name)
			}
			took := time.Since(start)
			t.Logf("exited %s after the second %s: %v", took, tt.name, exitErr)
			var ee *exec.ExitError
			if !errors.As(exitErr, &ee) || ee.ExitCode() != tt.code {
				t.Errorf("the second %s: %v, want exit status %d", tt.name, exitErr, tt.code)
			}
			if took > 2*time.Second {
				t.Errorf("the second %s took %s to end rotatord, want under 2s", tt.name, took)
			}
			w.waitOutput(fmt.Sprintf("rotatord: second %s: exiting now (status %d)", tt.name, tt.code))

			// The program now delivers; the next start finishes the rotation.
			if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			w.write("release", "")
			w.replaceConfig(strings.Replace(cfg, "@every 1s", "@every 1h", 1))
			p = w.startDaemon()
			deadline := time.Now().Add(time.Minute)
			for {
				out := w.mustRun("status", "/team/app")
				if strings.Contains(out, "state:") && !strings.Contains(out, "open rotation") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the rotation cut short was not finished:\n%s", out)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if code, _ := p.term(); code != 0 {
				t.Errorf("exit %d after one SIGTERM with nothing stuck, want 0", code)
			}
			s := w.stored()
			if s.Journal != nil || s.Current().N != 2 {
				t.Fatalf("journal %+v, current version %d after recovery; want a finished rotation to version 2", s.Journal, s.Current().N)
			}
			if got := w.sinkKey(); got.AccessKeyID != s.Current().AccessKeyID {
				t.Errorf("the sink holds %s, want the new current key %s", got.AccessKeyID, s.Current().AccessKeyID)
			}
			if arn, err := w.whoami(w.sinkKey()); err != nil || arn != w.fake.UserARN("app") {
				t.Errorf("the sink's key: %s %v", arn, err)
			}
			for _, k := range w.fake.Keys("app") {
				if s.ByKeyID(k.ID) == nil {
					t.Errorf("orphan key %s left in IAM", k.ID)
				}
			}
		})
	}
}

// stuck is a command sink's program that, until a file "release" exists
// beside it, ignores SIGTERM and SIGINT and sleeps for ten minutes.
type stuck struct {
	w      *world
	script string
}

func (w *world) stuckCommand() *stuck {
	s := &stuck{w: w, script: filepath.Join(w.dir, "stuck.sh")}
	w.write("stuck.sh", fmt.Sprintf(`trap '' TERM INT
[ -e %[1]s/release ] && exit 0
echo $$ > %[1]s/stuck.pid.tmp && mv %[1]s/stuck.pid.tmp %[1]s/stuck.pid
exec sleep 600
`, w.dir))
	return s
}

// wait returns the pid of the stuck program (its process group's id) once
// it runs.
func (s *stuck) wait() int {
	s.w.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		raw, err := os.ReadFile(filepath.Join(s.w.dir, "stuck.pid"))
		if err == nil {
			pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
			if err != nil {
				s.w.t.Fatal(err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			s.w.t.Fatal("the command sink never ran")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
