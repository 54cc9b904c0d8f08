package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser reads rotation_schedule: five fields or a descriptor such as
// @daily or @every 12h.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a rotation_schedule as Parse does: five fields or a
// descriptor (@daily, @every 12h). A *cron.SpecSchedule it returns has
// Location UTC, whatever the machine's time zone: internal/schedule reads
// its fields as the wall clock of the secret's rotation_timezone. Time
// zone prefixes (CRON_TZ=) are rejected; rotation_timezone names the zone.
func ParseSchedule(spec string) (cron.Schedule, error) {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, fmt.Errorf("time zone prefixes are not supported; set rotation_timezone instead")
	}
	s, err := parseCron(spec)
	if ss, ok := s.(*cron.SpecSchedule); ok {
		ss.Location = time.UTC
	}
	return s, err
}

// parseCron parses spec, turning a panic in the cron parser into an error.
func parseCron(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("the cron parser failed")
		}
	}()
	return cronParser.Parse(spec)
}

// schedule checks auto_rotate, rotation_interval, rotation_hour,
// rotation_schedule, rotation_timezone, catch_up and verify_timeout.
func (k *checker) schedule(s *RotatedSecret, path string) {
	givenInterval := s.RotationInterval != 0 || k.given(path+".rotation_interval")
	if givenInterval {
		k.intRange(path+".rotation_interval", s.RotationInterval, 1, 365, "days")
	}
	k.intRange(path+".rotation_hour", s.RotationHour, 0, 23, "(hour of the day in rotation_timezone)")
	k.timezone(path+".rotation_timezone", s.RotationTimezone)
	switch {
	case strings.HasPrefix(s.RotationSchedule, "TZ=") || strings.HasPrefix(s.RotationSchedule, "CRON_TZ="):
		k.errorf(path+".rotation_schedule", "%s starts with a time zone prefix, which rotatord does not read; name the zone in rotation_timezone (an IANA name such as Europe/Berlin) and write only the five fields here",
			quote(s.RotationSchedule))
	case s.RotationSchedule != "":
		if _, err := ParseSchedule(s.RotationSchedule); err != nil {
			k.errorf(path+".rotation_schedule", "%s is not a cron expression%s; write five fields (minute hour day month weekday) such as \"0 3 * * MON\", or @daily, or @every 720h",
				quote(s.RotationSchedule), safeErr(err))
		}
	}
	hasInterval := givenInterval || k.failed(path+".rotation_interval")
	hasSchedule := s.RotationSchedule != "" || k.failed(path+".rotation_schedule")
	switch {
	case s.AutoRotate && !hasInterval && !hasSchedule:
		k.errorf(path+".auto_rotate", "true needs rotation_interval (days) or rotation_schedule (a cron expression)")
	case !s.AutoRotate && (hasInterval || hasSchedule) && !k.failed(path+".auto_rotate"):
		k.warnf(path+".auto_rotate", "is false, so this secret never rotates on its schedule; set auto_rotate: true, or remove the schedule")
	}
	if s.RotationSchedule != "" && (givenInterval || s.RotationHour != 0 || k.given(path+".rotation_hour")) {
		k.warnf(path+".rotation_schedule", "replaces rotation_interval and rotation_hour; remove either the schedule or the interval and hour")
	}
	k.enum(path+".catch_up", s.CatchUp, CatchUpNextHour, CatchUpImmediate)
	if t := s.VerifyTimeout.D(); t < time.Second || t > time.Hour {
		k.errorf(path+".verify_timeout", "%s is out of range 1s..1h", t)
	}
	k.intRange(path+".max_versions", s.MaxVersions, 2, 1000, "")
}

// grace checks grace_period, grace_timing and retire.
func (k *checker) grace(s *RotatedSecret, path string) {
	okPeriod := k.intRange(path+".grace_period", s.GracePeriod, 0, 365, "days")
	if okPeriod && s.GracePeriod > 0 && !s.GraceRotation {
		k.errorf(path+".grace_period", "only applies with grace_rotation: true; strict rotation retires the old key at once")
	}
	k.enum(path+".retire", s.Retire, RetireDelete, RetireDeactivate)
	if !k.enum(path+".grace_timing", s.GraceTiming, GraceTimingAfter, GraceTimingBefore) || s.GraceTiming != GraceTimingBefore || !okPeriod {
		return
	}
	switch {
	case s.GracePeriod == 0:
		k.errorf(path+".grace_timing", "before needs grace_period: the days before the due date on which the new key is made")
	case s.RotationInterval > 0 && s.GracePeriod >= s.RotationInterval:
		k.errorf(path+".grace_period", "%d days is not shorter than rotation_interval (%d days), which grace_timing: before needs", s.GracePeriod, s.RotationInterval)
	case s.RotationInterval == 0 && s.RotationSchedule == "":
		k.errorf(path+".grace_timing", "before needs rotation_interval or rotation_schedule, to count back from the due date")
	}
}
