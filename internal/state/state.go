// Package state keeps what rotatord knows about each rotated secret: its
// versions (key ids, times, values sealed with AES-GCM under the protection
// key), the journal of an open rotation, schedule facts and an append-only
// audit log. Every Update is durable (fsync, or DynamoDB's acknowledged
// write) before it returns: the rotation state machine relies on that to
// resume or undo a rotation after a crash at any step.
//
// Two backends hold it: one bbolt file, locked by the process that opens
// it (Open, *Bolt), or a DynamoDB table several replicas share (OpenDynamo,
// *Dynamo; InitDynamoTable creates it), which also keeps leases, replica
// heartbeats and per-host acknowledgements. Callers use them through small
// interfaces: Reader, Updater, AuditLog (and Leaser and the others on a
// shared table). OpenConfigured opens the store a configuration's state
// block names and translates its errors (a missing table, a wrong
// protection key); Migrate copies a whole store into the other backend.
package state

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/rotatord/rotatord/config"
)

// Errors callers branch on.
var (
	// ErrNotFound means the store holds no state for that secret.
	ErrNotFound = errors.New("no state for this secret")
	// ErrLocked means another process holds the state file.
	ErrLocked = errors.New("state file is in use by another process")
	// ErrWrongKey means the protection key cannot open this store's values.
	ErrWrongKey = errors.New("protection key does not match the one this state file was sealed with")
)

// VersionState is where a version is in its life.
type VersionState string

// A version goes pending → current → previous → retired, or, with
// retire: deactivate, previous (or current, in strict mode) → inactive →
// retired.
const (
	Pending  VersionState = "pending"
	Current  VersionState = "current"
	Previous VersionState = "previous"
	// Inactive: its key is deactivated in IAM (retire: deactivate) but not
	// deleted. Its value stays sealed so that a rollback can reactivate the
	// key and deliver it again; it is wiped when the key is deleted (the
	// next rotation makes room) or found gone, and the version is then
	// Retired. A revoked key is never Inactive: revocation wipes it.
	Inactive VersionState = "inactive"
	Retired  VersionState = "retired"
)

// Version is one access key pair a secret has held.
type Version struct {
	// N numbers the secret's versions from 1, in creation order.
	N           int
	AccessKeyID string
	// Created is when the key was created (IAM's CreateDate when known).
	Created time.Time
	State   VersionState
	// Value is the secret access key. It is sealed at rest and empty once
	// the version is retired or pruned past max_versions (an Inactive
	// version keeps it).
	Value config.SecretValue
	// Delivered maps a sink's ID to when that sink acknowledged this version.
	Delivered map[string]time.Time
	// Committed maps the ID of a two-phase sink (Secrets Manager: staged
	// AWSPENDING at delivery) to when it made this version its current one.
	Committed map[string]time.Time
	// Replaced is when the version stopped being current.
	Replaced time.Time
	// Retired is when the version was retired (its key deleted or
	// deactivated in IAM: Retired or Inactive).
	Retired time.Time
	// Imported marks a version rotatord did not create: the bootstrap key
	// from the configuration.
	Imported bool
	// RevokeAt is when the key of a previous version that a revocation
	// (rotate --revoke-previous) deactivated is to be deleted; zero
	// otherwise. The daemon's retirement deletes it then.
	RevokeAt time.Time
	// RevokedFor is the reason given when a revocation retired this
	// version's key; a rotation revoking for the same reason again finds
	// its work done.
	RevokedFor string
}

// Step is the last completed step of an open rotation.
type Step string

// The steps of the rotation state machine, in order. A journal records the
// last one that completed; recovery continues from there.
const (
	StepBegun      Step = "begun"      // rotation recorded
	StepInspected  Step = "inspected"  // IAM keys listed, user known
	StepRoomMade   Step = "room-made"  // at most one key left in IAM
	StepCreating   Step = "creating"   // CreateAccessKey may have been sent
	StepCreated    Step = "created"    // new key persisted as pending
	StepVerified   Step = "verified"   // new key authenticates as the user
	StepDelivering Step = "delivering" // at least one sink lacks the new key
	StepDelivered  Step = "delivered"  // every sink holds the new key
	StepPromoted   Step = "promoted"   // pending is current; the old key is being retired
)

// Kind is what an open journal does to the secret.
type Kind string

// The kinds of journal. A rollback runs the same steps as a rotation but
// inspect, make room, create and verify: from StepBegun it reinstates the
// previous version as the pending one (StepVerified), then delivers,
// promotes and finishes it like a new key.
const (
	KindRotation Kind = ""         // a new key replaces the current one
	KindRollback Kind = "rollback" // the previous key becomes current again
)

// Journal is the record of an open rotation.
type Journal struct {
	RotationID string
	Started    time.Time
	Step       Step
	// Kind is KindRotation or KindRollback.
	Kind Kind
	// Manual marks a rotation an operator asked for.
	Manual bool
	// CurrentKeyID is the secret's current key when the rotation began.
	CurrentKeyID string
	// KeysAtInspect are the user's key ids that IAM listed at inspect: a
	// key the user holds later that is neither here nor in the store is an
	// orphan of this rotation.
	KeysAtInspect []string
	// NewKeyID is the key created by this rotation, once persisted; for a
	// rollback, the previous key it makes current again.
	NewKeyID string
	// CreateAttempts counts CreateAccessKey calls of this rotation whose
	// answer was lost (and whose orphan was removed).
	CreateAttempts int
	// DeliveryAttempts counts delivery rounds; NextDelivery is when the
	// next may start.
	DeliveryAttempts int
	NextDelivery     time.Time
	// Revoke marks an incident-response rotation (rotate
	// --revoke-previous): once every sink holds the new key, the previous
	// key is deactivated at once and deleted RevokeAfter later (0: at
	// once), whatever the secret's mode; RevokeReason goes to the audit
	// history.
	Revoke       bool
	RevokeAfter  time.Duration
	RevokeReason string
}

