package config

import (
	"fmt"
	"io"
	"log/slog"
)

// Redacted is what every printed form of a SecretValue shows.
const Redacted = "[redacted]"

// SecretValue holds a secret value: a secret access key, a protection key, a
// webhook URL or token. Every way of printing it — fmt verbs, String, slog,
// YAML and JSON marshalling — yields [Redacted]; only Reveal returns the value.
// The zero value is the empty secret.
type SecretValue string

// Reveal returns the secret value itself. Call it only where the value must
// leave the process: a signature, a sink, an explicit --reveal.
func (s SecretValue) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s SecretValue) IsZero() bool { return s == "" }

// String implements fmt.Stringer.
func (s SecretValue) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// Format implements fmt.Formatter, so that every verb (%v, %s, %q, %x, %#v…)
// prints the redaction marker.
func (s SecretValue) Format(f fmt.State, verb rune) {
	_, _ = io.WriteString(f, s.String())
}

// GoString implements fmt.GoStringer.
func (s SecretValue) GoString() string { return s.String() }

// LogValue implements slog.LogValuer.
func (s SecretValue) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalYAML implements yaml.Marshaler.
func (s SecretValue) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON implements json.Marshaler. A SecretValue can never be written to
// JSON by accident; code that must store the value seals Reveal() explicitly.
func (s SecretValue) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (s SecretValue) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
