// Package control is the CLI's way into a running daemon: a small HTTP+JSON
// protocol on a unix socket. It holds what a daemon offers the CLI (Reader:
// list, status, history; Operator: rotate, roll back, reveal; Revoker:
// rotate and revoke the previous key; Planner: the plan), the Server that serves
// them on the socket (created mode 0600, a socket left by a daemon that is
// gone replaced, connections capped), the Client the CLI speaks to it
// with, which refuses a socket served by another user (ErrUntrusted, by
// the peer's credentials), and the errors that keep their identity across
// it. Without a daemon (ErrNoDaemon) the CLI serves itself from the store.
package control

import (
	"context"
	"errors"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// Errors that cross the socket keep their identity: the client returns
// errors that wrap these, so the CLI can choose its exit status.
var (
	// ErrNoDaemon: no daemon answers on the socket (missing, or nobody
	// listening). The CLI then opens the store itself.
	ErrNoDaemon = errors.New("no rotatord daemon is running")
	// ErrUnknownSecret: the configuration has no secret of that name.
	ErrUnknownSecret = errors.New("no such secret in the configuration")
	// ErrNotFound: the store holds no state (or no such version) for it.
	ErrNotFound = state.ErrNotFound
	// ErrBusy: the daemon has a job for the secret queued or running
	// already; asking again once it has ended may be right.
	ErrBusy = errors.New("a rotation of this secret is already queued or running")
	// ErrDeliveryPending: see iamrotate.ErrDeliveryPending.
	ErrDeliveryPending = iamrotate.ErrDeliveryPending
	// ErrNoRollback: see iamrotate.ErrNoRollback.
	ErrNoRollback = iamrotate.ErrNoRollback
	// ErrRetirementHeld: see iamrotate.ErrRetirementHeld.
	ErrRetirementHeld = iamrotate.ErrRetirementHeld
)

// SecretStatus is one row of `rotatord list`.
type SecretStatus struct {
	Name   string `json:"name"`
	Target string `json:"target"` // "" for state of a secret no longer configured
	KeyID  string `json:"key_id"`
	// State is one of: new, ok, held, failed, queued, running,
	// delivering, rotating (STEP), not configured.
	State        string    `json:"state"`
	LastRotation time.Time `json:"last_rotation"`
	// NextRotation is zero for a secret that is not rotated automatically.
	NextRotation time.Time `json:"next_rotation"`
	LastError    string    `json:"last_error,omitempty"`
	// Holder is the replica holding the secret's lease now, on a store
	// several replicas share; "" when none does.
	Holder string `json:"holder,omitempty"`
	// Held is the retirement of a replaced key that retire_when: unused
	// holds (State is then "held" unless a job runs); nil when none is.
	Held *state.Hold `json:"held,omitempty"`
}

// SinkStatus is one sink's delivery state for the current and pending
// versions (zero times: not delivered).
type SinkStatus struct {
	ID      string    `json:"id"`
	Current time.Time `json:"current"`
	Pending time.Time `json:"pending,omitempty"`
}

// SecretDetail is what `rotatord status NAME` shows.
type SecretDetail struct {
	SecretStatus
	// Secret is the stored state; every secret value in it is redacted
	// (it crosses the socket as config.Redacted, or "" when not kept).
	Secret *state.Secret `json:"secret"`
	Sinks  []SinkStatus  `json:"sinks"`
	// LeaseExpires is when Holder's lease ends (zero: no holder).
	LeaseExpires time.Time `json:"lease_expires,omitzero"`
	// Replicas are the daemons running on a shared store; nil on bbolt.
	Replicas []string `json:"replicas,omitempty"`
}

// What a daemon (or the CLI itself, over the store) offers, split by what
// a request may get: Reader never hands out a secret value, Operator
// changes or reveals a secret's key. The daemon's backend is both, and so
// is Client. Every method returns errors wrapping the sentinels above where
// they apply.

// Reader answers the CLI's questions about the secrets.
type Reader interface {
	// List returns every configured secret, then any state left of secrets
	// no longer configured, sorted by name.
	List(ctx context.Context) ([]SecretStatus, error)
	// Status describes one secret.
	Status(ctx context.Context, name string) (*SecretDetail, error)
	// History returns the secret's audit events, oldest first.
	History(ctx context.Context, name string) ([]state.Event, error)
}

// Operator rotates a secret, rolls it back, and hands out its key. It is
// full at three methods: a new operation goes in a new interface beside it.
type Operator interface {
	// Rotate rotates the secret now (or finishes its open rotation) and
	// returns when the rotation ends.
	Rotate(ctx context.Context, name string) (*iamrotate.Result, error)
	// Rollback makes the secret's previous version current again (see
	// iamrotate.Rotator.Rollback), recording reason, and returns when it
	// ends.
	Rollback(ctx context.Context, name, reason string) (*iamrotate.Result, error)
	// Reveal returns version n of the secret (0: the current one) with its
	// secret access key.
	Reveal(ctx context.Context, name string, n int) (*state.Version, error)
}

// Revoker rotates a secret and revokes the key it replaces (incident
// response: rotate --revoke-previous). It stands beside Operator rather
// than in it, so that Operator stays small; the daemon's backend, the
// offline one and Client implement it, and a bulk rotation is the CLI
// calling RotateRevoke (or Rotate) once per secret, a bounded number at a
// time, while the daemon's pool queues and rate-limits the work.
type Revoker interface {
	// RotateRevoke is Operator.Rotate, then the revocation (see
	// iamrotate.Revoke). A rotation already open is continued, and
	// revokes too.
	RotateRevoke(ctx context.Context, name string, rv iamrotate.Revoke) (*iamrotate.Result, error)
}

// Redacted is how secret values look after crossing the socket.
const Redacted = config.Redacted