// Secret is the state of one rotated secret.
type Secret struct {
	Name     string
	UserName string
	UserARN  string
	// Versions in ascending N.
	Versions []Version
	// LastRotation is when the last rotation finished, or the current key's
	// IAM CreateDate if rotatord never rotated it.
	LastRotation time.Time
	// Journal is the open rotation, nil when none is.
	Journal *Journal
	// LastError is the last failure's message (never a secret) and when.
	LastError   string
	LastErrorAt time.Time
	// Archived marks the state of a secret removed from the configuration.
	Archived bool
	// Held is the retirement of a replaced key that retire_when: unused
	// holds, nil when none is held.
	Held *Hold
}

// Current returns the current version, or nil.
func (s *Secret) Current() *Version {
	return s.find(func(v *Version) bool { return v.State == Current })
}

// Pending returns the pending version, or nil.
func (s *Secret) Pending() *Version {
	return s.find(func(v *Version) bool { return v.State == Pending })
}

// Previous returns the previous version, or nil.
func (s *Secret) Previous() *Version {
	return s.find(func(v *Version) bool { return v.State == Previous })
}

// ByKeyID returns the version holding that access key id, or nil.
func (s *Secret) ByKeyID(id string) *Version {
	return s.find(func(v *Version) bool { return v.AccessKeyID == id })
}

// ByN returns version n, or nil.
func (s *Secret) ByN(n int) *Version { return s.find(func(v *Version) bool { return v.N == n }) }

// NextN is the number the next version gets.
func (s *Secret) NextN() int {
	if len(s.Versions) == 0 {
		return 1
	}
	return s.Versions[len(s.Versions)-1].N + 1
}

func (s *Secret) find(match func(*Version) bool) *Version {
	for i := len(s.Versions) - 1; i >= 0; i-- {
		if match(&s.Versions[i]) {
			return &s.Versions[i]
		}
	}
	return nil
}

// Event is one audit record. It may name key ids, never a secret value.
type Event struct {
	// Seq is assigned by the store: strictly increasing across the store.
	Seq        uint64
	Time       time.Time
	Secret     string
	RotationID string
	Kind       string
	KeyID      string
	Detail     string
}

// Tx is one read-modify-write of a secret inside Update.
type Tx struct {
	// Secret is the state to modify; a new Secret{Name: name} if the store
	// had none. Changes are written when the Update function returns nil.
	Secret *Secret
	// Events are the audit events to append with the change.
	Events []Event
	now    func() time.Time
}

// NewTx returns a Tx over s. Store implementations call it; now stamps events.
func NewTx(s *Secret, now func() time.Time) *Tx { return &Tx{Secret: s, now: now} }

// Audit appends an audit event for this secret to be written with the change.
func (tx *Tx) Audit(rotationID, kind, keyID, detail string) {
	tx.Events = append(tx.Events, Event{
		Time: tx.now().UTC(), Secret: tx.Secret.Name, RotationID: rotationID,
		Kind: kind, KeyID: keyID, Detail: detail,
	})
}

// The store's interfaces, by what a caller does with it. *Bolt (the bbolt
// file, Open) and *Dynamo (the DynamoDB table several replicas share,
// OpenDynamo) implement each, and Close through io.Closer; every method is
// safe for concurrent use. A caller names the ones it uses, or declares
// its own composite of them.

// Reader reads secrets' state.
type Reader interface {
	// Get returns a copy of the named secret's state, or ErrNotFound.
	Get(ctx context.Context, name string) (*Secret, error)
	// List returns every secret's state, sorted by name.
	List(ctx context.Context) ([]*Secret, error)
	// Each calls fn with every secret's state, sorted by name, one at a
	// time; fn must not wait for a write to the store.
	Each(ctx context.Context, fn func(*Secret) error) error
}

// Updater writes a secret's state.
type Updater interface {
	// Update runs fn on a copy of the named secret's state and, if fn
	// returns nil, writes the modified state and tx.Events atomically and
	// durably before returning. If fn returns an error nothing is written
	// and Update returns that error.
	Update(ctx context.Context, name string, fn func(tx *Tx) error) error
}

// AuditLog reads the audit events that Updates appended.
type AuditLog interface {
	// History returns the named secret's audit events, oldest first.
	History(ctx context.Context, name string) ([]Event, error)
}

var (
	_ Reader    = (*Bolt)(nil)
	_ Updater   = (*Bolt)(nil)
	_ AuditLog  = (*Bolt)(nil)
	_ io.Closer = (*Bolt)(nil)
	_ Reader    = (*Dynamo)(nil)
	_ Updater   = (*Dynamo)(nil)
	_ AuditLog  = (*Dynamo)(nil)
	_ io.Closer = (*Dynamo)(nil)
)
