package main

import (
	"slices"
	"sort"
	"time"

	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/state"
)

// The documents that the read commands print with -o json and -o yaml,
// all of them here, as docs/output.md describes them. They are stable:
// fields may be added, never renamed or removed. Names are snake_case;
// times are RFC 3339 strings in UTC to the second, null when not set;
// other values that may be missing are null too; lists are [] when empty,
// never null (but status's replicas, null on bbolt).
//
// The documents hold only what the builders below copy into them: no
// config.SecretValue, no state.Version, nothing that marshals itself. The
// one secret, getDoc's SecretAccessKey, is copied only for --reveal.

// listDoc is `rotatord list [FOLDER] -o json|yaml`.
type listDoc struct {
	// Folder is the FOLDER argument in canonical form (/team-a/), or null.
	Folder  *string     `json:"folder" yaml:"folder"`
	Secrets []secretRow `json:"secrets" yaml:"secrets"`
}

// secretRow is one secret in list, and the head of status.
type secretRow struct {
	Name string `json:"name" yaml:"name"`
	// Target is null for the state of a secret no longer configured.
	Target *string `json:"target" yaml:"target"`
	KeyID  *string `json:"key_id" yaml:"key_id"`
	// State: new, ok, failed, queued, running, delivering, rotating
	// (STEP), not configured, archived.
	State        string  `json:"state" yaml:"state"`
	LastRotation *string `json:"last_rotation" yaml:"last_rotation"`
	NextRotation *string `json:"next_rotation" yaml:"next_rotation"`
	// Manual: configured, but not rotated on a schedule (the table's
	// "manual").
	Manual    bool    `json:"manual" yaml:"manual"`
	LastError *string `json:"last_error" yaml:"last_error"`
	// HeldBy is the replica holding the secret's lease, on a shared store.
	HeldBy *string `json:"held_by" yaml:"held_by"`
	// RetirementHeld is the replaced key whose retirement retire_when:
	// unused holds; null when none is.
	RetirementHeld *retirementDoc `json:"retirement_held" yaml:"retirement_held"`
}

// retirementDoc is a held retirement.
type retirementDoc struct {
	// Summary is the text list and status show.
	Summary string  `json:"summary" yaml:"summary"`
	KeyID   string  `json:"key_id" yaml:"key_id"`
	Since   *string `json:"since" yaml:"since"`
	// LastUsed, Service and Region are IAM's last use of the key (null:
	// never used).
	LastUsed *string `json:"last_used" yaml:"last_used"`
	Service  *string `json:"service" yaml:"service"`
	Region   *string `json:"region" yaml:"region"`
	// WaitingForIAM: no use after the replacement shows yet, but IAM's
	// last-use data may still lag.
	WaitingForIAM bool    `json:"waiting_for_iam" yaml:"waiting_for_iam"`
	NextLook      *string `json:"next_look" yaml:"next_look"`
	// Kept: retire_max_wait passed and retire_on_timeout: keep keeps it.
	Kept bool `json:"kept" yaml:"kept"`
	// RotationWaits: the secret's rotation waits for the key.
	RotationWaits bool `json:"rotation_waits" yaml:"rotation_waits"`
}

// reportNow is the clock that "2 h ago" in a held retirement's summary
// counts from (tests fix it).
var reportNow = time.Now

func newRetirementDoc(h *state.Hold) *retirementDoc {
	if h == nil {
		return nil
	}
	d := &retirementDoc{
		Summary: h.Describe(reportNow()), KeyID: h.KeyID, Since: rfc3339(h.Since), LastUsed: rfc3339(h.LastUsed),
		WaitingForIAM: h.Unsettled, NextLook: rfc3339(h.NextLook), Kept: h.Kept, RotationWaits: h.Rotation,
	}
	if !h.LastUsed.IsZero() {
		d.Service, d.Region = optional(h.Service), optional(h.Region)
	}
	return d
}

// statusDoc is `rotatord status NAME -o json|yaml`.
type statusDoc struct {
	secretRow    `yaml:",inline"`
	LeaseExpires *string `json:"lease_expires" yaml:"lease_expires"`
	// Replicas are the daemons running on a shared store (DynamoDB), []
	// when none runs; null on bbolt (a nil pointer: yaml.v3 writes a nil
	// slice as []).
	Replicas     *[]string      `json:"replicas" yaml:"replicas"`
	IAMUserName  *string        `json:"iam_user_name" yaml:"iam_user_name"`
	IAMUserARN   *string        `json:"iam_user_arn" yaml:"iam_user_arn"`
	PendingKeyID *string        `json:"pending_key_id" yaml:"pending_key_id"`
	OpenRotation *rotationDoc   `json:"open_rotation" yaml:"open_rotation"`
	Sinks        []sinkDelivery `json:"sinks" yaml:"sinks"`
}

