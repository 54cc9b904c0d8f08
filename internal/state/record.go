package state

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// The records below are the on-disk form (JSON) of schema version 1. They
// are separate from the exported types so that those can change without
// changing the file, and so that a value is only ever written sealed:
// versionRecord has no field that can hold a config.SecretValue.

type secretRecord struct {
	Name         string          `json:"name"`
	UserName     string          `json:"user_name,omitempty"`
	UserARN      string          `json:"user_arn,omitempty"`
	Versions     []versionRecord `json:"versions,omitempty"`
	LastRotation time.Time       `json:"last_rotation,omitzero"`
	Journal      *journalRecord  `json:"journal,omitempty"`
	LastError    string          `json:"last_error,omitempty"`
	LastErrorAt  time.Time       `json:"last_error_at,omitzero"`
	Archived     bool            `json:"archived,omitempty"`
	Held         *holdRecord     `json:"held,omitempty"`
}

type holdRecord struct {
	KeyID     string    `json:"key_id"`
	Since     time.Time `json:"since"`
	LastUsed  time.Time `json:"last_used,omitzero"`
	Service   string    `json:"service,omitempty"`
	Region    string    `json:"region,omitempty"`
	Unsettled bool      `json:"unsettled,omitempty"`
	NextLook  time.Time `json:"next_look,omitzero"`
	Settles   time.Time `json:"settles,omitzero"`
	Notified  time.Time `json:"notified,omitzero"`
	Rotation  bool      `json:"rotation,omitempty"`
	Kept      bool      `json:"kept,omitempty"`
}

type versionRecord struct {
	N           int    `json:"n"`
	AccessKeyID string `json:"access_key_id"`
	State       string `json:"state"`
	// Sealed is the value sealed by Sealer.Seal; absent when the value is
	// empty or the version retired.
	Sealed     []byte               `json:"sealed,omitempty"`
	Created    time.Time            `json:"created,omitzero"`
	Delivered  map[string]time.Time `json:"delivered,omitempty"`
	Committed  map[string]time.Time `json:"committed,omitempty"`
	Replaced   time.Time            `json:"replaced,omitzero"`
	Retired    time.Time            `json:"retired,omitzero"`
	Imported   bool                 `json:"imported,omitempty"`
	RevokeAt   time.Time            `json:"revoke_at,omitzero"`
	RevokedFor string               `json:"revoked_for,omitempty"`
}

type journalRecord struct {
	RotationID       string    `json:"rotation_id"`
	Started          time.Time `json:"started,omitzero"`
	Step             string    `json:"step"`
	Kind             string    `json:"kind,omitempty"`
	Manual           bool      `json:"manual,omitempty"`
	CurrentKeyID     string    `json:"current_key_id,omitempty"`
	KeysAtInspect    []string  `json:"keys_at_inspect,omitempty"`
	NewKeyID         string    `json:"new_key_id,omitempty"`
	CreateAttempts   int       `json:"create_attempts,omitempty"`
	DeliveryAttempts int       `json:"delivery_attempts,omitempty"`
	NextDelivery     time.Time `json:"next_delivery,omitzero"`
	Revoke           bool      `json:"revoke,omitempty"`
	RevokeAfter      int64     `json:"revoke_after_ns,omitempty"`
	RevokeReason     string    `json:"revoke_reason,omitempty"`
}

