package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/awscall"
	"github.com/rotatord/rotatord/internal/awsfake/awsfaketest"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/testlog"
)

// silentEndpoint is a TCP server that accepts connections, reads what it
// is sent and never answers: an AWS endpoint behind a stuck proxy. It
// returns its URL.
func silentEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// TestSilentEndpointTimesOut: an IAM call that AWS holds forever, a
// target endpoint that accepts calls and never answers, or a Secrets
// Manager or SSM sink's endpoint that does the same, makes the rotation
// fail with awscall.ErrTimeout, naming the call, within a few call bounds
// (every attempt of the step), instead of holding its worker forever.
func TestSilentEndpointTimesOut(t *testing.T) {
	const bound = 300 * time.Millisecond
	for _, tt := range []struct {
		name      string
		iamSilent bool   // the target's own endpoint is silent
		hold      string // awsfake holds this action's first call until the test ends
		auth      string // authentication_credentials
		sink      string // a sink on target "stuck", whose endpoint is silent
		call      string // the operation the error names
		pending   bool   // the rotation is left delivering
	}{
		{name: "iam held", hold: "ListAccessKeys", auth: "use-target-creds", call: "operation error IAM: ListAccessKeys"},
		{name: "target silent", iamSilent: true, auth: "use-user-creds", call: "operation error STS: GetCallerIdentity"},
		{name: "secretsmanager", sink: "{type: secretsmanager, secret_id: team/app, target: stuck, create: true}", auth: "use-user-creds", call: "PutSecretValue", pending: true},
		{name: "ssm", sink: "{type: ssm, name: /team/app, target: stuck}", auth: "use-user-creds", call: "PutParameter", pending: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, url := awsfaketest.Start(t)
			admin := fake.SeedUser("admin", true)
			app := fake.SeedUser("app", false)
			silent := silentEndpoint(t)
			if tt.hold != "" {
				t.Cleanup(fake.Hold(tt.hold).Release)
			}
			iamURL := url
			if tt.iamSilent {
				iamURL = silent
			}
			sinks := "    sinks:\n      - {type: file, path: app.ini, profile: app}\n"
			if tt.sink != "" {
				sinks += "      - " + tt.sink + "\n"
			}
			cfg, st := setup(t, map[string]string{
				"admin.secret": admin.SecretAccessKey,
				"app.secret":   app.SecretAccessKey,
				"rotatord.yaml": header + fmt.Sprintf(`targets:
  - name: prod
    endpoint: %s
    access_key_id: %s
    secret_access_key_file: admin.secret
  - name: stuck
    endpoint: %s
    access_key_id: %s
    secret_access_key_file: admin.secret
secrets:
  - name: /team/app
    target: prod
    authentication_credentials: %s
    access_key_id: %s
    secret_access_key_file: app.secret
    grace_rotation: true
%s`, iamURL, admin.AccessKeyID, silent, admin.AccessKeyID, tt.auth, app.AccessKeyID, sinks),
			})
			logs := &testlog.Buffer{}
			e, err := NewEngine(context.Background(), cfg, st, EngineOptions{
				Logger: slog.New(slog.NewJSONHandler(logs, nil)),
				Rotator: iamrotate.Options{
					CallTimeout: bound,
					Sleep:       func(ctx context.Context, d time.Duration) error { return ctx.Err() },
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			start := time.Now()
			go func() {
				_, err := e.Rotate(context.Background(), "/team/app")
				done <- err
			}()
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				t.Fatal("the rotation is still running after a minute: a call to a silent endpoint has no deadline")
			}
			took := time.Since(start)
			t.Logf("failed after %s: %v", took, err)
			if !errors.Is(err, awscall.ErrTimeout) || !strings.Contains(err.Error(), tt.call) {
				t.Fatalf("got %v, want an error wrapping awscall.ErrTimeout that names %s", err, tt.call)
			}
			if !strings.Contains(err.Error(), "no answer within "+bound.String()) {
				t.Errorf("error %q does not say the bound (%s)", err, bound)
			}
			if got := errors.Is(err, iamrotate.ErrDeliveryPending); got != tt.pending {
				t.Errorf("ErrDeliveryPending: %v, want %v", got, tt.pending)
			}
			// Each attempt of the step waits one bound: the IAM step and
			// each sink are tried a few times, never for long.
			if took > 10*bound {
				t.Errorf("the rotation failed after %s, want within %s (10 call bounds)", took, 10*bound)
			}
			if strings.Contains(logs.String(), app.SecretAccessKey) || strings.Contains(err.Error(), app.SecretAccessKey) {
				t.Error("the app's secret access key appears in the logs or the error")
			}
		})
	}
}
