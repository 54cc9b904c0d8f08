// Package schedule decides when secrets rotate: every rotation_interval days
// at rotation_hour in the secret's rotation_timezone counted from the last
// rotation, or a cron expression read in that zone; catch-up after
// downtime; the diff of two configurations' schedules; and Timer, the
// min-heap runner that fires the daemon's jobs. Every time it computes
// follows one daylight-saving rule (wall.go) and is returned in UTC.
package schedule

import (
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/config"
)

// Interval is a cron.Schedule for "every Days days at Hour:00 of Loc's
// wall clock, counted in Loc's calendar days from Last". A cron
// day-of-month step (*/N) is wrong for this: it restarts every month.
// Interval counts calendar days, so rotations are exactly Days calendar
// days apart across month ends, leap days and year ends; in a zone with
// daylight saving a day across a change is 23 or 25 hours long. An Hour
// that a spring-forward change skips runs when the gap ends, and one that
// a fall-back change repeats runs at its first occurrence (wall.go).
type Interval struct {
	Days int
	Hour int
	// Last is the last rotation (or the key's creation for a secret
	// rotatord never rotated).
	Last time.Time
	// Loc is the zone of Hour and of the calendar days (the secret's
	// rotation_timezone); nil is UTC.
	Loc *time.Location
}

var _ cron.Schedule = Interval{}

func (s Interval) loc() *time.Location {
	if s.Loc == nil {
		return time.UTC
	}
	return s.Loc
}

// Due is when the next rotation falls due, in UTC: Hour:00 local time on
// the local day Last + Days.
func (s Interval) Due() time.Time {
	l := s.Last.In(s.loc())
	return wallTime(s.loc(), l.Year(), l.Month(), l.Day()+s.Days, s.Hour, 0)
}

// Next implements cron.Schedule: the due time if it is after t; for a
// secret already due, the next Hour:00 local time after t (catch-up at
// the next rotation hour).
func (s Interval) Next(t time.Time) time.Time {
	if due := s.Due(); due.After(t) {
		return due
	}
	return NextHourIn(t, s.Hour, s.loc())
}

// NextHour is the first hour:00 UTC strictly after t.
func NextHour(t time.Time, hour int) time.Time { return NextHourIn(t, hour, time.UTC) }

// NextHourIn is the first hour:00 of loc's wall clock strictly after t,
// in UTC, under the daylight-saving rule of wall.go: on a day whose
// hour:00 falls in a gap it is the gap's end, and an hour that happens
// twice counts once, at its first occurrence (so t in the second one
// gives the next day's).
func NextHourIn(t time.Time, hour int, loc *time.Location) time.Time {
	l := t.In(loc)
	n := wallTime(loc, l.Year(), l.Month(), l.Day(), hour, 0)
	if !n.After(t) {
		n = wallTime(loc, l.Year(), l.Month(), l.Day()+1, hour, 0)
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
