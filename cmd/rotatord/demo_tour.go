// The demo shows rotatord at work without an AWS account: it starts the
// built-in AWS endpoint (awsfake) on loopback, seeds an IAM user, writes a
// configuration into a temporary directory and rotates the user's key a few
// times, printing what each step did and what the sink file holds.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/daemon"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// demoOptions tune the demo.
type demoOptions struct {
	// Rotations is how many rotations the demo shows before it stops the
	// daemon (default 3); it also stops on ctx.
	Rotations int
	// Every is the demo secret's rotation_schedule interval (default 3s).
	Every time.Duration
	// Dir is where the configuration, state and sink go; empty means a new
	// temporary directory, removed at the end unless Keep.
	Dir  string
	Keep bool
	// Logger receives the daemon's log lines, one per rotation step.
	Logger *slog.Logger
}

const (
	demoUser    = "demo-app"
	demoSecret  = "/demo/app"
	demoProfile = "demo"
)

// runDemo runs the demo, writing its narrative to w: the real daemon against
// the built-in AWS endpoint, the demo secret rotating every few seconds.
func runDemo(ctx context.Context, w io.Writer, o demoOptions) (err error) {
	if o.Rotations <= 0 {
		o.Rotations = 3
	}
	if o.Every <= 0 {
		o.Every = 3 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(w, nil))
	}
	dir, cleanup, err := demoWorkDir(o)
	if err != nil {
		return err
	}
	defer cleanup()

	fake := awsfake.New()
	endpoint, stopFake, err := fake.ServeLoopback()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer func() { err = errors.Join(err, stopFake()) }()

	admin := fake.SeedUser("rotatord-admin", true)
	app := fake.SeedUser(demoUser, false)
	cfgPath, err := writeDemoFiles(dir, endpoint, admin, app, o.Every)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "rotatord demo\n  fake AWS endpoint: %s (IAM and STS, SigV4 checked)\n  IAM user %q holds %s\n  configuration:     %s\n  rotatord run with %s rotating every %s; %d rotations, then it stops\n\n",
		endpoint, demoUser, app.AccessKeyID, cfgPath, demoSecret, o.Every, o.Rotations)

	type rotation struct {
		res *iamrotate.Result
		err error
	}
	rotated := make(chan rotation, 16)
	dctx, stopDaemon := context.WithCancel(ctx)
	defer stopDaemon()
	ran := make(chan error, 1)
	go func() {
		ran <- daemon.Run(dctx, daemon.Options{
			ConfigPath: cfgPath, Logger: o.Logger, NoWatch: true, Build: build(),
			AfterRotation: func(_ string, res *iamrotate.Result, err error) {
				select {
				case rotated <- rotation{res, err}:
				default: // the demo has shown enough
				}
			},
		})
	}()
	sinkPath := filepath.Join(dir, "credentials")
	keys := []aws.Credentials{app}
	for i := 1; i <= o.Rotations; i++ {
		var r rotation
		select {
		case r = <-rotated:
		case err := <-ran:
			return fmt.Errorf("demo: the daemon stopped: %w", err)
		case <-ctx.Done():
			stopDaemon()
			return <-ran
		}
		if r.err != nil {
			stopDaemon()
			return errors.Join(fmt.Errorf("demo: %w", r.err), <-ran)
		}
		fmt.Fprintf(w, "── rotation %d of %d: %s -> %s (version %d) ──\n", i, o.Rotations, r.res.OldKeyID, r.res.NewKeyID, r.res.Version)
		var ids []string
		for _, k := range fake.Keys(demoUser) {
			ids = append(ids, k.ID+" ("+k.Status+")")
		}
		fmt.Fprintf(w, "  IAM keys of %s: %s\n", demoUser, strings.Join(ids, ", "))
		got, err := showDemoSink(w, sinkPath)
		if err != nil {
			stopDaemon()
			return errors.Join(err, <-ran)
		}
		keys = append(keys, got)
		fmt.Fprintf(w, "  the sink's key %s: %s\n", got.AccessKeyID, checkDemoKey(ctx, endpoint, got))
		if n := len(keys); n >= 2 {
			fmt.Fprintf(w, "  previous key %s: %s\n", keys[n-2].AccessKeyID, checkDemoKey(ctx, endpoint, keys[n-2]))
		}
		if n := len(keys); n >= 3 {
			fmt.Fprintf(w, "  the key before %s: %s\n", keys[n-3].AccessKeyID, checkDemoKey(ctx, endpoint, keys[n-3]))
		}
		fmt.Fprintln(w)
	}
	stopDaemon()
	if err := <-ran; err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(w, "Graceful rotation keeps two valid keys: the new one and the previous one.\n"+
		"Every value is sealed in %s; `rotatord -c %s list` and `history %s` show it\n"+
		"(with --keep, once the demo has stopped; the fake endpoint stops with it).\n", filepath.Join(dir, "state.db"), cfgPath, demoSecret)
	return nil
}

