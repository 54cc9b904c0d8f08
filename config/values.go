package config

import (
	"os"
	"time"
)

// Pos is a position in the configuration file, 1-based.
type Pos struct {
	Line int
	Col  int
}

// Duration is a time.Duration written as "30s", "2m".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return FormatDuration(time.Duration(d)), nil }

// Rate is a target's rate_limit: IAM calls per second, or AutoRate.
type Rate float64

// AutoRate is the rate_limit written `auto`: rotatord finds the rate
// itself, up to rate_limit_max.
const AutoRate Rate = -1

// Auto reports whether r is AutoRate.
func (r Rate) Auto() bool { return r == AutoRate }

// MarshalYAML implements yaml.Marshaler.
func (r Rate) MarshalYAML() (any, error) {
	if r.Auto() {
		return "auto", nil
	}
	return float64(r), nil
}

// FileMode is a file permission written in octal, such as "0600".
type FileMode os.FileMode

// MarshalYAML implements yaml.Marshaler.
func (m FileMode) MarshalYAML() (any, error) { return "0" + formatOctal(uint32(m)), nil }

func formatOctal(v uint32) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for v > 0 {
		b = append([]byte{byte('0' + v%8)}, b...)
		v /= 8
	}
	return string(b)
}