// eventRecord is an Event without its Seq, which is the record's key.
type eventRecord struct {
	Time       time.Time `json:"time"`
	Secret     string    `json:"secret"`
	RotationID string    `json:"rotation_id,omitempty"`
	Kind       string    `json:"kind"`
	KeyID      string    `json:"key_id,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}

// encodeSecret seals s's values and encodes it. Retired versions and empty
// values are written without a value whatever s holds.
func encodeSecret(sl *Sealer, s *Secret) ([]byte, error) {
	r := secretRecord{
		Name: s.Name, UserName: s.UserName, UserARN: s.UserARN,
		LastRotation: utc(s.LastRotation), LastError: s.LastError,
		LastErrorAt: utc(s.LastErrorAt), Archived: s.Archived,
	}
	for _, v := range s.Versions {
		vr := versionRecord{
			N: v.N, AccessKeyID: v.AccessKeyID, State: string(v.State),
			Created: utc(v.Created), Replaced: utc(v.Replaced), Retired: utc(v.Retired),
			Imported: v.Imported, RevokeAt: utc(v.RevokeAt), RevokedFor: v.RevokedFor,
		}
		if v.State != Retired && !v.Value.IsZero() {
			vr.Sealed = sl.Seal(s.Name, v.AccessKeyID, v.Value)
		}
		vr.Delivered = utcTimes(v.Delivered)
		vr.Committed = utcTimes(v.Committed)
		r.Versions = append(r.Versions, vr)
	}
	if j := s.Journal; j != nil {
		r.Journal = &journalRecord{
			RotationID: j.RotationID, Started: utc(j.Started), Step: string(j.Step), Kind: string(j.Kind),
			Manual: j.Manual, CurrentKeyID: j.CurrentKeyID,
			KeysAtInspect: slices.Clone(j.KeysAtInspect), NewKeyID: j.NewKeyID,
			CreateAttempts: j.CreateAttempts, DeliveryAttempts: j.DeliveryAttempts,
			NextDelivery: utc(j.NextDelivery),
			Revoke:       j.Revoke, RevokeAfter: int64(j.RevokeAfter), RevokeReason: j.RevokeReason,
		}
	}
	if h := s.Held; h != nil {
		r.Held = &holdRecord{
			KeyID: h.KeyID, Since: utc(h.Since), LastUsed: utc(h.LastUsed), Service: h.Service, Region: h.Region,
			Unsettled: h.Unsettled, NextLook: utc(h.NextLook), Settles: utc(h.Settles), Notified: utc(h.Notified), Rotation: h.Rotation, Kept: h.Kept,
		}
	}
	return json.Marshal(r)
}

// decodeSecret decodes and unseals a record that encodeSecret wrote. The
// result shares no memory with anything else.
func decodeSecret(sl *Sealer, data []byte) (*Secret, error) {
	var r secretRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	s := &Secret{
		Name: r.Name, UserName: r.UserName, UserARN: r.UserARN,
		LastRotation: r.LastRotation, LastError: r.LastError,
		LastErrorAt: r.LastErrorAt, Archived: r.Archived,
	}
	for _, vr := range r.Versions {
		v := Version{
			N: vr.N, AccessKeyID: vr.AccessKeyID, State: VersionState(vr.State),
			Created: vr.Created, Replaced: vr.Replaced, Retired: vr.Retired,
			Imported: vr.Imported, Delivered: vr.Delivered, Committed: vr.Committed,
			RevokeAt: vr.RevokeAt, RevokedFor: vr.RevokedFor,
		}
		if len(vr.Sealed) > 0 {
			val, err := sl.Open(r.Name, vr.AccessKeyID, vr.Sealed)
			if err != nil {
				return nil, fmt.Errorf("version %d (%s): %w", vr.N, vr.AccessKeyID, err)
			}
			v.Value = val
		}
		s.Versions = append(s.Versions, v)
	}
	if j := r.Journal; j != nil {
		s.Journal = &Journal{
			RotationID: j.RotationID, Started: j.Started, Step: Step(j.Step), Kind: Kind(j.Kind),
			Manual: j.Manual, CurrentKeyID: j.CurrentKeyID,
			KeysAtInspect: j.KeysAtInspect, NewKeyID: j.NewKeyID,
			CreateAttempts: j.CreateAttempts, DeliveryAttempts: j.DeliveryAttempts,
			NextDelivery: j.NextDelivery,
			Revoke:       j.Revoke, RevokeAfter: time.Duration(j.RevokeAfter), RevokeReason: j.RevokeReason,
		}
	}
	if h := r.Held; h != nil {
		s.Held = &Hold{
			KeyID: h.KeyID, Since: h.Since, LastUsed: h.LastUsed, Service: h.Service, Region: h.Region,
			Unsettled: h.Unsettled, NextLook: h.NextLook, Settles: h.Settles, Notified: h.Notified, Rotation: h.Rotation, Kept: h.Kept,
		}
	}
	return s, nil
}

func encodeEvent(e Event) ([]byte, error) {
	return json.Marshal(eventRecord{
		Time: utc(e.Time), Secret: e.Secret, RotationID: e.RotationID,
		Kind: e.Kind, KeyID: e.KeyID, Detail: e.Detail,
	})
}

func decodeEvent(seq uint64, data []byte) (Event, error) {
	var r eventRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return Event{}, fmt.Errorf("decode event %d: %w", seq, err)
	}
	return Event{
		Seq: seq, Time: r.Time, Secret: r.Secret, RotationID: r.RotationID,
		Kind: r.Kind, KeyID: r.KeyID, Detail: r.Detail,
	}, nil
}

// utc returns t in UTC without a monotonic reading; the zero time stays zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// utcTimes copies a sink-id → time map in UTC; nil when empty.
func utcTimes(m map[string]time.Time) map[string]time.Time {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]time.Time, len(m))
	for id, t := range m {
		out[id] = utc(t)
	}
	return out
}
