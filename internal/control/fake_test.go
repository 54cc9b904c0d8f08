package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
	"github.com/rotatord/rotatord/internal/testlog"
)

// secretValue is the fake's secret access key: JSON-hostile on purpose.
const secretValue = `wJalr/K7MDENG+bPxRfi"CY\EXAMPLE<&>KEY`

const (
	nameOK      = "/team-a/ci/deployer"
	nameUnknown = "/no/such"
	nameNoState = "/team-a/new"
	namePending = "/team-a/pending"
	nameBroken  = "/team-a/broken"
	nameSlow    = "/team-a/slow"
	nameHeld    = "/team-a/held"
)

// cest is a zone the fake reports times in; they must come back in UTC.
var cest = time.FixedZone("CEST", 2*60*60)

func at(day, ns int) time.Time { return time.Date(2026, 3, day, 3, 0, 0, ns, time.UTC) }

// cannedVersions are nameOK's versions, times passed through in; value
// gives the Value a version with a key shows.
func cannedVersions(in func(time.Time) time.Time, value config.SecretValue) []state.Version {
	return []state.Version{
		{N: 1, AccessKeyID: "AKIAOLD", Created: in(at(1, 1)), State: state.Retired,
			Replaced: in(at(2, 2)), Retired: in(at(3, 3)), Imported: true},
		{N: 2, AccessKeyID: "AKIAPREV", Created: in(at(2, 4)), State: state.Previous, Value: value,
			Delivered: map[string]time.Time{"file:/run/a.ini": in(at(2, 5))}, Replaced: in(at(4, 6))},
		{N: 3, AccessKeyID: "AKIACUR", Created: in(at(4, 7)), State: state.Current, Value: value,
			Delivered: map[string]time.Time{"file:/run/a.ini": in(at(4, 8)), "ssm:/a": in(at(4, 9))}},
	}
}

func cannedDetail(in func(time.Time) time.Time, value config.SecretValue) *SecretDetail {
	return &SecretDetail{
		SecretStatus: cannedStatus(in)[0],
		Secret: &state.Secret{
			Name: nameOK, UserName: "deployer", UserARN: "arn:aws:iam::123456789012:user/deployer",
			Versions: cannedVersions(in, value), LastRotation: in(at(4, 10)),
			Journal: &state.Journal{RotationID: "r-1", Started: in(at(5, 11)), Step: state.StepDelivering,
				Manual: true, CurrentKeyID: "AKIACUR", KeysAtInspect: []string{"AKIACUR"},
				NewKeyID: "AKIANEW", DeliveryAttempts: 2, NextDelivery: in(at(5, 12))},
			LastError: "deliver: sink ssm:/a: throttled", LastErrorAt: in(at(5, 13)),
		},
		Sinks: []SinkStatus{
			{ID: "file:/run/a.ini", Current: in(at(4, 8))},
			{ID: "ssm:/a", Current: in(at(4, 9)), Pending: in(at(5, 14))},
		},
	}
}

func cannedStatus(in func(time.Time) time.Time) []SecretStatus {
	return []SecretStatus{
		{Name: nameOK, Target: "prod", KeyID: "AKIACUR", State: "delivering",
			LastRotation: in(at(4, 10)), NextRotation: in(at(30, 15)), LastError: "throttled"},
		{Name: "/old/one", KeyID: "AKIAGONE", State: "not configured", LastRotation: in(at(1, 16))},
	}
}

func cannedHistory(in func(time.Time) time.Time) []state.Event {
	return []state.Event{
		{Seq: 1, Time: in(at(4, 17)), Secret: nameOK, RotationID: "r-0", Kind: "rotated", KeyID: "AKIACUR"},
		{Seq: 1<<62 + 3, Time: in(at(5, 18)), Secret: nameOK, Kind: "delivery-failed", Detail: "ssm: throttled"},
	}
}

func inCEST(t time.Time) time.Time { return t.In(cest) }
func inUTC(t time.Time) time.Time  { return t }

var cannedResult = &iamrotate.Result{RotationID: "r-2", Resumed: true,
	OldKeyID: "AKIACUR", NewKeyID: "AKIANEW", Version: 4}

// fakeBackend stands for the daemon: canned answers, times in CEST, and
// errors chosen by the secret's name.
type fakeBackend struct {
	// rotateStarted receives when Rotate(nameSlow) starts; it then waits
	// for its ctx and reports ctx.Err() on rotateEnded.
	rotateStarted chan struct{}
	rotateEnded   chan error
	// Rotate(nameHeld) also reports on rotateStarted, then returns
	// cannedResult once release is closed, or reports ctx.Err() on
	// rotateEnded if its ctx ends first.
	release chan struct{}
	// revoked receives each RotateRevoke's revocation.
	revoked chan iamrotate.Revoke
}

func newFake() *fakeBackend {
	return &fakeBackend{rotateStarted: make(chan struct{}, 1), rotateEnded: make(chan error, 1),
		release: make(chan struct{}), revoked: make(chan iamrotate.Revoke, 1)}
}