func demoWorkDir(o demoOptions) (string, func(), error) {
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o700); err != nil {
			return "", nil, fmt.Errorf("demo: %w", err)
		}
		return o.Dir, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "rotatord-demo-")
	if err != nil {
		return "", nil, fmt.Errorf("demo: %w", err)
	}
	if o.Keep {
		return dir, func() {}, nil
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// writeDemoFiles writes the protection key, the target's secret and the
// configuration into dir, and returns the configuration's path.
func writeDemoFiles(dir, endpoint string, admin, app aws.Credentials, every time.Duration) (string, error) {
	key, err := state.NewProtectionKey()
	if err != nil {
		return "", err
	}
	cfg := fmt.Sprintf(`# Written by rotatord demo.
version: 1
state:
  path: state.db
  protection_key_file: protection.key
listen: 127.0.0.1:0          # /metrics, /healthz, /readyz on a free port
control_socket: rotatord.sock
shutdown_timeout: 5s
targets:
  - name: demo
    region: us-east-1
    endpoint: %s
    access_key_id: %s
    secret_access_key_file: target.secret
secrets:
  - name: %s
    target: demo
    authentication_credentials: use-target-creds
    rotator_type: api-key
    access_key_id: %s
    grace_rotation: true
    auto_rotate: true
    rotation_schedule: "@every %s"   # a real secret says rotation_interval: 30 and rotation_hour: 3
    sinks:
      - type: file
        path: credentials
        format: aws-credentials
        profile: %s
`, endpoint, admin.AccessKeyID, demoSecret, app.AccessKeyID, every, demoProfile)
	files := map[string]string{"protection.key": key, "target.secret": admin.SecretAccessKey + "\n", "rotatord.yaml": cfg}
	// dir is the demo's own, made 0700 by os.MkdirTemp or by the user's
	// --dir: these paths are rotatord's to create, not configured ones.
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil { // the demo's own 0700 directory
			return "", fmt.Errorf("demo: %w", err)
		}
	}
	return filepath.Join(dir, "rotatord.yaml"), nil
}

// showDemoSink prints the sink file with its secret masked and returns the key
// the AWS SDK reads from it.
func showDemoSink(w io.Writer, path string) (aws.Credentials, error) {
	raw, err := os.ReadFile(path) // the demo's own sink, in its own directory
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("demo: read sink: %w", err)
	}
	sc, err := awsconfig.LoadSharedConfigProfile(context.Background(), demoProfile, func(o *awsconfig.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{path}
		o.ConfigFiles = []string{}
	})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("demo: the AWS SDK cannot read the sink: %w", err)
	}
	text := strings.ReplaceAll(string(raw), sc.Credentials.SecretAccessKey, config.Redacted)
	fmt.Fprintf(w, "  sink %s:\n", path)
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(w, "    | %s\n", line)
	}
	return sc.Credentials, nil
}

// checkDemoKey signs sts:GetCallerIdentity with the key and says what happened.
func checkDemoKey(ctx context.Context, endpoint string, k aws.Credentials) string {
	arn, err := awsfake.Whoami(ctx, endpoint, k)
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return "rejected (" + ae.ErrorCode() + ")"
		}
		return "error: " + err.Error()
	}
	return "authenticates as " + arn
}
