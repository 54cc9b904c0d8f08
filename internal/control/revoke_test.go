package control

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/iamrotate"
)

// TestRotateRevoke: the revocation crosses the socket whole (the reason
// word for word, the delay exactly), and a pending delivery keeps its
// result as Rotate's does.
func TestRotateRevoke(t *testing.T) {
	f := newFake()
	s := serve(t, f)
	for _, tt := range []struct {
		name string
		rv   iamrotate.Revoke
		want error
	}{
		{"/team-a/app", iamrotate.Revoke{Reason: "INC-7: build host & CI runner, \"compromised\""}, nil},
		{"/team-a/app", iamrotate.Revoke{After: 90 * time.Minute}, nil},
		{namePending, iamrotate.Revoke{Reason: "x"}, ErrDeliveryPending},
	} {
		res, err := s.client.RotateRevoke(t.Context(), tt.name, tt.rv)
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Fatalf("%s: got %v, want %v", tt.name, err, tt.want)
		}
		if !reflect.DeepEqual(res, cannedResult) {
			t.Errorf("%s: got result %+v, want %+v", tt.name, res, cannedResult)
		}
		if got := <-f.revoked; got != tt.rv {
			t.Errorf("%s: daemon got revocation %+v, want %+v", tt.name, got, tt.rv)
		}
	}
}

// TestRotateRevokeBadDelay: a revoke_after the daemon cannot read is a bad
// request, and nothing is rotated.
func TestRotateRevokeBadDelay(t *testing.T) {
	f := newFake()
	s := serve(t, f)
	if _, err := s.srv.revoker(map[string][]string{"revoke_after": {"-1h"}}); err == nil {
		t.Fatal("a negative revoke_after was accepted")
	}
	_, err := s.client.Rotate(t.Context(), "/team-a/app")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case rv := <-f.revoked:
		t.Fatalf("plain Rotate revoked: %+v", rv)
	default:
	}
}
