package sink

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/config"
)

func TestID(t *testing.T) {
	tests := []struct {
		name string
		in   config.Sink
		want string
	}{
		{"aws-credentials", config.Sink{Type: "file", Path: "/run/rotatord/deployer.ini", Format: "aws-credentials", Profile: "deployer"}, "file:/run/rotatord/deployer.ini#deployer"},
		{"defaults", config.Sink{Type: "file", Path: "/run/rotatord/deployer.ini"}, "file:/run/rotatord/deployer.ini#default"},
		{"path cleaned", config.Sink{Type: "file", Path: "/run//rotatord/./x.ini", Profile: "p"}, "file:/run/rotatord/x.ini#p"},
		{"env", config.Sink{Type: "file", Path: "/run/x.env", Format: "env", Profile: "ignored"}, "file:/run/x.env"},
		{"json", config.Sink{Type: "file", Path: "/run/x.json", Format: "json"}, "file:/run/x.json"},
		{"escaped path", config.Sink{Type: "file", Path: "/run/a#b%c", Format: "json"}, "file:/run/a%23b%25c"},
		{"mode and owner ignored", config.Sink{Type: "file", Path: "/run/x.json", Format: "json", Mode: 0o640, Owner: "app", Pos: config.Pos{Line: 9, Col: 3}}, "file:/run/x.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ID(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIDUnknownType(t *testing.T) {
	// A webhook-like sink whose destination is secret: Owner stands in for
	// a secret field that the current config.Sink does not have yet.
	const secret = "https://hooks.example.com/T0KEN-s3cr3t"
	a := config.Sink{Type: "webhook", Path: secret}
	b := config.Sink{Type: "webhook", Path: secret + "2"}
	got := ID(a)
	if !regexp.MustCompile(`^webhook:[0-9a-f]{16}$`).MatchString(got) {
		t.Errorf("ID = %q, want webhook: and 16 hex digits", got)
	}
	for _, s := range []string{secret, "hooks.example.com", "s3cr3t"} {
		if strings.Contains(got, s) {
			t.Errorf("ID %q contains %q", got, s)
		}
	}
	if ID(b) == got {
		t.Errorf("different destinations share ID %q", got)
	}
	moved := a
	moved.Pos = config.Pos{Line: 40, Col: 7}
	if ID(moved) != got {
		t.Errorf("ID changes with the sink's position: %q, %q", ID(moved), got)
	}
	if ID(a) != got {
		t.Errorf("ID is not deterministic")
	}
	other := a
	other.Type = "command"
	if id := ID(other); !strings.HasPrefix(id, "command:") {
		t.Errorf("ID(command sink) = %q, want the type as prefix", id)
	}
}

// TestIDGolden pins the digest: IDs are keys in the state store, so a change
// here strands every stored delivery record of those sinks.
func TestIDGolden(t *testing.T) {
	got := ID(config.Sink{Type: "webhook", Path: "https://hooks.example.com/x", Owner: "o"})
	if want := "webhook:38c48ed8771e3e1d"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
