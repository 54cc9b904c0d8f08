package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// retireWhen checks retire_when, retire_max_wait and retire_on_timeout:
// the last two only apply with retire_when: unused, and the wait is more
// than nothing and at most a year.
func (k *checker) retireWhen(s *RotatedSecret, path string) {
	if !k.enum(path+".retire_when", s.RetireWhen, RetireWhenAlways, RetireWhenUnused) {
		return
	}
	if s.RetireWhen != RetireWhenUnused {
		for _, f := range []string{"retire_max_wait", "retire_on_timeout"} {
			if k.given(path + "." + f) {
				k.errorf(path+"."+f, "only applies with retire_when: unused")
			}
		}
		return
	}
	if w := s.RetireMaxWait.D(); w <= 0 || w > MaxRetireMaxWait {
		k.errorf(path+".retire_max_wait", "%s is out of range: more than 0 and at most 365d; write it in days, such as 14d", FormatDuration(w))
	}
	k.enum(path+".retire_on_timeout", s.RetireOnTimeout, RetireOnTimeoutRetire, RetireOnTimeoutKeep)
}

// FormatDuration writes d as the configuration does: whole days as "14d",
// anything else as time.Duration writes it ("90s", "1h30m0s").
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.Itoa(int(d/day)) + "d"
	}
	return d.String()
}

// ParseDuration reads a duration as the configuration writes it: what
// time.ParseDuration reads ("90s", "2h30m"), or whole days before it
// ("14d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		return time.ParseDuration(s)
	}
	n, err := strconv.Atoi(days)
	if err != nil || n < 0 || n > 100000 || strings.HasPrefix(days, "+") {
		return 0, fmt.Errorf("%q is not a number of days", days)
	}
	d := time.Duration(n) * 24 * time.Hour
	if rest == "" {
		return d, nil
	}
	more, err := time.ParseDuration(rest)
	if err != nil || more < 0 {
		return 0, fmt.Errorf("%q is not a duration", rest)
	}
	return d + more, nil
}
