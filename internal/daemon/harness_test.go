package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/awsfake/awsfaketest"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/state"
	"github.com/rotatord/rotatord/internal/testlog"
)

// t0 is when every daemon test starts: a Wednesday, 10:00 UTC.
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// world is awsfake, a configuration directory and a daemon driven by a
// Manual runner: the schedule moves only when the test advances its clock.
type world struct {
	t      *testing.T
	fake   *awsfaketest.Server
	url    string
	dir    string
	cfg    string
	clock  *schedule.Manual
	admin  aws.Credentials
	users  map[string]aws.Credentials
	logs   *testlog.Buffer
	d      *Daemon
	cancel context.CancelFunc
	done   chan error
	notes  *testlog.Buffer // sd_notify messages
	socket string
}

func newWorld(t *testing.T, opts ...awsfake.Option) *world {
	t.Helper()
	clock := schedule.NewManual(t0)
	fake, url := awsfaketest.Start(t, append([]awsfake.Option{awsfake.WithClock(clock.Now)}, opts...)...)
	sock, err := os.MkdirTemp("", "rd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sock) })
	w := &world{t: t, fake: fake, url: url, dir: t.TempDir(), clock: clock, users: map[string]aws.Credentials{},
		logs: &testlog.Buffer{}, notes: &testlog.Buffer{}}
	w.cfg = filepath.Join(w.dir, "rotatord.yaml")
	w.admin = fake.SeedUser("admin", true)
	key, err := state.NewProtectionKey()
	if err != nil {
		t.Fatal(err)
	}
	w.file("protection.key", key)
	w.file("admin.secret", w.admin.SecretAccessKey)
	w.socket = filepath.Join(sock, "c.sock")
	t.Cleanup(func() {
		if u := fake.Unhandled(); len(u) > 0 {
			t.Errorf("awsfake got requests it does not handle: %v", u)
		}
		for _, u := range w.users {
			if strings.Contains(w.logs.String(), u.SecretAccessKey) {
				t.Errorf("a secret access key appears in the daemon's log")
			}
		}
	})
	return w
}

func (w *world) file(name, content string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// user seeds an IAM user with one key, whose secret goes to NAME.secret.
func (w *world) user(name string) aws.Credentials {
	k := w.fake.SeedUser(name, false)
	w.users[name] = k
	w.file(name+".secret", k.SecretAccessKey)
	return k
}

// header is the configuration's fixed part: state, listeners, target.
func (w *world) header(extra string) string {
	return fmt.Sprintf(`version: 1
state:
  path: state.db
  protection_key_file: protection.key
workers: 4
listen: 127.0.0.1:0
control_socket: %s
shutdown_timeout: 2s
%stargets:
  - name: prod
    endpoint: %s
    access_key_id: %s
    secret_access_key_file: admin.secret
    rate_limit: 1000
secrets:
`, w.socket, extra, w.url, w.admin.AccessKeyID)
}

// secretYAML is a graceful use-user-creds secret for user u with a file
// sink u.ini; more holds further fields, one per line.
func (w *world) secretYAML(u string, more ...string) string {
	k := w.users[u]
	s := fmt.Sprintf(`  - name: /app/%s
    target: prod
    authentication_credentials: use-user-creds
    access_key_id: %s
    secret_access_key_file: %s.secret
    verify_timeout: 5s
`, u, k.AccessKeyID, u)
	for _, m := range more {
		s += "    " + m + "\n"
	}
	return s + fmt.Sprintf("    sinks:\n      - {type: file, path: %s.ini, profile: %s}\n", u, u)
}

// start runs the daemon on the configuration text until the test ends.
func (w *world) start(cfg string, mods ...func(*Options)) {
	w.t.Helper()
	w.file("rotatord.yaml", cfg)
	ready := make(chan *Daemon, 1)
	o := Options{
		ConfigPath: w.cfg,
		Logger:     slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Runner:     w.clock,
		Now:        w.clock.Now,
		Rotator: iamrotate.Options{
			Sleep:     func(ctx context.Context, d time.Duration) error { return ctx.Err() },
			RetryBase: time.Millisecond, RetryMax: time.Millisecond,
		},
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 12
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
				o.RateLimiter = ratelimit.None
			})
		},
		Notify:  func(s string) { _, _ = w.notes.Write([]byte(s + "\n")) },
		Ready:   func(d *Daemon) { ready <- d },
		NoWatch: true,
	}
	for _, m := range mods {
		m(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan error, 1)
	go func() { w.done <- Run(ctx, o) }()
	select {
	case w.d = <-ready:
	case err := <-w.done:
		cancel()
		w.t.Fatalf("daemon did not start: %v\n%s", err, w.logs.String())
	case <-time.After(time.Minute):
		w.t.Fatal("daemon did not start within a minute")
	}
	w.t.Cleanup(func() { w.stop() })
}

// stop ends the daemon and returns Run's result (once).
func (w *world) stop() error {
	if w.cancel == nil {
		return nil
	}
	w.cancel()
	w.cancel = nil
	select {
	case err := <-w.done:
		return err
	case <-time.After(time.Minute):
		w.t.Fatal("daemon did not stop within a minute")
		return nil
	}
}

// idle waits until no job is queued or running.
func (w *world) idle() {
	w.t.Helper()
	eventually(w.t, "the worker pool to drain", func() bool {
		q, r := w.d.pool.counts()
		return q == 0 && r == 0
	})
}

// advance moves the clock to t and waits for the jobs it started.
func (w *world) advance(t time.Time) {
	w.t.Helper()
	w.clock.Advance(t)
	w.idle()
}

func (w *world) state(name string) *state.Secret {
	w.t.Helper()
	st, err := w.d.store.Get(context.Background(), name)
	if err != nil {
		w.t.Fatalf("state of %s: %v", name, err)
	}
	return st
}

// next is the secret's scheduled next rotation.
func (w *world) next(name string) time.Time {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	if e := w.d.entries[name]; e != nil {
		return e.next
	}
	return time.Time{}
}

// eventually polls cond until it holds, failing the test after a minute.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// whoami checks that a key authenticates.
func (w *world) whoami(k aws.Credentials) (string, error) {
	return awsfake.Whoami(context.Background(), w.url, k)
}
