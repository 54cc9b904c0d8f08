package config

import "slices"

// The events rotatord sends to the notify webhooks. Notify.Events lists
// some of them; an empty list means all.
const (
	EventRotationSucceeded = "rotation.succeeded"
	EventRotationFailed    = "rotation.failed"
	EventDeliveryFailed    = "delivery.failed"
	EventDriftDetected     = "drift.detected"
	EventRotationUpcoming  = "rotation.upcoming"
	// EventRetirementHeld: retire_when: unused found the replaced key
	// still in use and holds its retirement (sent once, then daily).
	EventRetirementHeld = "retirement.held"
	// EventRetirementForced: retire_max_wait passed and the key still in
	// use was retired anyway.
	EventRetirementForced = "retirement.forced"
	// EventRollbackSucceeded: rotatord rollback made the previous key
	// current again; EventRollbackFailed: a rollback failed or was refused.
	EventRollbackSucceeded = "rollback.succeeded"
	EventRollbackFailed    = "rollback.failed"
)

// events lists every event, in the order messages name them.
var events = []string{EventRotationSucceeded, EventRotationFailed, EventDeliveryFailed, EventDriftDetected, EventRotationUpcoming,
	EventRetirementHeld, EventRetirementForced, EventRollbackSucceeded, EventRollbackFailed}

// Wants reports whether the webhook receives event: Events lists it, or
// Events is empty (all events).
func (n *Notify) Wants(event string) bool {
	return len(n.Events) == 0 || slices.Contains(n.Events, event)
}
