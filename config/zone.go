package config

import (
	"errors"
	"strings"
	"sync"
	"time"
	"unicode"
)

// DefaultRotationTimezone is the zone of rotation_hour and
// rotation_schedule when neither the secret nor the file names one.
const DefaultRotationTimezone = "UTC"

// zones caches the locations of the names LoadZone accepted: a
// configuration of 100,000 secrets names a handful of zones, and loading
// one reads the time zone database.
var zones sync.Map // string → *time.Location

// LoadZone returns the location of an IANA time zone name (Europe/Berlin,
// UTC), from the system's database or the one embedded in the binary.
// Names that depend on the machine (Local, a path) are refused: a schedule
// means the same on every host.
func LoadZone(name string) (*time.Location, error) {
	if name == "UTC" {
		return time.UTC, nil
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	switch {
	case name == "":
		return nil, errors.New("empty")
	case name == "Local" || strings.HasPrefix(name, "/") || strings.Contains(name, ".."):
		return nil, errors.New("not an IANA time zone name")
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, errors.New("unknown time zone")
	}
	zones.Store(name, l)
	return l, nil
}

// Location is the secret's rotation_timezone, loaded: UTC when it is empty
// (a RotatedSecret built in code) or not a zone (which validation
// refuses).
func (s *RotatedSecret) Location() *time.Location {
	if s.RotationTimezone == "" {
		return time.UTC
	}
	l, err := LoadZone(s.RotationTimezone)
	if err != nil {
		return time.UTC
	}
	return l
}

// timezone checks a rotation_timezone the file gave at path.
func (k *checker) timezone(path, name string) {
	if !k.given(path) {
		return
	}
	_, err := LoadZone(name)
	if err == nil {
		return
	}
	if fixed := zoneCase(name); fixed != "" {
		k.errorf(path, "%s is not a time zone (names are case-sensitive); write %s", quote(name), fixed)
	} else {
		k.errorf(path, "%s is not a time zone (%v); write an IANA name such as Europe/Berlin, America/New_York or UTC (timedatectl list-timezones lists them)",
			quote(name), err)
	}
}

// zoneCase returns name with each word capitalized (america/new_york →
// America/New_York), or in capitals (utc → UTC), when that is a zone
// LoadZone knows and name is not; else "".
func zoneCase(name string) string {
	b := []byte(strings.ToLower(name))
	for i := range b {
		if i == 0 || strings.IndexByte("/_-", b[i-1]) >= 0 {
			b[i] = byte(unicode.ToUpper(rune(b[i])))
		}
	}
	for _, fixed := range []string{string(b), strings.ToUpper(name)} {
		if fixed == name {
			continue
		}
		if _, err := LoadZone(fixed); err == nil {
			return fixed
		}
	}
	return ""
}
