package schedule

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/rotatord/rotatord/config"
)

// Delta is how the secrets of two configurations differ, by name.
type Delta struct {
	// Added and Removed are secrets only in the new, only in the old.
	Added, Removed []string
	// Rescheduled are secrets in both whose schedule changed: their entry
	// must be replaced.
	Rescheduled []string
	// Changed are secrets in both that changed otherwise (sinks, options,
	// their target): their schedule entry stays, the next rotation uses the
	// new settings.
	Changed []string
}

// Empty reports whether nothing changed.
func (d Delta) Empty() bool {
	return len(d.Added)+len(d.Removed)+len(d.Rescheduled)+len(d.Changed) == 0
}

// Diff compares the secrets of two configurations. A secret whose schedule
// did not change is never in Rescheduled, so a reload leaves its entry
// alone.
func Diff(old, new *config.Config) Delta {
	var d Delta
	before := make(map[string]*config.RotatedSecret, len(old.Secrets))
	for i := range old.Secrets {
		before[old.Secrets[i].Name] = &old.Secrets[i]
	}
	for i := range new.Secrets {
		n := &new.Secrets[i]
		o, ok := before[n.Name]
		delete(before, n.Name)
		switch {
		case !ok:
			d.Added = append(d.Added, n.Name)
		case Fingerprint(o) != Fingerprint(n):
			d.Rescheduled = append(d.Rescheduled, n.Name)
		case !sameSecret(o, n) || !sameTarget(old.TargetByName(o.Target), new.TargetByName(n.Target)):
			d.Changed = append(d.Changed, n.Name)
		}
	}
	for i := range old.Secrets {
		if _, gone := before[old.Secrets[i].Name]; gone {
			d.Removed = append(d.Removed, old.Secrets[i].Name)
		}
	}
	return d
}

// Fingerprint identifies the fields that decide when a secret rotates.
func Fingerprint(s *config.RotatedSecret) string {
	return fmt.Sprintf("%t|%d|%d|%q|%s|%t|%d|%s", s.AutoRotate, s.RotationInterval, s.RotationHour,
		s.RotationSchedule, s.CatchUp, s.GraceRotation, s.GracePeriod, s.GraceTiming)
}

func sameSecret(a, b *config.RotatedSecret) bool {
	a2, b2 := *a, *b
	a2.Pos, b2.Pos = config.Pos{}, config.Pos{}
	a2.Sinks, b2.Sinks = withoutPos(a.Sinks), withoutPos(b.Sinks)
	return reflect.DeepEqual(a2, b2)
}

// withoutPos copies sinks with their positions cleared: moving a secret in
// the file is no change.
func withoutPos(sinks []config.Sink) []config.Sink {
	out := slices.Clone(sinks)
	for i := range out {
		out[i].Pos = config.Pos{}
	}
	return out
}

func sameTarget(a, b *config.Target) bool {
	if a == nil || b == nil {
		return a == b
	}
	a2, b2 := *a, *b
	a2.Pos, b2.Pos = config.Pos{}, config.Pos{}
	return a2 == b2
}
