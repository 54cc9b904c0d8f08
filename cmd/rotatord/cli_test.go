package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/state"
)

// fixtureEnv mirrors config's golden test: the variables two fixtures use.
var fixtureEnv = map[string][]string{
	"testdata/broken/protection-key-not-base64.yaml": {"ROTATORD_PROTECTION_KEY=bm90IGEga2V5!!"},
	"testdata/valid/full.yaml": {"ROTATORD_STAGING_SECRET=fakeStagingEnvSecretAccessKey/000000005",
		"ROTATORD_NOTIFY_URL=https://hooks.example.com/services/fake-notify-token-0006"},
}

// TestValidateGoldens runs `rotatord validate` on every fixture under
// testdata/ and compares what it prints with the golden file; broken ones
// exit 2 and every error line carries a line and a column.
func TestValidateGoldens(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for pattern, mode := range map[string]os.FileMode{"testdata/secrets/*": 0o600, "testdata/*/*.yaml": 0o644} {
		files, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, f := range files {
			if err := os.Chmod(f, mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(root, "testdata/*/*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	broken := 0
	for _, abs := range files {
		f, _ := filepath.Rel(root, abs)
		isBroken := strings.HasPrefix(f, "testdata/broken/")
		if isBroken {
			broken++
		}
		t.Run(strings.TrimPrefix(f, "testdata/"), func(t *testing.T) {
			cmd := exec.Command(binary, "validate", "-c", f)
			cmd.Dir = root
			cmd.Env = env(fixtureEnv[f]...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(root, strings.TrimSuffix(f, ".yaml")+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			if got := stderr.String(); got != string(want) {
				t.Errorf("validate printed:\n%s\nwant (golden):\n%s", got, want)
			}
			if wantCode := map[bool]int{true: exitUsage, false: exitOK}[isBroken]; code != wantCode {
				t.Errorf("exit code %d, want %d", code, wantCode)
			}
			if isBroken {
				lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
				for _, l := range lines[:len(lines)-1] {
					if !strings.HasPrefix(l, "warning: ") && !positioned(l) {
						t.Errorf("error line without line and column: %q", l)
					}
				}
			}
		})
	}
	if broken < 20 {
		t.Errorf("%d broken fixtures, want at least 20", broken)
	}
}

// positioned reports whether an error line starts FILE:LINE:COL: (a YAML
// file that cannot be read at all has no position).
func positioned(l string) bool {
	file, rest, ok := strings.Cut(l, ".yaml:")
	if !ok || file == "" {
		return false
	}
	parts := strings.SplitN(rest, ":", 3)
	return len(parts) == 3 && parts[0] != "" && parts[1] != "" &&
		strings.Trim(parts[0], "0123456789") == "" && strings.Trim(parts[1], "0123456789") == ""
}

// TestValidatePrintRedacts: --print shows the effective configuration with
// defaults and never a secret.
func TestValidatePrintRedacts(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true})
	out := w.mustRun("validate", "--print")
	for _, want := range []string{"workers: 8", "verify_timeout: 10s", "secret_access_key_file:", "max_versions: 10"} {
		if !strings.Contains(out, want) {
			t.Errorf("--print output lacks %q:\n%s", want, out)
		}
	}
}

// TestCommandsShowNoSecrets: list, history and get print key ids, states
// and times, never a secret access key; get --reveal prints exactly the
// stored one; the raw state file holds no secret in plain text.
func TestCommandsShowNoSecrets(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true})
	if out := w.mustRun("list"); !strings.Contains(out, "/team/app") || !strings.Contains(out, "new") {
		t.Errorf("list before any rotation:\n%s", out)
	}
	for i := 0; i < 3; i++ {
		w.mustRun("rotate", "/team/app")
	}
	s := w.stored()
	cur := s.Current()
	list := w.mustRun("list")
	if !strings.Contains(list, cur.AccessKeyID) || !strings.Contains(list, " ok ") {
		t.Errorf("list does not show the current key %s as ok:\n%s", cur.AccessKeyID, list)
	}
	hist := w.mustRun("history", "team/app")
	for _, want := range []string{"rotation.finished", "key.deleted", "sink.delivered", s.Previous().AccessKeyID} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}
	get := w.mustRun("get", "/team/app")
	if !strings.Contains(get, cur.AccessKeyID) || !strings.Contains(get, "[redacted]") {
		t.Errorf("get:\n%s", get)
	}
	old := w.mustRun("get", "/team/app", "--version", "1")
	if !strings.Contains(old, w.app.AccessKeyID) || !strings.Contains(old, "not kept") {
		t.Errorf("get --version 1 (retired):\n%s", old)
	}
	reveal, _, code := w.run("get", "/team/app", "--reveal")
	if code != 0 || !strings.Contains(reveal, cur.Value.Reveal()) {
		t.Errorf("get --reveal exited %d and does not print the stored value", code)
	}
	w.mu.Lock()
	w.output.Reset() // --reveal printed the secret on purpose; drop it before the scan
	w.output.WriteString(list + hist + get + old)
	w.mu.Unlock()

	raw, err := os.ReadFile(filepath.Join(w.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range append([]string{w.app.SecretAccessKey, w.admin.SecretAccessKey}, cur.Value.Reveal(), s.Previous().Value.Reveal()) {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), hex.EncodeToString([]byte(v))} {
			if bytes.Contains(raw, []byte(form)) {
				t.Fatalf("the state file holds a secret access key in plain text")
			}
		}
	}
}

// TestWrongProtectionKey: a store opened with another protection key fails
// with a message that names the key file and says what to do.
func TestWrongProtectionKey(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true})
	w.mustRun("rotate", "/team/app")
	orig := w.keyB64
	other, err := state.NewProtectionKey()
	if err != nil {
		t.Fatal(err)
	}
	w.write("protection.key", other)
	_, stderr, code := w.run("list")
	if code != exitFailed || !strings.Contains(stderr, "protection.key") || !strings.Contains(stderr, "does not match") {
		t.Errorf("exit %d, stderr:\n%s\nwant a failure naming protection.key and the mismatch", code, stderr)
	}
	w.write("protection.key", orig)
	w.mustRun("list")
}

