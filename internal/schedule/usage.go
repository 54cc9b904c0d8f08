package schedule

import (
	"time"

	"github.com/rotatord/rotatord/config"
)

// How Project foresees retire_when: unused. Before it retires a key a newer
// one replaced, the daemon asks IAM when the key was last used, and holds
// the retirement until IAM has shown no use for Window.UsageSettle (its
// reporting lag and the quiet span) since the replacement, looking again
// on the way (iamrotate's checkUse). The plan assumes what it assumes of
// every step, that it succeeds: no consumer uses the replaced key any
// more, so a retirement happens when the hold settles, or when
// retire_max_wait ends it, whichever comes first. A strict rotation's old
// key, a grace period's end and a graceful make-room all wait for that.

// usageCoalescing is IAM's 15-minute span in which it records only the
// first use of a key (iamrotate's usageCoalescing).
const usageCoalescing = 15 * time.Minute

// unused reports whether s retires only unused keys.
func unused(s *config.RotatedSecret) bool { return s.RetireWhen == config.RetireWhenUnused }

// settles is when a key of s replaced at replaced counts as unused, IAM
// showing no use after: in the modes where the secret's own key signs
// (use-user-creds, rotator_type: target) the replaced key signed the
// rotation that replaced it, and IAM's last use of it is that rotation's.
func settles(s *config.RotatedSecret, replaced time.Time, settle time.Duration) time.Time {
	t := replaced.Add(settle)
	if s.AuthenticationCredentials == config.UseUserCreds || s.RotatorType == config.RotatorTarget {
		t = t.Add(usageCoalescing)
	}
	return t
}

// waitUnused is when a retirement of a key of s replaced at replaced,
// first looked at at at, happens: at, or when the key settles, bounded by
// retire_max_wait from at.
func waitUnused(s *config.RotatedSecret, replaced, at time.Time, settle time.Duration) time.Time {
	if !unused(s) {
		return at
	}
	t := settles(s, replaced, settle)
	if !t.After(at) {
		return at
	}
	return bounded(s, at, t)
}

// heldEnd is when the held retirement of f ends: when it settles, bounded
// by retire_max_wait from when it was first held; a hold that does not say
// when it settles ends at its next look.
func heldEnd(s *config.RotatedSecret, f Facts) time.Time {
	if f.HeldSettles.IsZero() {
		return f.NextLook
	}
	return bounded(s, f.HeldSince, f.HeldSettles)
}

// bounded is end, or the end of retire_max_wait from since if that comes
// first and the key is then retired anyway (retire_on_timeout: retire).
func bounded(s *config.RotatedSecret, since, end time.Time) time.Time {
	if s.RetireOnTimeout == config.RetireOnTimeoutKeep || s.RetireMaxWait.D() <= 0 {
		return end
	}
	if dl := since.Add(s.RetireMaxWait.D()); dl.Before(end) {
		return dl
	}
	return end
}

// hold makes f the facts of a strict rotation at at whose replaced key is
// held until it settles; false when it settles at once (no hold).
func (f *Facts) hold(s *config.RotatedSecret, at time.Time, settle time.Duration) bool {
	t := settles(s, at, settle)
	if !t.After(at) {
		return false
	}
	f.Previous, f.Replaced = true, at
	f.HeldSince, f.NextLook, f.HeldSettles = at, at, t
	return true
}
