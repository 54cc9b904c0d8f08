package schedule

import (
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/config"
)

// Facts are what a secret's schedule depends on in its stored state. The
// daemon builds them from the store (daemon's factsOf); the schedule
// never reads the store itself.
type Facts struct {
	// Last is the last rotation, or the current key's creation for a
	// secret rotatord never rotated; zero when unknown.
	Last time.Time
	// Failed: the last attempt failed after Last (the secret's last
	// error is newer than its last rotation).
	Failed bool
	// Previous: a replaced key is still valid (graceful mode, or a
	// revocation not yet deleted); Replaced is when it stopped being
	// current and RevokeAt, if set, when a revocation deletes it.
	Previous bool
	Replaced time.Time
	RevokeAt time.Time
	// HeldSince and NextLook describe a retirement held because the
	// previous key is still in use (retire_when: unused): held since
	// HeldSince, looked at again at NextLook. Zero when nothing is held.
	// HeldRotation: the hold is a rotation's make-room (graceful: the
	// user cannot hold a third key), so the rotation itself waits for
	// the look.
	HeldSince    time.Time
	NextLook     time.Time
	HeldRotation bool
	// HeldSettles is when the held key counts as unused if IAM shows no
	// newer use (state.Hold.Settles); zero for a hold that does not say.
	HeldSettles time.Time
}

// Why a rotation or retirement happens (Entries, Item).
const (
	ReasonInterval   = "interval"    // rotation_interval days after the last rotation
	ReasonCron       = "cron"        // rotation_schedule
	ReasonCatchUp    = "catch-up"    // the due time passed while no rotation ran: at the next rotation hour, or at once (catch_up: immediate)
	ReasonOverdue    = "overdue"     // the last attempt failed; tried again at the next rotation hour
	ReasonUnknownAge = "unknown-age" // the key's age is unknown until the daemon asks IAM; due at the next rotation hour unless younger
	ReasonResume     = "resume"      // an open rotation is finished
	ReasonHeld       = "held"        // rotation: waits for the previous key still in use and looks again; retirement-look: a held retirement is looked at again

	ReasonGracePeriod = "grace-period" // grace_period days after the key was replaced
	ReasonRevoke      = "revoke"       // rotate --revoke-previous --revoke-after
	ReasonMakeRoom    = "make-room"    // graceful: the next rotation deletes the older key
	ReasonStrict      = "strict"       // strict: the rotation retires the key it replaces

	ReasonNotifyBefore = "notify-before" // a rotation.upcoming reminder
)

// Reminder is one rotation.upcoming event: sent at At, Days before the
// rotation due at Due.
type Reminder struct {
	At   time.Time
	Due  time.Time
	Days int
}

// Entries are the schedule entries a secret gets at a given time: what the
// daemon registers (daemon's register) and what the plan projects
// (Project). It is the one place that answers "what does this secret
// get".
type Entries struct {
	// Rotate is the rotation schedule, nil when the secret does not rotate
	// automatically; Next is its next run after now, Reason why.
	Rotate cron.Schedule
	Next   time.Time
	Reason string
	// Schedule is the secret's own schedule (For), whatever a hold made of
	// Rotate; nil when it does not rotate automatically.
	Schedule cron.Schedule
	// Reminders are the rotation.upcoming events still ahead of now,
	// before Next.
	Reminders []Reminder
	// Retire is when the previous key is retired or, with a held
	// retirement, looked at again (zero: no separate retirement; at or
	// before now: at once); RetireReason why.
	Retire       time.Time
	RetireReason string
}

// EntriesFor returns the entries of secret s with facts f at now. The
// error is an invalid rotation_schedule, which validation prevents; the
// retirement is returned with it.
func EntriesFor(s *config.RotatedSecret, f Facts, now time.Time) (Entries, error) {
	var e Entries
	sch, err := For(s, f.Last)
	e.Schedule = sch
	held := !f.NextLook.IsZero()
	switch {
	case sch != nil && held && f.HeldRotation:
		// A look missed while the daemon was down runs at once.
		at := f.NextLook
		if !at.After(now) {
			at = now.Add(time.Second)
		}
		e.Rotate, e.Next, e.Reason = Once{At: at}, at, ReasonHeld
		e.Reminders = Reminders(s, e.Next, now)
	case sch != nil:
		e.Rotate, e.Next, e.Reason = sch, sch.Next(now), rotateReason(s, f, now)
		e.Reminders = Reminders(s, e.Next, now)
	}
	if f.Previous {
		at, ok := RetireAt(s, f.Replaced)
		reason := ReasonGracePeriod
		if r := f.RevokeAt; !r.IsZero() && (!ok || r.Before(at)) {
			at, ok, reason = r, true, ReasonRevoke
		}
		if ok {
			e.Retire, e.RetireReason = at, reason
		}
	}
	if held && (!f.HeldRotation || sch == nil) {
		// A held retirement replaces the one it held.
		e.Retire, e.RetireReason = f.NextLook, ReasonHeld
	}
	return e, err
}

// rotateReason tells why the next rotation of s comes when it does.
func rotateReason(s *config.RotatedSecret, f Facts, now time.Time) string {
	switch {
	case s.RotationSchedule != "":
		return ReasonCron
	case f.Last.IsZero():
		return ReasonUnknownAge
	case !Overdue(s, f.Last, now):
		return ReasonInterval
	case f.Failed:
		return ReasonOverdue
	}
	return ReasonCatchUp
}

// Reminders returns the rotation.upcoming events of a rotation due at
// next: one per notify_before day, those still after now.
func Reminders(s *config.RotatedSecret, next, now time.Time) []Reminder {
	if next.IsZero() {
		return nil
	}
	var out []Reminder
	for _, days := range s.NotifyBefore {
		if at := RemindAt(s, next, days); at.After(now) {
			out = append(out, Reminder{At: at, Due: next, Days: days})
		}
	}
	return out
}
