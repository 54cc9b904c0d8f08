package schedule

import (
	"time"

	"github.com/rotatord/rotatord/config"
)

// What an Item does.
const (
	KindRotation   = "rotation"        // a new key replaces the current one
	KindRetirement = "retirement"      // the previous key is deleted (or deactivated: retire: deactivate)
	KindLook       = "retirement-look" // a held retirement is looked at again; the key is retired if no longer used
	KindReminder   = "reminder"        // rotation.upcoming is sent to notify
)

// Item is one thing the daemon will do for a secret, at At.
type Item struct {
	At     time.Time
	Kind   string // KindRotation, KindRetirement, KindLook, KindReminder
	Reason string // the Reason* constants
	// Due and Days are a reminder's rotation and how many days before it
	// the reminder comes; zero otherwise.
	Due  time.Time
	Days int
}

// Window is the span Project covers: from From (the daemon's now) to To,
// inclusive.
type Window struct {
	From, To time.Time
	// Start, if set, is the reason of a rotation the daemon runs at From
	// before anything else: an open rotation it finishes (ReasonResume),
	// or catch_up: immediate (ReasonCatchUp).
	Start string
	// Max bounds the items of one secret (a cron schedule such as @every
	// 30s has millions in a year); 0 means DefaultMaxItems.
	Max int
	// UsageSettle is how long after its replacement a key IAM shows no
	// newer use of counts as unused (retire_when: unused; usage.go).
	UsageSettle time.Duration
}

// DefaultMaxItems is Window.Max's default.
const DefaultMaxItems = 5000

// Project returns, in time order, what the daemon does for secret s with
// facts f within w: each step is EntriesFor at the time of the one
// before, as the daemon registers the secret again after each job, with
// the facts a successful rotation or retirement leaves. truncated reports
// items left out past w.Max.
func Project(s *config.RotatedSecret, f Facts, w Window) (items []Item, truncated bool, err error) {
	limit := w.Max
	if limit <= 0 {
		limit = DefaultMaxItems
	}
	now := w.From
	add := func(it Item) bool {
		if len(items) >= limit {
			truncated = true
			return false
		}
		items = append(items, it)
		return true
	}
	if w.Start != "" {
		if !rotate(s, &f, now, w.Start, w.UsageSettle, add) {
			return items, truncated, nil
		}
	}
	for {
		e, err := EntriesFor(s, f, now)
		if err != nil {
			return items, truncated, err
		}
		retire := !e.Retire.IsZero()
		retireAt := maxTime(e.Retire, now)
		rotates := e.Rotate != nil && !e.Next.IsZero()
		next := e.Next
		switch held := !f.NextLook.IsZero(); {
		case held && rotates && !f.HeldRotation && next.Before(maxTime(heldEnd(s, f), now)):
			// A rotation due while the key is held waits for it: its
			// make-room would delete the held key.
			f.HeldRotation, f.NextLook = true, next
			continue
		case held:
			end := maxTime(heldEnd(s, f), now)
			if retire && e.RetireReason == ReasonHeld {
				retireAt = maxTime(end, retireAt)
			}
			if rotates && e.Reason == ReasonHeld {
				next = maxTime(end, next)
			}
		case f.Previous && unused(s):
			if retire && e.RetireReason == ReasonGracePeriod {
				retireAt = waitUnused(s, f.Replaced, retireAt, w.UsageSettle)
			}
			if rotates && s.Graceful() && (!retire || !retireAt.Before(next)) {
				next = waitUnused(s, f.Replaced, next, w.UsageSettle) // its make-room
			}
		}
		var at time.Time
		switch {
		case retire && (!rotates || retireAt.Before(next)):
			at = retireAt
		case rotates:
			at, retire = next, false
		default:
			return items, truncated, nil
		}
		for _, r := range e.Reminders {
			if r.At.Before(at) && !r.At.After(w.To) {
				if !add(Item{At: r.At, Kind: KindReminder, Reason: ReasonNotifyBefore, Due: r.Due, Days: r.Days}) {
					return items, truncated, nil
				}
			}
		}
		if at.After(w.To) {
			return items, truncated, nil
		}
		now = at
		if retire {
			kind := KindRetirement
			if e.RetireReason == ReasonHeld {
				kind = KindLook
			}
			if !add(Item{At: at, Kind: kind, Reason: e.RetireReason}) {
				return items, truncated, nil
			}
			f.retired()
			continue
		}
		if !rotate(s, &f, at, e.Reason, w.UsageSettle, add) {
			return items, truncated, nil
		}
	}
}

// rotate adds a rotation at at and the retirement it makes itself, and
// moves f past it; false when the items are full. With retire_when:
// unused a strict rotation's old key is held until it settles.
func rotate(s *config.RotatedSecret, f *Facts, at time.Time, reason string, settle time.Duration, add func(Item) bool) bool {
	if !add(Item{At: at, Kind: KindRotation, Reason: reason}) {
		return false
	}
	strictHold := !s.Graceful() && unused(s) && settles(s, at, settle).After(at)
	switch {
	case strictHold && f.Previous:
		if !add(Item{At: at, Kind: KindRetirement, Reason: ReasonMakeRoom}) { // the held key
			return false
		}
	case strictHold:
	case !s.Graceful():
		if !add(Item{At: at, Kind: KindRetirement, Reason: ReasonStrict}) {
			return false
		}
	case f.Previous:
		if !add(Item{At: at, Kind: KindRetirement, Reason: ReasonMakeRoom}) {
			return false
		}
	}
	f.Rotated(s, at)
	if strictHold {
		f.hold(s, at, settle)
	}
	return true
}

// Rotated moves f past a successful rotation of s at at: graceful mode
// keeps the replaced key as the previous one.
func (f *Facts) Rotated(s *config.RotatedSecret, at time.Time) {
	*f = Facts{Last: at}
	if s.Graceful() {
		f.Previous, f.Replaced = true, at
	}
}

// retired moves f past the previous key's retirement.
func (f *Facts) retired() {
	*f = Facts{Last: f.Last, Failed: f.Failed}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
