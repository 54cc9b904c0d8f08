package daemon

// What a secret gets, decided once for the daemon and its plan: the facts
// its schedule depends on (factsOf, for register and the plan alike), the
// job it needs at start-up (startJob, for startSecret and the offline
// plan), and the plan itself (view.Plan, over schedule.Project).

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/state"
)

var (
	_ control.Planner = (*Offline)(nil)
	_ control.Planner = (*backend)(nil)
)

// factsOf is what the schedule of a secret depends on in its state (nil:
// none). register and the plan both build their entries from it.
func factsOf(st *state.Secret) schedule.Facts {
	var f schedule.Facts
	if st == nil {
		return f
	}
	f.Last, f.Failed = st.LastRotation, st.LastError != ""
	if p := st.Previous(); p != nil {
		f.Previous, f.Replaced, f.RevokeAt = true, p.Replaced, p.RevokeAt
	}
	if h := st.Held; h != nil {
		// retire_when: unused. schedule.EntriesFor moves a held make-room's
		// rotation to the look, and makes any other hold's retirement entry
		// a look at NextLook.
		f.HeldSince, f.NextLook, f.HeldRotation, f.HeldSettles = h.Since, h.NextLook, h.Rotation, h.Settles
	}
	return f
}

// startJob is the job a secret needs when a daemon starts, and for a
// rotation its reason (schedule.ReasonResume or ReasonCatchUp): an open
// rotation is finished, a secret of unknown age is discovered, an overdue
// one with catch_up: immediate rotates, and the others get their current
// key written to any sink that lost it (a tmpfs, a new pod's volume). The
// plan (plan.go) asks it too.
func startJob(rs *config.RotatedSecret, st *state.Secret, now time.Time) (kind jobKind, reason string, ok bool) {
	switch {
	case st != nil && st.Journal != nil:
		return jobRotate, schedule.ReasonResume, true
	case rs.AutoRotate && rs.RotationSchedule == "" && (st == nil || st.LastRotation.IsZero()):
		return jobDiscover, "", true
	case st != nil && catchUpNow(rs, st, now):
		return jobRotate, schedule.ReasonCatchUp, true
	case st != nil && st.Current() != nil:
		return jobRefresh, "", true
	}
	return 0, "", false
}

// Plan implements control.Planner for the offline view and the running
// daemon: every configured secret under q.Folder projected with
// schedule.Project from its stored facts. The offline view plans what a
// daemon started now would do (startJob); the running daemon what its
// schedule holds, an open rotation at its entry's time.
func (v *view) Plan(ctx context.Context, q control.PlanQuery) (*control.Plan, error) {
	if q.Days < 1 || q.Days > control.MaxPlanDays {
		return nil, fmt.Errorf("plan: days must be 1..%d, not %d", control.MaxPlanDays, q.Days)
	}
	cfg := v.cfg()
	now := v.now().UTC()
	p := &control.Plan{From: now, To: now.AddDate(0, 0, q.Days), Running: v.next != nil, Items: []control.PlanItem{}}
	for i := range cfg.Secrets {
		rs := &cfg.Secrets[i]
		if q.Folder != "" && !config.InFolder(rs.Name, q.Folder) {
			continue
		}
		st, err := v.store.Get(ctx, rs.Name)
		switch {
		case err == nil:
		case errors.Is(err, state.ErrNotFound):
			st = nil
		default:
			return nil, fmt.Errorf("plan %s: %w", rs.Name, err)
		}
		items, truncated, err := v.planSecret(rs, st, p.From, p.To)
		if err != nil {
			return nil, fmt.Errorf("plan %s: %w", rs.Name, err)
		}
		for _, it := range items {
			p.Items = append(p.Items, control.PlanItem{At: it.At, Secret: rs.Name, Kind: it.Kind, Reason: it.Reason, Due: it.Due, Days: it.Days})
		}
		if truncated {
			p.Truncated = append(p.Truncated, rs.Name)
		}
	}
	// Stable: at one time, the file's order, then each secret's own.
	sort.SliceStable(p.Items, func(i, j int) bool { return p.Items[i].At.Before(p.Items[j].At) })
	return p, nil
}

// planSecret projects one secret from now to to.
func (v *view) planSecret(rs *config.RotatedSecret, st *state.Secret, now, to time.Time) ([]schedule.Item, bool, error) {
	w := schedule.Window{From: now, To: to, UsageSettle: v.settle()}
	if v.next == nil {
		if kind, reason, ok := startJob(rs, st, now); ok && kind == jobRotate {
			w.Start = reason
		}
	} else if st != nil && st.Journal != nil {
		// The running daemon finishes an open rotation (a pending
		// delivery) at its entry's time.
		if at, ok := v.next(rs.Name); ok && at.After(now) {
			w.From = at
		}
		w.Start = schedule.ReasonResume
	}
	return schedule.Project(rs, factsOf(st), w)
}