// TestSecondProcessNamesHolder: while one rotatord holds the state file, a
// second fails at once with a message naming the file and the holder's pid.
func TestSecondProcessNamesHolder(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true})
	cmd := exec.Command(binary, "-c", w.cfg, "--log-format", "json", "rotate", "/team/app")
	cmd.Env = env("ROTATORD_FAILPOINT=verified")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	buf := make([]byte, 0, 4096)
	deadline := time.Now().Add(time.Minute)
	for !bytes.Contains(buf, []byte("failpoint verified reached")) {
		if time.Now().After(deadline) {
			t.Fatal("failpoint not reached")
		}
		chunk := make([]byte, 1024)
		n, err := stderr.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if err != nil {
			t.Fatalf("rotatord ended before the failpoint: %s", buf)
		}
	}
	w.record(string(buf))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	second := exec.CommandContext(ctx, binary, "-c", w.cfg, "list")
	second.Env = env()
	out, err := second.CombinedOutput()
	w.record(string(out))
	if err == nil {
		t.Fatalf("second process succeeded:\n%s", out)
	}
	for _, want := range []string{filepath.Join(w.dir, "state.db"), "pid " + strconv.Itoa(cmd.Process.Pid), "rotatord rotate"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("message lacks %q:\n%s", want, out)
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the second process took %s to fail; want at once", took)
	}
}

// TestDeliveryPendingExitCode: a sink that cannot take the new key leaves
// the rotation open (exit 3, both keys valid, strict mode included); once
// the sink can, the same command finishes it.
func TestDeliveryPendingExitCode(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: false, sink: "later/credentials"})
	_, stderr, code := w.run("rotate", "/team/app")
	if code != exitPending || !strings.Contains(stderr, "both keys stay valid") {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 3 saying both keys stay valid", code, stderr)
	}
	if _, err := w.whoami(w.app); err != nil {
		t.Fatalf("the old key stopped working while delivery is pending: %v", err)
	}
	if list := w.mustRun("list"); !strings.Contains(list, "delivering") {
		t.Errorf("list does not show the rotation delivering:\n%s", list)
	}
	if err := os.Mkdir(filepath.Join(w.dir, "later"), 0o700); err != nil {
		t.Fatal(err)
	}
	out := w.mustRun("rotate", "/team/app")
	if !strings.Contains(out, "finished the open rotation") {
		t.Errorf("rerun printed %q, want it to finish the open rotation", out)
	}
	if _, err := w.whoami(w.app); err == nil {
		t.Errorf("strict mode: the old key still works after the rotation finished")
	}
	if n := w.fake.Calls("CreateAccessKey"); n != 1 {
		t.Errorf("CreateAccessKey called %d times, want 1", n)
	}
}

// TestUsageErrors: bad command lines exit 2 and say what to do.
func TestUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"rotate"}, "needs one secret name"},
		{[]string{"get", "a", "b"}, "needs one secret name"},
		{[]string{"list", "extra"}, `folder "extra" does not start with /`},
		{[]string{"list", "--bogus"}, "unknown flag"},
		{[]string{"--log-format", "xml", "list"}, "--log-format"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("rotatord %v: exit %d, stderr %q; want exit %d saying %q", tt.args, code, stderr.String(), exitUsage, tt.want)
		}
	}
}