// rotationDoc is a rotation left open (the journal).
type rotationDoc struct {
	RotationID       string  `json:"rotation_id" yaml:"rotation_id"`
	Started          *string `json:"started" yaml:"started"`
	Step             string  `json:"step" yaml:"step"`
	Manual           bool    `json:"manual" yaml:"manual"`
	NewKeyID         *string `json:"new_key_id" yaml:"new_key_id"`
	DeliveryAttempts int     `json:"delivery_attempts" yaml:"delivery_attempts"`
	NextDelivery     *string `json:"next_delivery" yaml:"next_delivery"`
}

// sinkDelivery is when one sink took the current and the pending version.
type sinkDelivery struct {
	ID               string  `json:"id" yaml:"id"`
	CurrentDelivered *string `json:"current_delivered" yaml:"current_delivered"`
	PendingDelivered *string `json:"pending_delivered" yaml:"pending_delivered"`
}

// versionDoc is one version of a secret, in history and get.
type versionDoc struct {
	Version     int     `json:"version" yaml:"version"`
	AccessKeyID string  `json:"access_key_id" yaml:"access_key_id"`
	State       string  `json:"state" yaml:"state"`
	Created     *string `json:"created" yaml:"created"`
	Replaced    *string `json:"replaced" yaml:"replaced"`
	Retired     *string `json:"retired" yaml:"retired"`
	// Imported: the bootstrap key from the configuration, not created by
	// rotatord.
	Imported bool `json:"imported" yaml:"imported"`
	// RevokeAt: when a key revoked with --revoke-after is to be deleted.
	RevokeAt *string `json:"revoke_at" yaml:"revoke_at"`
	// RevokedFor: the --reason of the revocation that retired it.
	RevokedFor string `json:"revoked_for" yaml:"revoked_for"`
	// DeliveredTo are the IDs of the sinks that took it, sorted.
	DeliveredTo []string `json:"delivered_to" yaml:"delivered_to"`
}

// getDoc is `rotatord get NAME -o json|yaml`.
type getDoc struct {
	Name       string `json:"name" yaml:"name"`
	versionDoc `yaml:",inline"`
	// SecretKept: the store still holds the secret access key (false once
	// the version is retired or pruned).
	SecretKept bool `json:"secret_kept" yaml:"secret_kept"`
	// SecretAccessKey is there only with --reveal (and when kept).
	SecretAccessKey string `json:"secret_access_key,omitempty" yaml:"secret_access_key,omitempty"`
}

// historyDoc is `rotatord history NAME -o json|yaml`.
type historyDoc struct {
	Name     string       `json:"name" yaml:"name"`
	Versions []versionDoc `json:"versions" yaml:"versions"`
	Events   []eventDoc   `json:"events" yaml:"events"`
}

// eventDoc is one audit event.
type eventDoc struct {
	// Seq orders the events of the store, strictly increasing.
	Seq        uint64  `json:"seq" yaml:"seq"`
	Time       *string `json:"time" yaml:"time"`
	RotationID *string `json:"rotation_id" yaml:"rotation_id"`
	Kind       string  `json:"kind" yaml:"kind"`
	KeyID      *string `json:"key_id" yaml:"key_id"`
	Detail     *string `json:"detail" yaml:"detail"`
}

func newListDoc(folder string, rows []control.SecretStatus) listDoc {
	doc := listDoc{Folder: optional(folder), Secrets: make([]secretRow, 0, len(rows))}
	for _, r := range rows {
		doc.Secrets = append(doc.Secrets, newSecretRow(r))
	}
	return doc
}

func newSecretRow(r control.SecretStatus) secretRow {
	return secretRow{
		Name: r.Name, Target: optional(r.Target), KeyID: optional(r.KeyID), State: r.State,
		LastRotation: rfc3339(r.LastRotation), NextRotation: rfc3339(r.NextRotation),
		Manual:    r.Target != "" && r.NextRotation.IsZero(),
		LastError: optional(r.LastError), HeldBy: optional(r.Holder),
		RetirementHeld: newRetirementDoc(r.Held),
	}
}

