package config

import (
	"errors"
	"fmt"
	"strings"
)

// Report returns exactly what `rotatord validate` prints for the result of
// Load or Parse: each warning as "warning: " and its text, each error as
// its text, one per line, then a summary line, such as
// "rotatord.yaml: 3 errors" or "rotatord.yaml: ok, 2 targets, 3 secrets".
// c may be nil.
func Report(c *Config, err error) string {
	var b strings.Builder
	var file string
	var warnings []*Error
	if c != nil {
		file, warnings = c.File, c.Warnings
	}
	for _, w := range warnings {
		b.WriteString("warning: " + w.Error() + "\n")
	}
	var es Errors
	if err != nil && !errors.As(err, &es) {
		es = Errors{{File: file, Msg: err.Error()}}
	}
	for _, e := range es {
		b.WriteString(e.Error() + "\n")
		if file == "" {
			file = e.File
		}
	}
	var parts []string
	if len(es) > 0 {
		parts = append(parts, count(len(es), "error"))
	} else if c != nil {
		parts = append(parts, "ok", count(len(c.Targets), "target"), count(len(c.Secrets), "secret"))
	}
	if len(warnings) > 0 {
		parts = append(parts, count(len(warnings), "warning"))
	}
	fmt.Fprintf(&b, "%s: %s\n", file, strings.Join(parts, ", "))
	return b.String()
}

// count writes n and a noun, plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
