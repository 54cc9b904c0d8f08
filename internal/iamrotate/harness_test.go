package iamrotate

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/sink"
	"github.com/rotatord/rotatord/internal/sink/file"
	"github.com/rotatord/rotatord/internal/state"
	"github.com/rotatord/rotatord/internal/testlog"
)

// fakeClock is shared by awsfake and the rotator: Sleep advances it, so a
// key that propagates after 5 s verifies after retries in no real time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return nil
}

// env is one test's world: awsfake with a privileged target user "admin"
// and an application user "app", a bbolt store, a file sink, captured logs.
type env struct {
	t      testing.TB
	fake   *awsfake.Server
	url    string
	clock  *fakeClock
	store  *state.Bolt
	rot    *Rotator
	logs   *testlog.Buffer
	admin  aws.Credentials
	app    aws.Credentials
	dir    string
	sink   string
	seen   map[string]bool // every secret access key of the test, for leak scans
	errors []string        // every error text a rotation returned
}

func newEnv(t testing.TB) *env {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)}
	fake, url := awsfake.Start(t, awsfake.WithClock(clock.Now))
	e := &env{t: t, fake: fake, url: url, clock: clock, logs: &testlog.Buffer{}, dir: t.TempDir(), seen: map[string]bool{}}
	e.admin = fake.SeedUser("admin", true)
	e.app = fake.SeedUser("app", false)
	e.remember(e.admin.SecretAccessKey, e.app.SecretAccessKey)
	e.sink = filepath.Join(e.dir, "credentials")
	st, err := state.Open(filepath.Join(e.dir, "state.db"), bytes.Repeat([]byte{7}, 32), state.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = st
	e.rot = New(st, Options{
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    clock.Now, Sleep: clock.Sleep,
	})
	t.Cleanup(e.scanForLeaks)
	t.Cleanup(func() {
		if u := fake.Unhandled(); len(u) > 0 {
			t.Errorf("awsfake got requests it does not handle: %v", u)
		}
	})
	return e
}

func (e *env) remember(secrets ...string) {
	for _, s := range secrets {
		if s != "" {
			e.seen[s] = true
		}
	}
}

// awsConfig is the target's AWS configuration, built explicitly (never from
// this machine's AWS_* environment) with the SDK's standard retryer.
func (e *env) awsConfig() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(e.url),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 4
				o.MaxBackoff = 50 * time.Millisecond
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

// secretConfig is a graceful use-user-creds api-key secret for "app" with
// one file sink; mods adjust it.
func (e *env) secretConfig(mods ...func(*config.RotatedSecret)) *config.RotatedSecret {
	c := &config.RotatedSecret{
		Name: "/team/app", Target: "prod",
		AuthenticationCredentials: config.UseUserCreds, RotatorType: config.RotatorAPIKey,
		AccessKeyID: e.app.AccessKeyID, SecretAccessKey: config.SecretValue(e.app.SecretAccessKey),
		GraceRotation: true, VerifyTimeout: config.Duration(60 * time.Second),
		GraceTiming: config.GraceTimingAfter, Retire: config.RetireDelete, MaxVersions: 10,
		CatchUp: config.CatchUpNextHour,
		Sinks:   []config.Sink{{Type: file.Type, Spec: &file.Config{Path: e.sink, Format: file.FormatAWSCredentials, Profile: "app", Mode: 0o600}}},
	}
	for _, m := range mods {
		m(c)
	}
	return c
}

func (e *env) spec(c *config.RotatedSecret) Spec {
	e.t.Helper()
	s := Spec{
		Config: c, AWS: e.awsConfig(),
		TargetCredentials: credentials.NewStaticCredentialsProvider(e.admin.AccessKeyID, e.admin.SecretAccessKey, ""),
		Bootstrap:         Key{ID: c.AccessKeyID, Secret: c.SecretAccessKey},
	}
	for _, sc := range c.Sinks {
		f, err := file.New(*sc.Spec.(*file.Config))
		if err != nil {
			e.t.Fatal(err)
		}
		s.Sinks = append(s.Sinks, Destination{ID: sink.ID(sc), Sink: f})
	}
	return s
}

