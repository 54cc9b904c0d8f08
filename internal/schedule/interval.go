// Package schedule decides when secrets rotate: every rotation_interval days
// at rotation_hour UTC counted from the last rotation, or a cron expression;
// catch-up after downtime; the diff of two configurations' schedules; and
// Timer, the min-heap runner that fires the daemon's jobs.
package schedule

import (
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/config"
)

// Interval is a cron.Schedule for "every Days days at Hour:00 UTC, counted
// from Last". A cron day-of-month step (*/N) is wrong for this: it restarts
// every month. Interval counts calendar days, so the gap between rotations
// is exactly Days days across month ends, leap days and year ends.
type Interval struct {
	Days int
	Hour int
	// Last is the last rotation (or the key's creation for a secret
	// rotatord never rotated).
	Last time.Time
}

var _ cron.Schedule = Interval{}

// Due is when the next rotation falls due: Hour:00 UTC on the day Last +
// Days.
func (s Interval) Due() time.Time {
	l := s.Last.UTC()
	return time.Date(l.Year(), l.Month(), l.Day()+s.Days, s.Hour, 0, 0, 0, time.UTC)
}

// Next implements cron.Schedule: the due time if it is after t; for a
// secret already due, the next Hour:00 UTC after t (catch-up at the next
// rotation hour).
func (s Interval) Next(t time.Time) time.Time {
	if due := s.Due(); due.After(t) {
		return due
	}
	return NextHour(t, s.Hour)
}

// NextHour is the first hour:00 UTC strictly after t.
func NextHour(t time.Time, hour int) time.Time {
	u := t.UTC()
	n := time.Date(u.Year(), u.Month(), u.Day(), hour, 0, 0, 0, time.UTC)
	if !n.After(u) {
		n = n.AddDate(0, 0, 1)
	}
	return n
}

// Next returns when the secret next rotates after now, given its last
// rotation; ok is false for a secret that is not rotated automatically.
func Next(s *config.RotatedSecret, last, now time.Time) (next time.Time, ok bool, err error) {
	sch, err := For(s, last)
	if err != nil || sch == nil {
		return time.Time{}, false, err
	}
	return sch.Next(now), true, nil
}
