package config

import (
	"fmt"
	"strings"
	"testing"
	_ "time/tzdata" // the zones these tests name, whatever the machine holds
)

// TestRotationTimezoneInherited: a secret takes the file's
// rotation_timezone unless it names its own; both default to UTC.
func TestRotationTimezoneInherited(t *testing.T) {
	other := strings.Replace(secret, "/team-a/deployer", "/team-a/other", 1)
	other = strings.Replace(other, "AKIAFAKEDEPLOYER0001", "AKIAFAKEDEPLOYER0002", 1)
	tests := []struct {
		name, src          string
		top, first, second string
	}{
		{"default", head + secret + other, "UTC", "UTC", "UTC"},
		{"top level", "rotation_timezone: Europe/Berlin\n" + head + secret + other, "Europe/Berlin", "Europe/Berlin", "Europe/Berlin"},
		{"secret overrides", "rotation_timezone: Europe/Berlin\n" + head + secret + "    rotation_timezone: Australia/Lord_Howe\n" + other,
			"Europe/Berlin", "Australia/Lord_Howe", "Europe/Berlin"},
		{"secret alone", head + secret + other + "    rotation_timezone: America/Sao_Paulo\n", "UTC", "UTC", "America/Sao_Paulo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src)
			if c.RotationTimezone != tt.top {
				t.Errorf("top-level rotation_timezone %q, want %q", c.RotationTimezone, tt.top)
			}
			for i, want := range []string{tt.first, tt.second} {
				s := &c.Secrets[i]
				if s.RotationTimezone != want || s.Location().String() != want {
					t.Errorf("secrets[%d]: rotation_timezone %q, location %s; want %s", i, s.RotationTimezone, s.Location(), want)
				}
			}
		})
	}
	if l := (&RotatedSecret{}).Location(); l.String() != "UTC" {
		t.Errorf("a secret built in code without a zone is in %s, want UTC", l)
	}
}

// TestRotationTimezoneErrors: a name that is not an IANA zone is an error
// at its line and column, at the top level and per secret, saying what to
// write; secrets that inherit a bad top-level zone are not reported again.
func TestRotationTimezoneErrors(t *testing.T) {
	const advice = "write an IANA name such as Europe/Berlin, America/New_York or UTC (timedatectl list-timezones lists them)"
	tests := []struct {
		name, src string
		path      string
		line, col int
	}{
		{"top level", "version: 1\nrotation_timezone: Mars/Olympus\n" + strings.TrimPrefix(head, "version: 1\n") + secret,
			"rotation_timezone", 2, 20},
		{"per secret", head + secret + "    rotation_timezone: Mars/Olympus\n", "secrets[0].rotation_timezone", 13, 24},
		{"machine's own zone", head + secret + "    rotation_timezone: Local\n", "secrets[0].rotation_timezone", 13, 24},
		{"a path", head + secret + "    rotation_timezone: ../../etc/passwd\n", "secrets[0].rotation_timezone", 13, 24},
		{"empty", head + secret + "    rotation_timezone: ''\n", "secrets[0].rotation_timezone", 13, 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := parseErrors(t, tt.src)
			if len(es) != 1 {
				t.Fatalf("got %d errors, want 1:\n%v", len(es), es)
			}
			e := es[0]
			if e.Path != tt.path || e.Line != tt.line || e.Col != tt.col || !strings.Contains(e.Msg, advice) {
				t.Errorf("got %s:%d:%d %s: %s\nwant %s at %d:%d with %q", e.File, e.Line, e.Col, e.Path, e.Msg, tt.path, tt.line, tt.col, advice)
			}
		})
	}
}

// TestRotationTimezoneLargeFile: a file large enough for the chunked parse
// inherits the top-level zone in every secret and names the line of a bad
// one among them.
func TestRotationTimezoneLargeFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("rotation_timezone: Europe/Berlin\n" + head)
	const n = 400
	badLine := 0
	for i := range n {
		fmt.Fprintf(&b, "  - name: /bulk/s%03d\n    target: prod\n    access_key_id: AKIAFAKEBULK%08d\n    secret_access_key_file: s.secret\n", i, i)
		if i == 300 {
			badLine = strings.Count(b.String(), "\n") + 1
			b.WriteString("    rotation_timezone: Mars/Olympus\n")
		}
	}
	if b.Len() < fastPathMin {
		t.Fatalf("the file is %d bytes, under the chunked parse's %d", b.Len(), fastPathMin)
	}
	es := parseErrors(t, b.String())
	if len(es) != 1 || es[0].Path != "secrets[300].rotation_timezone" || es[0].Line != badLine {
		t.Fatalf("got %v, want one error for secrets[300].rotation_timezone at line %d", es, badLine)
	}
	good := strings.Replace(b.String(), "Mars/Olympus", "Asia/Tokyo", 1)
	c := mustParse(t, good)
	for i := range c.Secrets {
		want := "Europe/Berlin"
		if i == 300 {
			want = "Asia/Tokyo"
		}
		if got := c.Secrets[i].RotationTimezone; got != want {
			t.Fatalf("secrets[%d].rotation_timezone %q, want %q", i, got, want)
		}
	}
}

// TestRotationTimezoneCase: a zone name in the wrong case is answered with
// the right one.
func TestRotationTimezoneCase(t *testing.T) {
	for _, tt := range []struct{ given, want string }{
		{"europe/berlin", "write Europe/Berlin"},
		{"AMERICA/NEW_YORK", "write America/New_York"},
		{"australia/lord_howe", "write Australia/Lord_Howe"},
		{"utc", "write UTC"},
	} {
		es := parseErrors(t, head+secret+"    rotation_timezone: "+tt.given+"\n")
		if len(es) != 1 || es[0].Line != 13 || !strings.Contains(es[0].Msg, "(names are case-sensitive); "+tt.want) {
			t.Errorf("%s: got %v, want one error at line 13 with %q", tt.given, es, tt.want)
		}
	}
}