// rotate runs one rotation an hour after the last one and records every
// secret and error it produced.
func (e *env) rotate(s Spec) (*Result, error) {
	_ = e.clock.Sleep(context.Background(), time.Hour)
	res, err := e.rot.Rotate(context.Background(), s, true)
	if err != nil {
		e.errors = append(e.errors, err.Error())
	}
	if st, gerr := e.store.Get(context.Background(), s.Config.Name); gerr == nil {
		for _, v := range st.Versions {
			e.remember(v.Value.Reveal())
		}
	}
	return res, err
}

func (e *env) mustRotate(s Spec) *Result {
	e.t.Helper()
	res, err := e.rotate(s)
	if err != nil {
		e.t.Fatalf("rotate: %v", err)
	}
	return res
}

func (e *env) state(name string) *state.Secret {
	e.t.Helper()
	st, err := e.store.Get(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// keyIDs lists a user's key ids in IAM, oldest first.
func (e *env) keyIDs(user string) []string {
	var ids []string
	for _, k := range e.fake.Keys(user) {
		ids = append(ids, k.ID)
	}
	return ids
}

// whoami calls STS GetCallerIdentity signed with the key: the real check
// that a key works.
func (e *env) whoami(id, secret string) (string, error) {
	return awsfake.Whoami(context.Background(), e.url, aws.Credentials{AccessKeyID: id, SecretAccessKey: secret})
}

func (e *env) wantWorks(id, secret, user string) {
	e.t.Helper()
	arn, err := e.whoami(id, secret)
	if err != nil {
		e.t.Fatalf("key %s should authenticate: %v", id, err)
	}
	if want := e.fake.UserARN(user); arn != want {
		e.t.Fatalf("key %s authenticates as %s, want %s", id, arn, want)
	}
}

func (e *env) wantRejected(id, secret string) {
	e.t.Helper()
	_, err := e.whoami(id, secret)
	if code := apiCode(err); code != "InvalidClientTokenId" {
		e.t.Fatalf("key %s: got error %v (code %q), want InvalidClientTokenId", id, err, code)
	}
}

// sinkKey reads the sink file the way the AWS SDK does.
func (e *env) sinkKey(profile string) aws.Credentials {
	e.t.Helper()
	sc, err := awsconfig.LoadSharedConfigProfile(context.Background(), profile, func(o *awsconfig.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{e.sink}
		o.ConfigFiles = []string{}
	})
	if err != nil {
		e.t.Fatalf("read sink profile %s: %v", profile, err)
	}
	return sc.Credentials
}

// secretRun is a maximal run of the characters of a secret access key; a
// run of exactly 40 with upper and lower case letters and digits is shaped
// like one.
var secretRun = regexp.MustCompile(`[A-Za-z0-9+/]+`)

// tempPath is a path under the temporary directory, where the tests'
// sinks write: "/tmp/TestAWSDone2871236512/001/app" is a run of 40 such
// characters too, with both cases and digits.
var tempPath = regexp.MustCompile(regexp.QuoteMeta(os.TempDir()) + `/[A-Za-z0-9_./-]*`)

func secretShaped(out string) string {
	out = tempPath.ReplaceAllString(out, "TEMPPATH")
	for _, m := range secretRun.FindAllString(out, -1) {
		if len(m) == 40 && strings.ContainsAny(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
			strings.ContainsAny(m, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(m, "0123456789") {
			return m
		}
	}
	return ""
}

// scanForLeaks fails the test if any secret access key appears in the logs
// or in an error, by value or by shape.
func (e *env) scanForLeaks() {
	out := e.logs.String() + "\n" + strings.Join(e.errors, "\n")
	for s := range e.seen {
		if strings.Contains(out, s) {
			e.t.Errorf("a secret access key appears in the logs or errors")
		}
	}
	if m := secretShaped(out); m != "" {
		e.t.Errorf("something shaped like a secret access key appears in the logs or errors: %.6s…", m)
	}
}

// TestSecretShaped: the leak scan finds a key's shape, and not a temporary
// path's.
func TestSecretShaped(t *testing.T) {
	key := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	if secretShaped("aws_secret_access_key = "+key) != key {
		t.Errorf("a secret access key in a log line is not found")
	}
	path := os.TempDir() + "/TestAWSDone2871236512/001/app"
	if m := secretShaped("wrote " + path); m != "" {
		t.Errorf("the temporary path %s is taken for a key (%s)", path, m)
	}
}
