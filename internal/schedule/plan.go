package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/config"
)

// For returns the cron.Schedule of a secret's rotations given its last
// rotation, or nil when it is not rotated automatically. An overdue secret
// rotates at the next rotation hour (catch_up: next-hour; Overdue tells
// the caller when catch_up: immediate should run it now).
//
// With grace_timing: before and grace_period D, the new key is created D
// days before the old one's due date, so rotations come every interval-D
// days and each key lives interval days.
//
// Hours, cron fields and days are those of the secret's rotation_timezone
// (s.Location()), under the daylight-saving rule of wall.go; the times the
// schedule returns are in UTC.
func For(s *config.RotatedSecret, last time.Time) (cron.Schedule, error) {
	if !s.AutoRotate {
		return nil, nil
	}
	loc := s.Location()
	if s.RotationSchedule != "" {
		sch, err := config.ParseSchedule(s.RotationSchedule)
		if err != nil {
			return nil, fmt.Errorf("rotation_schedule of %s: %w", s.Name, err)
		}
		if spec, ok := sch.(*cron.SpecSchedule); ok && loc != time.UTC {
			return Zoned{Spec: spec, Loc: loc}, nil
		}
		return sch, nil
	}
	days := s.RotationInterval
	if s.GraceRotation && s.GraceTiming == config.GraceTimingBefore && s.GracePeriod > 0 {
		days -= s.GracePeriod
	}
	// An unknown last rotation (zero) makes the secret due at the next
	// rotation hour; the daemon discovers the key's age before then.
	return Interval{Days: days, Hour: s.RotationHour, Last: last, Loc: loc}, nil
}

// Overdue reports whether a secret last rotated at last fell due before
// now: the rotation it missed (the daemon was down, or a rotation failed).
func Overdue(s *config.RotatedSecret, last, now time.Time) bool {
	sch, err := For(s, last)
	if err != nil || sch == nil || last.IsZero() {
		return false
	}
	if iv, ok := sch.(Interval); ok {
		return !iv.Due().After(now)
	}
	next := sch.Next(last)
	return !next.IsZero() && !next.After(now)
}

// RetireAt is when a graceful secret's previous key, replaced at replaced,
// is removed: grace_period local calendar days later (in the secret's
// rotation_timezone), at the same wall-clock time, in UTC. ok is false
// when the previous key stays until the next rotation.
func RetireAt(s *config.RotatedSecret, replaced time.Time) (at time.Time, ok bool) {
	if !s.GraceRotation || s.GracePeriod <= 0 || replaced.IsZero() {
		return time.Time{}, false
	}
	return AddDays(replaced, s.GracePeriod, s.Location()), true
}

// RemindAt is when the rotation.upcoming reminder notify_before days
// before a rotation due at due is sent: days local calendar days earlier
// (in the secret's rotation_timezone), at the same wall-clock time, in
// UTC.
func RemindAt(s *config.RotatedSecret, due time.Time, days int) time.Time {
	return AddDays(due, -days, s.Location())
}

// AddDays moves t by days calendar days of loc, keeping its wall-clock
// time, under the daylight-saving rule of wall.go; in UTC.
func AddDays(t time.Time, days int, loc *time.Location) time.Time {
	return firstAt(loc, civil(t.In(loc)).AddDate(0, 0, days))
}
