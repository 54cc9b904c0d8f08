package state

import (
	"fmt"
	"time"
)

// Hold is a held retirement: the replaced key KeyID was used after its
// successor reached every sink, or IAM cannot prove yet that it was not
// (its last-use information lags). The key stays valid in IAM while held.
type Hold struct {
	KeyID string
	// Since is when the retirement was first held; retire_max_wait counts
	// from it.
	Since time.Time
	// LastUsed, Service and Region are IAM's last use of the key at the
	// last look; LastUsed is zero for a key IAM shows as never used.
	LastUsed time.Time
	Service  string
	Region   string
	// Unsettled is true when IAM shows no use after the successor's
	// delivery but that delivery is too recent for IAM to show one yet.
	Unsettled bool
	// NextLook is when the daemon asks IAM again.
	NextLook time.Time
	// Settles is when the key counts as unused if IAM shows no newer use
	// by then: the later of its replacement and the end of its last use's
	// 15-minute span, plus IAM's reporting lag and the quiet span. The
	// daemon retires it at the first look from then on (or at the end of
	// retire_max_wait, whichever comes first); rotatord plan shows that
	// time.
	Settles time.Time
	// Notified is when retirement.held was last sent (once, then daily).
	Notified time.Time
	// Rotation is true when a rotation's make-room found the key in use:
	// the rotation waits for it (the user cannot hold a third key).
	Rotation bool
	// Kept is true once retire_max_wait has passed and retire_on_timeout:
	// keep keeps the key.
	Kept bool
}

// Describe is the hold as list and status show it, such as "previous key
// still in use (s3, eu-west-1, 2 h ago)".
func (h *Hold) Describe(now time.Time) string {
	var msg string
	switch {
	case h.Unsettled && h.LastUsed.IsZero():
		msg = "previous key not used yet; waiting for IAM's last-use data"
	case h.Unsettled:
		msg = fmt.Sprintf("previous key last used %s; waiting for IAM's last-use data", Ago(now, h.LastUsed))
	default:
		msg = fmt.Sprintf("previous key still in use (%s, %s, %s)", h.Service, h.Region, Ago(now, h.LastUsed))
	}
	if h.Kept {
		msg += "; retire_max_wait passed, kept (retire_on_timeout: keep)"
	}
	if h.Rotation {
		msg += "; the rotation waits for it"
	}
	return msg
}

// Ago writes how long before now t was, roughly: "40 s ago", "5 min ago",
// "2 h ago", "3 d ago".
func Ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", max(int(d/time.Second), 0))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d d ago", int(d/(24*time.Hour)))
}

// HeldLook returns when the daemon looks again at the secret's held
// retirement (a planner lists it), or false when none is held.
func (s *Secret) HeldLook() (time.Time, bool) {
	if s.Held == nil {
		return time.Time{}, false
	}
	return s.Held.NextLook, true
}
