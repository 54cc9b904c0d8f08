package schedule

import (
	"time"

	"github.com/robfig/cron/v3"
)

// The daylight-saving rule every schedule follows: a wall-clock time runs
// at the first instant at which the zone's clock reads that time or later.
// So a time that does not exist (in the gap of a spring-forward change:
// 02:30 in Berlin on the last Sunday of March) runs when the gap ends
// (03:00 CEST), and a time that happens twice (in the fold of a fall-back
// change) runs once, at its first occurrence (02:30 CEST, not 02:30 CET).

// wallTime returns the first instant at which loc's clock reads the civil
// time y-mo-d h:mi:00 (normalized as time.Date does) or later, in UTC.
func wallTime(loc *time.Location, y int, mo time.Month, d, h, mi int) time.Time {
	return firstAt(loc, time.Date(y, mo, d, h, mi, 0, 0, time.UTC))
}

// firstAt returns the first instant at which loc's clock reads want (a
// civil time, given in UTC) or later, in UTC.
func firstAt(loc *time.Location, want time.Time) time.Time {
	t := time.Date(want.Year(), want.Month(), want.Day(), want.Hour(), want.Minute(), want.Second(), want.Nanosecond(), loc)
	switch got := civil(t); {
	case got.After(want):
		// In a gap, read with the offset before it: the gap ended when
		// t's zone began.
		start, _ := t.ZoneBounds()
		return start.UTC()
	case got.Before(want):
		// In a gap, read with the offset after it: the gap ends when t's
		// zone does.
		_, end := t.ZoneBounds()
		return end.UTC()
	}
	// time.Date may pick either occurrence of a time in a fold: take the
	// one in the zone before t's, when the time exists there too.
	if start, _ := t.ZoneBounds(); !start.IsZero() {
		_, off := t.Zone()
		_, prev := start.Add(-time.Nanosecond).Zone()
		if e := t.Add(time.Duration(off-prev) * time.Second); e.Before(start) && civil(e).Equal(want) {
			return e.UTC()
		}
	}
	return t.UTC()
}

// civil is t's wall-clock reading in its own location, as a UTC time.
func civil(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// Zoned is a cron expression read as wall-clock times of Loc, with the
// daylight-saving rule above. robfig/cron's own SpecSchedule with a
// Location skips a time that falls in a spring-forward gap (0 2 * * * does
// not run that day) and runs a time in a fall-back fold twice; Zoned runs
// the first once when the gap ends and the second once, at its first
// occurrence. Several times in one gap (*/15 2 * * *) run once.
type Zoned struct {
	// Spec is the expression, with its Location UTC: its fields are
	// matched against the civil time, which has no gaps and no folds.
	Spec *cron.SpecSchedule
	Loc  *time.Location
}

var _ cron.Schedule = Zoned{}

// maxFoldSteps bounds the matching times Next passes over that ran before
// t (the rest of a fold): a fold of an hour holds 60 minutes.
const maxFoldSteps = 2000

// Next implements cron.Schedule: the first run strictly after t, in UTC,
// or the zero time when the expression matches nothing within five years.
func (z Zoned) Next(t time.Time) time.Time {
	w := civil(t.In(z.Loc))
	for range maxFoldSteps {
		if w = z.Spec.Next(w); w.IsZero() {
			return w
		}
		if at := wallTime(z.Loc, w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute()); at.After(t) {
			return at
		}
	}
	return time.Time{}
}
