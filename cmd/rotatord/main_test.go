package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/awsfake/awsfaketest"
	"github.com/rotatord/rotatord/internal/state"
)

// binary is the rotatord binary the end-to-end tests run, built once by
// TestMain with the failpoints armed (and -race when the tests run with it),
// its version, commit and date set by -ldflags as a release build's are
// (linkedBuild, checked by TestVersion).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rotatord-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "rotatord")
	args := []string{"build", "-tags", "failpoints", "-o", binary, "-ldflags", linkedBuild}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build rotatord for the end-to-end tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// world is awsfake with a privileged "admin" user and an application user
// "app", plus a configuration directory for one secret /team/app.
type world struct {
	t     *testing.T
	fake  *awsfaketest.Server
	url   string
	dir   string
	cfg   string
	admin aws.Credentials
	app   aws.Credentials
	// newUser is a second user, for tests that add a secret.
	newUser aws.Credentials
	// output collects everything every rotatord run printed, scanned for
	// secrets at the end of the test.
	mu     sync.Mutex
	output bytes.Buffer
	keyB64 string
	dynamo bool // the state is in awsfake's DynamoDB table "rotatord"
}

type secretOpts struct {
	graceful bool
	auth     string
	extra    string // more YAML lines for the secret
	sink     string // the sink file, relative to the world's directory (default "credentials")
	// dynamo keeps the state in the DynamoDB table "rotatord" of awsfake
	// (created here), reached through target prod, with 5s leases.
	dynamo bool
}

func newWorld(t *testing.T, o secretOpts) *world {
	t.Helper()
	fake, url := awsfaketest.Start(t)
	w := &world{t: t, fake: fake, url: url, dir: t.TempDir()}
	w.admin = fake.SeedUser("admin", true)
	w.app = fake.SeedUser("app", false)
	key, err := state.NewProtectionKey()
	if err != nil {
		t.Fatal(err)
	}
	w.keyB64 = key
	if o.auth == "" {
		o.auth = "use-user-creds"
	}
	if o.sink == "" {
		o.sink = "credentials"
	}
	w.write("protection.key", key)
	w.write("admin.secret", w.admin.SecretAccessKey+"\n")
	w.write("app.secret", w.app.SecretAccessKey+"\n")
	stateYAML := "  path: state.db\n"
	if o.dynamo {
		stateYAML = "  backend: dynamodb\n  table: rotatord\n  target: prod\n  lease_duration: 5s\n"
		w.dynamo = true
		if _, err := state.InitDynamoTable(context.Background(), w.awsConfig(), "rotatord"); err != nil {
			t.Fatal(err)
		}
	}
	w.write("rotatord.yaml", fmt.Sprintf(`version: 1
state:
%s  protection_key_file: protection.key
targets:
  - name: prod
    region: us-east-1
    endpoint: %s
    access_key_id: %s
    secret_access_key_file: admin.secret
secrets:
  - name: /team/app
    target: prod
    authentication_credentials: %s
    rotator_type: api-key
    access_key_id: %s
    secret_access_key_file: app.secret
    grace_rotation: %v
    verify_timeout: 10s
%s    sinks:
      - type: file
        path: %s
        format: aws-credentials
        profile: app
`, stateYAML, url, w.admin.AccessKeyID, o.auth, w.app.AccessKeyID, o.graceful, o.extra, o.sink))
	w.cfg = filepath.Join(w.dir, "rotatord.yaml")
	t.Cleanup(w.scan)
	t.Cleanup(func() {
		if u := fake.Unhandled(); len(u) > 0 {
			t.Errorf("awsfake got requests it does not handle: %v", u)
		}
	})
	return w
}

func (w *world) write(name, content string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// env is the subprocess environment: this machine's, without any AWS_*
// variable, so that only the configuration decides where calls go.
func env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "ROTATORD_") && !strings.HasPrefix(kv, "GORACE=") {
			out = append(out, kv)
		}
	}
	// A -race binary otherwise sleeps a second at exit.
	out = append(out, "GORACE=atexit_sleep_ms=0")
	return append(out, extra...)
}

// run runs rotatord to completion and returns its stdout, stderr and exit
// code.
func (w *world) run(args ...string) (stdout, stderr string, code int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"-c", w.cfg, "--log-format", "json"}, args...)...)
	cmd.Env = env()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	w.record(o.String(), e.String())
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return o.String(), e.String(), ee.ExitCode()
		}
		w.t.Fatalf("run rotatord %v: %v", args, err)
	}
	return o.String(), e.String(), 0
}

func (w *world) mustRun(args ...string) string {
	w.t.Helper()
	out, errOut, code := w.run(args...)
	if code != 0 {
		w.t.Fatalf("rotatord %v exited %d:\n%s%s", args, code, out, errOut)
	}
	return out
}