func newStatusDoc(d *control.SecretDetail) statusDoc {
	doc := statusDoc{
		secretRow:    newSecretRow(d.SecretStatus),
		LeaseExpires: rfc3339(d.LeaseExpires),
		Sinks:        make([]sinkDelivery, 0, len(d.Sinks)),
	}
	if d.Holder == "" {
		doc.LeaseExpires = nil
	}
	if d.Replicas != nil {
		reps := slices.Clone(d.Replicas)
		doc.Replicas = &reps
	}
	pending := false
	if s := d.Secret; s != nil {
		doc.IAMUserName, doc.IAMUserARN = optional(s.UserName), optional(s.UserARN)
		if p := s.Pending(); p != nil {
			pending, doc.PendingKeyID = true, optional(p.AccessKeyID)
		}
		if j := s.Journal; j != nil {
			doc.OpenRotation = &rotationDoc{
				RotationID: j.RotationID, Started: rfc3339(j.Started), Step: string(j.Step), Manual: j.Manual,
				NewKeyID: optional(j.NewKeyID), DeliveryAttempts: j.DeliveryAttempts, NextDelivery: rfc3339(j.NextDelivery),
			}
		}
	}
	for _, s := range d.Sinks {
		sd := sinkDelivery{ID: s.ID, CurrentDelivered: rfc3339(s.Current)}
		if pending {
			sd.PendingDelivered = rfc3339(s.Pending)
		}
		doc.Sinks = append(doc.Sinks, sd)
	}
	return doc
}

func newVersionDoc(v *state.Version) versionDoc {
	doc := versionDoc{
		Version: v.N, AccessKeyID: v.AccessKeyID, State: string(v.State),
		Created: rfc3339(v.Created), Replaced: rfc3339(v.Replaced), Retired: rfc3339(v.Retired),
		Imported: v.Imported, RevokeAt: rfc3339(v.RevokeAt), RevokedFor: v.RevokedFor,
		DeliveredTo: make([]string, 0, len(v.Delivered)),
	}
	for id := range v.Delivered {
		doc.DeliveredTo = append(doc.DeliveredTo, id)
	}
	sort.Strings(doc.DeliveredTo)
	return doc
}

// newGetDoc copies v's secret access key only when reveal.
func newGetDoc(name string, v *state.Version, reveal bool) getDoc {
	doc := getDoc{Name: name, versionDoc: newVersionDoc(v), SecretKept: !v.Value.IsZero()}
	if reveal && doc.SecretKept {
		doc.SecretAccessKey = v.Value.Reveal()
	}
	return doc
}

func newHistoryDoc(s *state.Secret, events []state.Event) historyDoc {
	doc := historyDoc{Name: s.Name, Versions: make([]versionDoc, 0, len(s.Versions)), Events: make([]eventDoc, 0, len(events))}
	for i := range s.Versions {
		doc.Versions = append(doc.Versions, newVersionDoc(&s.Versions[i]))
	}
	for _, e := range events {
		doc.Events = append(doc.Events, eventDoc{
			Seq: e.Seq, Time: rfc3339(e.Time), RotationID: optional(e.RotationID),
			Kind: e.Kind, KeyID: optional(e.KeyID), Detail: optional(e.Detail),
		})
	}
	return doc
}

// planDoc is `rotatord plan -o json|yaml` (docs/output.md).
type planDoc struct {
	Folder *string `json:"folder" yaml:"folder"`
	Days   int     `json:"days" yaml:"days"`
	From   *string `json:"from" yaml:"from"`
	To     *string `json:"to" yaml:"to"`
	// Source is "daemon" (the running daemon's schedule) or "store" (no
	// daemon ran: as one started now would act).
	Source    string        `json:"source" yaml:"source"`
	Items     []planItemDoc `json:"items" yaml:"items"`
	Truncated []string      `json:"truncated" yaml:"truncated"`
}

// planItemDoc is one item of planDoc.
type planItemDoc struct {
	At     *string `json:"at" yaml:"at"`
	Secret string  `json:"secret" yaml:"secret"`
	Kind   string  `json:"kind" yaml:"kind"`
	Reason string  `json:"reason" yaml:"reason"`
	// Due and DaysBefore are a reminder's; null otherwise.
	Due        *string `json:"due" yaml:"due"`
	DaysBefore *int    `json:"days_before" yaml:"days_before"`
	// UID is the item's iCalendar UID, the same from run to run.
	UID string `json:"uid" yaml:"uid"`
}

func newPlanDoc(folder string, days int, p *control.Plan) planDoc {
	doc := planDoc{Folder: optional(folder), Days: days, From: rfc3339(p.From), To: rfc3339(p.To),
		Source: "store", Items: make([]planItemDoc, 0, len(p.Items)), Truncated: append([]string{}, p.Truncated...)}
	if p.Running {
		doc.Source = "daemon"
	}
	for _, it := range p.Items {
		d := planItemDoc{At: rfc3339(it.At), Secret: it.Secret, Kind: it.Kind, Reason: it.Reason, Due: rfc3339(it.Due), UID: itemUID(it)}
		if it.Kind == schedule.KindReminder {
			n := it.Days
			d.DaysBefore = &n
		}
		doc.Items = append(doc.Items, d)
	}
	return doc
}