var (
	_ Reader   = (*fakeBackend)(nil)
	_ Operator = (*fakeBackend)(nil)
	_ Revoker  = (*fakeBackend)(nil)
)

func (f *fakeBackend) fail(op, name string) error {
	switch name {
	case nameUnknown:
		return fmt.Errorf("%s %s: %w", op, name, ErrUnknownSecret)
	case nameNoState:
		return fmt.Errorf("%s %s: %w", op, name, ErrNotFound)
	case nameBroken:
		return fmt.Errorf("%s %s: open store: disk on fire", op, name)
	}
	return nil
}

func (f *fakeBackend) List(context.Context) ([]SecretStatus, error) {
	return cannedStatus(inCEST), nil
}

func (f *fakeBackend) Status(_ context.Context, name string) (*SecretDetail, error) {
	if err := f.fail("status", name); err != nil {
		return nil, err
	}
	return cannedDetail(inCEST, secretValue), nil
}

func (f *fakeBackend) History(_ context.Context, name string) ([]state.Event, error) {
	if err := f.fail("history", name); err != nil {
		return nil, err
	}
	return cannedHistory(inCEST), nil
}

func (f *fakeBackend) Rotate(ctx context.Context, name string) (*iamrotate.Result, error) {
	switch name {
	case namePending:
		return cannedResult, fmt.Errorf("rotate %s: sink ssm:/a: %w", name, ErrDeliveryPending)
	case nameSlow:
		f.rotateStarted <- struct{}{}
		<-ctx.Done()
		f.rotateEnded <- ctx.Err()
		return nil, fmt.Errorf("rotate %s: %w", name, ctx.Err())
	case nameHeld:
		f.rotateStarted <- struct{}{}
		select {
		case <-f.release:
			return cannedResult, nil
		case <-ctx.Done():
			f.rotateEnded <- ctx.Err()
			return nil, fmt.Errorf("rotate %s: %w", name, ctx.Err())
		}
	}
	if err := f.fail("rotate", name); err != nil {
		return nil, err
	}
	return cannedResult, nil
}

// Rollback refuses namePending (nothing to roll back to), echoes the
// reason in the result's RotationID for the others.
func (f *fakeBackend) Rollback(_ context.Context, name, reason string) (*iamrotate.Result, error) {
	if name == namePending {
		return nil, fmt.Errorf("rollback %s: %w: version 1 is the only version rotatord knows", name, ErrNoRollback)
	}
	if err := f.fail("rollback", name); err != nil {
		return nil, err
	}
	res := *cannedResult
	res.RotationID = reason
	return &res, nil
}

// RotateRevoke reports rv on revoked, then answers as Rotate.
func (f *fakeBackend) RotateRevoke(ctx context.Context, name string, rv iamrotate.Revoke) (*iamrotate.Result, error) {
	f.revoked <- rv
	return f.Rotate(ctx, name)
}

func (f *fakeBackend) Reveal(_ context.Context, name string, n int) (*state.Version, error) {
	if err := f.fail("get", name); err != nil {
		return nil, err
	}
	vs := cannedVersions(inCEST, secretValue)
	if n == 0 {
		return &vs[len(vs)-1], nil
	}
	for i := range vs {
		if vs[i].N == n {
			return &vs[i], nil
		}
	}
	return nil, fmt.Errorf("get %s: version %d: %w", name, n, ErrNotFound)
}

// sockPath returns a socket path short enough for sun_path (108 bytes),
// which t.TempDir() paths may not be.
func sockPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "r.sock")
}

// served is a running server and a client of it.
type served struct {
	srv    *Server
	client *Client
	logs   *testlog.Buffer
	stop   func() error // cancels Serve's ctx and returns Serve's error
}

// listenFake is Listen with a fresh fake backend as both the Reader and
// the Operator, and no log.
func listenFake(ctx context.Context, path string) (*Server, error) {
	f := newFake()
	return Listen(ctx, path, f, f, nil)
}

// serve starts b on a fresh socket and dials it.
func serve(t *testing.T, b *fakeBackend) *served {
	t.Helper()
	return serveWith(t, b, nil)
}

// serveWith is serve, with tune (if not nil) called on the server before
// it serves.
func serveWith(t *testing.T, b *fakeBackend, tune func(*Server)) *served {
	t.Helper()
	logs := &testlog.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := Listen(ctx, sockPath(t), b, b, log)
	if err != nil {
		cancel()
		t.Fatalf("Listen: %v", err)
	}
	if tune != nil {
		tune(srv)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() { cancel(); serveErr = <-done })
		return serveErr
	}
	t.Cleanup(func() { _ = stop() })
	c, err := Dial(t.Context(), srv.Path())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &served{srv: srv, client: c, logs: logs, stop: stop}
}

func isSentinel(err error) bool {
	return errors.Is(err, ErrUnknownSecret) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrDeliveryPending)
}
