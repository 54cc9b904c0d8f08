package schedule

import (
	"fmt"
	"reflect"
	"sync"

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
		case !sameSchedule(o, n):
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

// Fingerprint identifies the fields that decide when a secret rotates:
// two secrets with the same fingerprint have the same schedule.
func Fingerprint(s *config.RotatedSecret) string {
	return fmt.Sprintf("%t|%d|%d|%q|%s|%t|%d|%s|%s", s.AutoRotate, s.RotationInterval, s.RotationHour,
		s.RotationSchedule, s.CatchUp, s.GraceRotation, s.GracePeriod, s.GraceTiming, s.RotationTimezone)
}

// sameSchedule is Fingerprint(a) == Fingerprint(b), without building the
// strings: a reload compares 100,000 pairs.
func sameSchedule(a, b *config.RotatedSecret) bool {
	return a.AutoRotate == b.AutoRotate && a.RotationInterval == b.RotationInterval &&
		a.RotationHour == b.RotationHour && a.RotationSchedule == b.RotationSchedule &&
		a.CatchUp == b.CatchUp && a.GraceRotation == b.GraceRotation &&
		a.GracePeriod == b.GracePeriod && a.GraceTiming == b.GraceTiming &&
		a.RotationTimezone == b.RotationTimezone
}

// sameSecret reports whether a and b are equal but for their positions in
// the file: moving a secret is no change.
func sameSecret(a, b *config.RotatedSecret) bool {
	return equalBesidesPos(reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem())
}

var posType = reflect.TypeFor[config.Pos]()

// besidesPos caches fieldsBesidesPos.
var besidesPos sync.Map // reflect.Type → []int

// fieldsBesidesPos lists the indexes of t's fields that are not a Pos.
func fieldsBesidesPos(t reflect.Type) []int {
	if fs, ok := besidesPos.Load(t); ok {
		return fs.([]int)
	}
	var fs []int
	for i := range t.NumField() {
		if t.Field(i).Type != posType {
			fs = append(fs, i)
		}
	}
	besidesPos.Store(t, fs)
	return fs
}

// equalBesidesPos is reflect.DeepEqual for configuration values, with
// every Pos field skipped; unlike DeepEqual it allocates nothing for the
// strings, numbers and lists a secret holds, which a reload of 100,000
// secrets compares.
func equalBesidesPos(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Struct:
		for _, i := range fieldsBesidesPos(a.Type()) {
			if !equalBesidesPos(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Interface, reflect.Pointer: // a sink's Spec
		switch {
		case a.IsNil() || b.IsNil():
			return a.IsNil() == b.IsNil()
		case a.Elem().Type() != b.Elem().Type():
			return false
		}
		return equalBesidesPos(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() != b.Len() || a.IsNil() != b.IsNil() {
			return false
		}
		for i := range a.Len() {
			if !equalBesidesPos(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface()) // maps, pointers: rare
}

func sameTarget(a, b *config.Target) bool {
	if a == nil || b == nil {
		return a == b
	}
	a2, b2 := *a, *b
	a2.Pos, b2.Pos = config.Pos{}, config.Pos{}
	return a2 == b2
}
