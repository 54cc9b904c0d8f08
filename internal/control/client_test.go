package control

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

func TestRoundTrip(t *testing.T) {
	s := serve(t, newFake())
	c := s.client
	ctx := t.Context()

	tests := []struct {
		name string
		call func() (any, error)
		want any
	}{
		{"list", func() (any, error) { return c.List(ctx) }, cannedStatus(inUTC)},
		{"status redacts values", func() (any, error) { return c.Status(ctx, nameOK) },
			cannedDetail(inUTC, config.Redacted)},
		{"history", func() (any, error) { return c.History(ctx, nameOK) }, cannedHistory(inUTC)},
		{"rotate", func() (any, error) { return c.Rotate(ctx, nameOK) }, cannedResult},
		{"reveal current", func() (any, error) { return c.Reveal(ctx, nameOK, 0) },
			&cannedVersions(inUTC, secretValue)[2]},
		{"reveal previous", func() (any, error) { return c.Reveal(ctx, nameOK, 2) },
			&cannedVersions(inUTC, secretValue)[1]},
		{"reveal retired", func() (any, error) { return c.Reveal(ctx, nameOK, 1) },
			&cannedVersions(inUTC, secretValue)[0]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			// DeepEqual holds only if every time is UTC and exact to the ns.
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestRevealValueIsExact(t *testing.T) {
	s := serve(t, newFake())
	v, err := s.client.Reveal(t.Context(), nameOK, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Value.Reveal(); got != secretValue {
		t.Errorf("got value %q, want %q", got, secretValue)
	}
	d, err := s.client.Status(t.Context(), nameOK)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range d.Secret.Versions {
		if got := v.Value.Reveal(); got != "" && got != config.Redacted {
			t.Errorf("status: version %d: got value %q, want %q or empty", v.N, got, config.Redacted)
		}
	}
}

// TestRevealedVersionHasEveryField guards revealedVersion against a field
// added to state.Version and silently dropped by the reveal endpoint.
func TestRevealedVersionHasEveryField(t *testing.T) {
	got := reflect.TypeFor[revealedVersion]().NumField()
	want := reflect.TypeFor[state.Version]().NumField()
	if got != want {
		t.Errorf("revealedVersion has %d fields, state.Version %d: copy the new field in toRevealed/version", got, want)
	}
}

func TestErrors(t *testing.T) {
	s := serve(t, newFake())
	c := s.client
	ctx := t.Context()

	tests := []struct {
		name     string
		call     func() (any, error)
		sentinel error // nil: none may match
		msg      string
	}{
		{"status unknown", func() (any, error) { return c.Status(ctx, nameUnknown) },
			ErrUnknownSecret, "status /no/such: no such secret in the configuration"},
		{"history no state", func() (any, error) { return c.History(ctx, nameNoState) },
			ErrNotFound, "history /team-a/new: no state for this secret"},
		{"reveal no version", func() (any, error) { return c.Reveal(ctx, nameOK, 9) },
			ErrNotFound, "get /team-a/ci/deployer: version 9: no state for this secret"},
		{"reveal unknown", func() (any, error) { return c.Reveal(ctx, nameUnknown, 0) },
			ErrUnknownSecret, "get /no/such: no such secret in the configuration"},
		{"rotate broken", func() (any, error) { return c.Rotate(ctx, nameBroken) },
			nil, "rotate /team-a/broken: open store: disk on fire"},
		{"reveal negative version", func() (any, error) { return c.Reveal(ctx, nameOK, -1) },
			nil, `version must be a whole number >= 0, not "-1"`},
		{"status empty name", func() (any, error) { return c.Status(ctx, "") },
			nil, "missing the secret's name (name=)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.call()
			if err == nil {
				t.Fatal("got no error")
			}
			if got := err.Error(); got != tt.msg {
				t.Errorf("got message %q, want %q", got, tt.msg)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("got %v, want it to wrap %v", err, tt.sentinel)
			}
			if tt.sentinel == nil && isSentinel(err) {
				t.Errorf("got %v wrapping a sentinel, want none", err)
			}
		})
	}
}

func TestRotateDeliveryPendingKeepsResult(t *testing.T) {
	s := serve(t, newFake())
	res, err := s.client.Rotate(t.Context(), namePending)
	if !errors.Is(err, ErrDeliveryPending) || !errors.Is(err, iamrotate.ErrDeliveryPending) {
		t.Fatalf("got %v, want ErrDeliveryPending", err)
	}
	if want := "rotate /team-a/pending: sink ssm:/a: delivery pending"; err.Error() != want {
		t.Errorf("got message %q, want %q", err.Error(), want)
	}
	if !reflect.DeepEqual(res, cannedResult) {
		t.Errorf("got result %+v, want %+v", res, cannedResult)
	}
}

func TestRollback(t *testing.T) {
	s := serve(t, newFake())
	res, err := s.client.Rollback(t.Context(), nameOK, "new key breaks billing & more")
	if err != nil {
		t.Fatal(err)
	}
	if res.RotationID != "new key breaks billing & more" || res.NewKeyID != cannedResult.NewKeyID {
		t.Errorf("got %+v, want the canned result with the reason as sent", res)
	}
	_, err = s.client.Rollback(t.Context(), namePending, "")
	if !errors.Is(err, ErrNoRollback) || !errors.Is(err, iamrotate.ErrNoRollback) {
		t.Fatalf("got %v, want ErrNoRollback across the socket", err)
	}
	if want := "rollback /team-a/pending: no previous key to roll back to: version 1 is the only version rotatord knows"; err.Error() != want {
		t.Errorf("got message %q, want %q", err.Error(), want)
	}
	if _, err := s.client.Rollback(t.Context(), nameUnknown, ""); !errors.Is(err, ErrUnknownSecret) {
		t.Errorf("unknown secret: got %v, want ErrUnknownSecret", err)
	}
}

func TestRotateHonoursClientContext(t *testing.T) {
	f := newFake()
	s := serve(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := s.client.Rotate(ctx, nameSlow)
		errc <- err
	}()
	<-f.rotateStarted
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("client: got %v, want context.Canceled", err)
	}
	if err := <-f.rotateEnded; !errors.Is(err, context.Canceled) {
		t.Errorf("backend: got ctx error %v, want context.Canceled", err)
	}
}

func TestNoSecretInLogs(t *testing.T) {
	s := serve(t, newFake())
	ctx := t.Context()
	if _, err := s.client.Reveal(ctx, nameOK, 0); err != nil {
		t.Fatal(err)
	}
	_, _ = s.client.Status(ctx, nameOK)
	_, _ = s.client.Reveal(ctx, nameUnknown, 0)
	_, _ = s.client.Reveal(ctx, nameOK, -1)
	if err := s.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, `"path":"/v1/reveal"`) {
		t.Fatalf("the reveal request was not logged; logs:\n%s", logs)
	}
	for _, leak := range []string{secretValue, "wJalr", "EXAMPLE"} {
		if strings.Contains(logs, leak) {
			t.Errorf("logs hold %q:\n%s", leak, logs)
		}
	}
}