func (w *world) record(s ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, x := range s {
		w.output.WriteString(x)
		w.output.WriteByte('\n')
	}
}

// killAt starts `rotatord rotate` with the failpoint armed, waits until
// the process reports it reached it, and SIGKILLs it there.
func (w *world) killAt(point string, args ...string) {
	w.t.Helper()
	cmd := exec.Command(binary, append([]string{"-c", w.cfg, "--log-format", "json"}, args...)...)
	cmd.Env = env("ROTATORD_FAILPOINT=" + point)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	reached := make(chan bool, 1)
	var log bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if sc.Text() == "failpoint "+point+" reached" {
				reached <- true
				_, _ = io.Copy(io.Discard, stderr)
				return
			}
		}
		reached <- false
	}()
	select {
	case ok := <-reached:
		if !ok {
			_ = cmd.Wait()
			w.record(out.String(), log.String())
			w.t.Fatalf("rotatord exited before failpoint %s:\n%s", point, log.String())
		}
	case <-time.After(time.Minute):
		w.t.Fatalf("failpoint %s not reached within a minute", point)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		w.t.Fatal(err)
	}
	err = cmd.Wait()
	w.record(out.String(), log.String())
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		w.t.Fatalf("rotatord was not killed by SIGKILL: %v", err)
	}
}

// openStore opens the state file of a world whose rotatord has exited.
func (w *world) openStore() *state.Bolt {
	w.t.Helper()
	key, err := state.ParseProtectionKey(w.keyB64)
	if err != nil {
		w.t.Fatal(err)
	}
	st, err := state.Open(filepath.Join(w.dir, "state.db"), key)
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// awsConfig reaches awsfake as the admin user.
func (w *world) awsConfig() aws.Config {
	return aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(w.url),
		Credentials: credentials.NewStaticCredentialsProvider(w.admin.AccessKeyID, w.admin.SecretAccessKey, ""),
	}
}

// testStore is what the tests read and write of a store, whichever
// backend.
type testStore interface {
	state.Reader
	state.Updater
	state.AuditLog
	io.Closer
}

// store opens the world's store: the state file (of a world whose
// rotatord has exited) or the DynamoDB table.
func (w *world) store() testStore {
	w.t.Helper()
	if !w.dynamo {
		return w.openStore()
	}
	key, err := state.ParseProtectionKey(w.keyB64)
	if err != nil {
		w.t.Fatal(err)
	}
	st, err := state.OpenDynamo(context.Background(), w.awsConfig(), "rotatord", key)
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// stored returns the secret's state as the store holds it.
func (w *world) stored() *state.Secret {
	w.t.Helper()
	st := w.store()
	defer st.Close()
	s, err := st.Get(context.Background(), "/team/app")
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// sinkKey reads the sink file as the AWS SDK does.
func (w *world) sinkKey() aws.Credentials {
	w.t.Helper()
	sc, err := awsconfig.LoadSharedConfigProfile(context.Background(), "app", func(o *awsconfig.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{filepath.Join(w.dir, "credentials")}
		o.ConfigFiles = []string{}
	})
	if err != nil {
		w.t.Fatalf("read the sink: %v", err)
	}
	return sc.Credentials
}

// scanStore opens the store for scan, or returns nil.
func (w *world) scanStore() testStore {
	key, err := state.ParseProtectionKey(w.keyB64)
	if err != nil {
		return nil
	}
	if w.dynamo {
		st, err := state.OpenDynamo(context.Background(), w.awsConfig(), "rotatord", key)
		if err != nil {
			return nil
		}
		return st
	}
	st, err := state.Open(filepath.Join(w.dir, "state.db"), key)
	if err != nil {
		return nil
	}
	return st
}

// whoami signs sts:GetCallerIdentity with the key.
func (w *world) whoami(k aws.Credentials) (string, error) {
	return awsfake.Whoami(context.Background(), w.url, k)
}

// scan fails the test if any secret access key of the world appears in
// anything rotatord printed.
func (w *world) scan() {
	secrets := []string{w.admin.SecretAccessKey, w.app.SecretAccessKey}
	if s := w.scanStore(); s != nil {
		all, _ := s.List(context.Background())
		for _, sec := range all {
			for _, v := range sec.Versions {
				secrets = append(secrets, v.Value.Reveal())
			}
		}
		s.Close()
	}
	if raw, err := os.ReadFile(filepath.Join(w.dir, "credentials")); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "aws_secret_access_key" {
				secrets = append(secrets, strings.TrimSpace(v))
			}
		}
	}
	w.mu.Lock()
	out := w.output.String()
	w.mu.Unlock()
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			w.t.Errorf("a secret access key appears in rotatord's output")
		}
	}
	if strings.Contains(out, strings.TrimSpace(w.keyB64)) {
		w.t.Errorf("the protection key appears in rotatord's output")
	}
}
