package daemon

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/notify"
	"github.com/rotatord/rotatord/internal/state"
)

// Held retirements (retire_when: unused). A retirement held in a
// rotation's make-room is looked at again by the rotation itself, which
// runs once at the hold's next look instead of on its schedule (it is due,
// and would otherwise run again at once); any other hold (a strict
// rotation's old key, a grace period's end, a secret without a schedule)
// by the retirement job, in the grace-period entry's place. Both are
// schedule.EntriesFor's, from the facts factsOf (plan.go) reads.

// heldMetrics count held retirements: those held because the key was seen
// in use (not those only waiting for IAM's last-use data after a strict
// rotation, which every strict rotation is for a few hours).
type heldMetrics struct {
	mu    sync.Mutex
	keys  map[string]string // secret → held key
	now   prometheus.Gauge
	total prometheus.Counter
}

func newHeldMetrics() *heldMetrics {
	return &heldMetrics{
		keys: map[string]string{},
		now: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rotatord_retirements_held", Help: "Replaced keys whose retirement is held now because IAM saw them in use (retire_when: unused).",
		}),
		total: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rotatord_retirements_held_total", Help: "Retirements held because IAM saw the replaced key in use, counted once per key.",
		}),
	}
}

// holds records the secret's held retirement from its state (nil: none).
func (m *metrics) holds(secret string, st *state.Secret) {
	h := m.held
	key := ""
	if st != nil && st.Held != nil && !st.Held.Unsettled {
		key = st.Held.KeyID
	}
	h.mu.Lock()
	old := h.keys[secret]
	if key == "" {
		delete(h.keys, secret)
	} else {
		h.keys[secret] = key
	}
	n := len(h.keys)
	h.mu.Unlock()
	if key != "" && key != old {
		h.total.Inc()
	}
	h.now.Set(float64(n))
}

// notifyAudit turns the audit events that are notifications into them.
func (d *Daemon) notifyAudit(e state.Event) {
	switch e.Kind {
	case notify.DriftDetected, notify.RetirementHeld, notify.RetirementForced, notify.RollbackSucceeded, notify.RollbackFailed:
		d.notify(notify.Event{Kind: e.Kind, Secret: e.Secret, RotationID: e.RotationID, KeyID: e.KeyID, Detail: e.Detail, Time: e.Time})
	case "rollback.refused":
		d.notify(notify.Event{Kind: notify.RollbackFailed, Secret: e.Secret, KeyID: e.KeyID, Detail: "refused: " + e.Detail, Time: e.Time})
	}
}

// notifyRotation turns a rotation's end into a notification.
func (d *Daemon) notifyRotation(secret string, res *iamrotate.Result, err error) {
	e := notify.Event{Secret: secret}
	if res != nil {
		e.RotationID, e.KeyID = res.RotationID, res.NewKeyID
	}
	switch {
	case errors.Is(err, iamrotate.ErrRetirementHeld):
		return // retirement.held says it
	case err == nil:
		e.Kind = notify.RotationSucceeded
	case errors.Is(err, iamrotate.ErrDeliveryPending):
		e.Kind, e.Detail = notify.DeliveryFailed, err.Error()
	default:
		e.Kind, e.Detail = notify.RotationFailed, err.Error()
	}
	d.notify(e)
}
