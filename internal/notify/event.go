package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rotatord/rotatord/config"
)

// Event kinds: the values of Event.Kind and of a target's events list
// (the same strings as config's Event* constants, which validate it).
const (
	RotationSucceeded = config.EventRotationSucceeded
	RotationFailed    = config.EventRotationFailed
	DeliveryFailed    = config.EventDeliveryFailed
	DriftDetected     = config.EventDriftDetected
	RotationUpcoming  = config.EventRotationUpcoming
	RetirementHeld    = config.EventRetirementHeld
	RetirementForced  = config.EventRetirementForced
	RollbackSucceeded = config.EventRollbackSucceeded
	RollbackFailed    = config.EventRollbackFailed
)

// Kinds lists every event kind, in the order of the documentation.
func Kinds() []string {
	return []string{RotationSucceeded, RotationFailed, DeliveryFailed, DriftDetected, RotationUpcoming, RetirementHeld, RetirementForced,
		RollbackSucceeded, RollbackFailed}
}

func knownKind(k string) bool {
	for _, v := range Kinds() {
		if v == k {
			return true
		}
	}
	return false
}

// Event is something that happened to a rotated secret. It never holds a
// secret value: Detail is an error text or a remark, which the caller
// builds from sanitized errors. Its JSON form is the body of a json
// target (docs/webhooks.md).
type Event struct {
	Kind       string    `json:"event"`
	Secret     string    `json:"secret"`
	RotationID string    `json:"rotation_id,omitempty"`
	KeyID      string    `json:"access_key_id,omitempty"` // the key concerned, if any
	Detail     string    `json:"detail,omitempty"`
	Time       time.Time `json:"timestamp"`    // zero: Send fills in the time of sending
	Due        time.Time `json:"due,omitzero"` // rotation.upcoming: when the rotation is due
}

// normalize puts e's times in UTC, whole seconds, as the documentation
// shows them; a zero Time becomes now.
func (e Event) normalize(now time.Time) Event {
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = e.Time.UTC().Truncate(time.Second)
	if !e.Due.IsZero() {
		e.Due = e.Due.UTC().Truncate(time.Second)
	}
	return e
}

// body renders e in format (config.NotifyJSON or config.NotifySlack).
func body(format string, e Event) ([]byte, error) {
	if format == config.NotifySlack {
		return json.Marshal(struct {
			Text string `json:"text"`
		}{slackText(e)})
	}
	return json.Marshal(e)
}

// slackText is the one-line message of a slack target, such as
// "rotatord: rotation of /team/x failed: verify: timeout (rotation r-1)".
// '&', '<' and '>' are escaped as Slack requires, so a name or detail
// cannot inject a mention or a link.
func slackText(e Event) string {
	var msg string
	switch e.Kind {
	case RotationSucceeded:
		msg = "rotation of " + e.Secret + " succeeded"
		if e.KeyID != "" {
			msg += ": new key " + e.KeyID
		}
	case RotationFailed:
		msg = withDetail("rotation of "+e.Secret+" failed", e.Detail)
	case DeliveryFailed:
		msg = withDetail("delivery of "+e.Secret+" failed", e.Detail)
	case DriftDetected:
		msg = withDetail("drift detected on "+e.Secret, e.Detail)
	case RetirementHeld:
		msg = withDetail("retirement of a replaced key of "+e.Secret+" is held", e.Detail)
	case RetirementForced:
		msg = withDetail("replaced key of "+e.Secret+" retired although still in use", e.Detail)
	case RollbackSucceeded:
		msg = withDetail("rollback of "+e.Secret+" succeeded", e.Detail)
		if e.KeyID != "" {
			msg += ": current key " + e.KeyID
		}
	case RollbackFailed:
		msg = withDetail("rollback of "+e.Secret+" failed", e.Detail)
	case RotationUpcoming:
		msg = "rotation of " + e.Secret + " is due"
		if !e.Due.IsZero() {
			msg += " at " + e.Due.Format(time.RFC3339)
		}
		msg = withDetail(msg, e.Detail)
	default:
		msg = withDetail(fmt.Sprintf("%s on %s", e.Kind, e.Secret), e.Detail)
	}
	if e.RotationID != "" {
		msg += " (rotation " + e.RotationID + ")"
	}
	return slackEscape("rotatord: " + msg)
}

func withDetail(msg, detail string) string {
	if detail == "" {
		return msg
	}
	return msg + ": " + detail
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackEscape(s string) string { return slackEscaper.Replace(s) }
