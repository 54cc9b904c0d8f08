package config

import (
	"time"
)

// SinkChecker is what a sink kind's SinkDefaults and CheckSink see of the
// configuration: its own fields' positions, and the rules it shares with
// the rest of the file. Every method takes a field path relative to the
// sink, such as "path", "command[0]" or KeyPath("tags", key), and reports
// at the position of that field's value (or, when the file left the field
// out, of the sink itself), once per field. A SinkChecker is valid only
// during the call it is handed to: config reuses it for the next sink.
type SinkChecker struct {
	k      *checker
	path   string // secrets[i].sinks[j]
	target string // the secret's target; set for SinkDefaults only
}

func (c *SinkChecker) at(field string) string { return c.path + "." + field }

// Errorf reports a problem with field.
func (c *SinkChecker) Errorf(field, format string, args ...any) {
	c.k.errorf(c.at(field), format, args...)
}

// Warnf reports a warning about field; it does not stop the daemon.
func (c *SinkChecker) Warnf(field, format string, args ...any) {
	c.k.warnf(c.at(field), format, args...)
}

// Given reports whether the file set field to a non-null value.
func (c *SinkChecker) Given(field string) bool { return c.k.given(c.at(field)) }

// Failed reports whether field already has an error, such as a value that
// failed to decode: a rule about it has nothing to add.
func (c *SinkChecker) Failed(field string) bool { return c.k.failed(c.at(field)) }

// SecretTarget is the target of the sink's secret (SinkDefaults only).
func (c *SinkChecker) SecretTarget() string { return c.target }

// Path checks a file path value, when given: one line, naming a file, not
// a directory. It reports whether the path is usable.
func (c *SinkChecker) Path(field, p string) bool { return c.k.path(c.at(field), p) }

// Enum reports v when it is not one of allowed, and whether it is.
func (c *SinkChecker) Enum(field, v string, allowed ...string) bool {
	return c.k.enum(c.at(field), v, allowed...)
}

// DurationRange reports d outside lo..hi, which span writes as text such as
// "1s..5m".
func (c *SinkChecker) DurationRange(field string, d Duration, lo, hi time.Duration, span string) {
	c.k.durationRange(c.at(field), d, lo, hi, span)
}

// SecretRef checks a secret given inline (name), as a file (name_file) or
// as an environment variable (name_env): a usable path, a variable name,
// and at most one of the three.
func (c *SinkChecker) SecretRef(name string, inline SecretValue, file, env string) {
	c.k.atMostOne(c.path, name, c.k.refSet(c.path, name, inline, file, env))
}

// URL checks a webhook URL given as url, url_file or url_env: exactly one
// of them, and an inline URL's scheme and host, never showing it. Load
// checks a URL read from a file or variable the same way (SinkRefs.URL).
func (c *SinkChecker) URL(inline SecretValue, file, env string) {
	c.k.webhookURL(c.path, inline, file, env)
}

// Target checks the target field, which names the target whose connection
// writes the sink (default, set by SinkDefaults: the secret's).
func (c *SinkChecker) Target(field, name string) {
	switch {
	case !c.Given(field):
	case name == "":
		c.Errorf(field, "is empty; name a target, or remove target to use the secret's")
	default:
		c.k.targetRef(c.at(field), name, c.k.knownTargets())
	}
}

// Program checks a program that rotatord runs: an absolute path, written
// apart from its arguments.
func (c *SinkChecker) Program(field, prog string) { c.k.program(c.at(field), prog) }

// KeyPath is the path of a map's key below field: tags.team, or
// tags["cost center"] when the key is not a plain word.
func KeyPath(field, key string) string { return keyPath(field, key) }

// IndexPath is the path of a list's item below field: command[0].
func IndexPath(field string, i int) string { return indexPath(field, i) }

// Quote prints a value for a message: quoted, cut when long, and hidden
// when it looks like a secret key pasted into the wrong field.
func Quote(s string) string { return quote(s) }

// ShownPath is file, unless it looks like a secret pasted where a path
// belongs.
func ShownPath(file string) string { return shownPath(file) }

// Readers names who besides the owner may read a file of mode m: "its
// group", "others", or "group and others".
func Readers(m uint32) string { return readers(m) }

// CheckTemplate parses a file sink's template and renders it with sample
// data, as the sink will, and says what is wrong, or "".
func CheckTemplate(text string) string { return checkTemplateText(text) }
