package config

import (
	"strings"
	"testing"
)

// TestSyntaxErrorLine checks that a YAML syntax error is reported on the
// line that breaks the file, where yaml.v3 alone names the line before the
// enclosing block, or no line.
func TestSyntaxErrorLine(t *testing.T) {
	long := "version: 1\nsecrets:\n" + strings.Repeat("  - name: /a\n", 1900) + "   bad: x\n"
	for _, tt := range []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"indentation", "version: 1\nsecrets:\n  - name: a\n    target: b\n   bad: x\n", 5, 4, "did not find expected '-' indicator; check the indentation"},
		{"missing colon", "version: 1\nsecrets:\n  - name: a\n    target b\n    x: y\n", 4, 5, "could not find expected ':'"},
		{"tab", "version: 1\nsecrets:\n\t- name: a\n", 3, 1, "indent with spaces, not tabs"},
		{"unclosed quote", "version: 1\nsecrets:\n  - name: \"a\n    x: y\n", 3, 3, "a quote or bracket opened here is never closed"},
		{"unclosed bracket", "a: 1\nb: [1, 2\nc: 3\n", 2, 1, "did not find expected ',' or ']'; a bracket opened here is never closed"},
		{"colon in value", "version: 1\nlisten: a: b\n", 2, 1, "mapping values are not allowed in this context; check the indentation, and quote a value that holds \": \""},
		{"unknown anchor", "version: 1\nworkers: *w\n", 2, 1, "unknown anchor 'w' referenced"},
		{"long file", long, 1903, 4, "did not find expected '-' indicator"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			es := parseErrors(t, tt.src)
			if len(es) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(es), es)
			}
			e := es[0]
			if e.Line != tt.line || e.Col != tt.col || !strings.HasPrefix(e.Msg, "invalid yaml: ") || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got %d:%d %q, want %d:%d with %q", e.Line, e.Col, e.Msg, tt.line, tt.col, tt.msg)
			}
		})
	}
}

// TestAliasBomb checks that aliases cannot make decoding explode.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\ntargets:\n  - {name: prod, credentials: default}\nsecrets:\n  - &s {name: /a, target: prod, authentication_credentials: use-target-creds, access_key_id: AKIAFAKEDEPLOYER0001, sinks: [")
	b.WriteString(strings.Repeat("{type: file, path: /x, format: env},", 2000))
	b.WriteString("]}\n")
	b.WriteString(strings.Repeat("  - *s\n", 2000))
	es := parseErrors(t, b.String())
	for _, e := range es {
		if strings.Contains(e.Msg, "expands to too many values") {
			return
		}
	}
	t.Errorf("got %d errors, none about expansion", len(es))
}
