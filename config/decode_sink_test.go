package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestDecodeTags(t *testing.T) {
	c := mustParse(t, sinks(`type: secretsmanager
        secret_id: a
        create: true
        tags:
          team: team-a
          cost center: 42
          empty: ""
          <<: {merged: m, team: overridden}`))
	k := c.Secrets[0].Sinks[0]
	want := map[string]string{"team": "team-a", "cost center": "42", "empty": "", "merged": "m"}
	if !reflect.DeepEqual(k.Tags, want) {
		t.Errorf("got tags %v, want %v", k.Tags, want)
	}
	runRules(t, []rule{
		{"duplicate tag", sinks("{type: secretsmanager, secret_id: a, create: true, tags: {a: x, a: y}}"), `secrets[0].sinks[0].tags: duplicate field "a" (first at line 14)`},
		{"null value", sinks("{type: secretsmanager, secret_id: a, create: true, tags: {a: ~}}"), `secrets[0].sinks[0].tags.a: empty value; write the value, or "" for an empty one`},
		{"list value", sinks("{type: secretsmanager, secret_id: a, create: true, tags: {a: [x]}}"), "secrets[0].sinks[0].tags.a: expected a string, got a list"},
		{"value of a spaced key", sinks("{type: secretsmanager, secret_id: a, create: true, tags: {'a b': {x: y}}}"), `secrets[0].sinks[0].tags["a b"]: expected a string, got a mapping`},
		{"not a mapping", sinks("{type: secretsmanager, secret_id: a, create: true, tags: [a, b]}"), "secrets[0].sinks[0].tags: expected a mapping of names to values, got a list"},
		{"complex key", sinks("{type: secretsmanager, secret_id: a, create: true, tags: {[a]: b}}"), "secrets[0].sinks[0].tags: field names must be plain words"},
	})
	// Each tag's value keeps its position.
	es := parseErrors(t, sinks("type: secretsmanager\n        secret_id: a\n        create: true\n        tags:\n          ok: v\n          bad: 'a;b'"))
	if len(es) != 1 || es[0].Line != 19 || es[0].Col != 16 {
		t.Errorf("got %v, want one error at 19:16", es)
	}
}

func TestDecodeLists(t *testing.T) {
	c := mustParse(t, sinks(`type: command
        command:
          - /usr/bin/systemctl
          - reload
          - "app 1"
          - "0600"`)+"    auto_rotate: true\n    rotation_interval: 30\n    notify_before: [7, 3, 1]\nnotify:\n  - {url_file: /u, events: [rotation.upcoming, drift.detected]}\n")
	if got, want := c.Secrets[0].Sinks[0].Command, []string{"/usr/bin/systemctl", "reload", "app 1", "0600"}; !reflect.DeepEqual(got, want) {
		t.Errorf("command: got %q, want %q", got, want)
	}
	if got, want := c.Secrets[0].NotifyBefore, []int{7, 3, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("notify_before: got %v, want %v", got, want)
	}
	if got, want := c.Notify[0].Events, []string{EventRotationUpcoming, EventDriftDetected}; !reflect.DeepEqual(got, want) {
		t.Errorf("events: got %v, want %v", got, want)
	}
	if !c.Notify[0].Wants(EventDriftDetected) || c.Notify[0].Wants(EventRotationFailed) {
		t.Errorf("Wants disagrees with events %v", c.Notify[0].Events)
	}
	if p := c.Notify[0].Pos; p.Line == 0 {
		t.Errorf("notify Pos not set")
	}
}

func TestSinkDefaults(t *testing.T) {
	c := mustParse(t, sinks("{type: secretsmanager, secret_id: a}", "{type: ssm, name: /a}", "{type: webhook, url_file: u}",
		"{type: command, command: [/bin/x]}", "{type: file, path: /x, format: template, template: t}",
		"{type: ssm, name: /b, target: sandbox, tier: Advanced}")+"notify:\n  - {url_file: n}\n")
	ks := c.Secrets[0].Sinks
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"secretsmanager target", ks[0].Target, "prod"},
		{"key_id_field", ks[0].KeyIDField, DefaultKeyIDField},
		{"secret_field", ks[0].SecretField, DefaultSecretField},
		{"ssm target", ks[1].Target, "prod"},
		{"ssm tier", ks[1].Tier, TierStandard},
		{"webhook timeout", ks[2].Timeout.D(), DefaultWebhookTimeout},
		{"webhook url_file resolved", ks[2].URLFile, "/etc/rotatord/u"},
		{"command timeout", ks[3].Timeout.D(), DefaultCommandTimeout},
		{"template has no profile", ks[4].Profile, ""},
		{"template mode", ks[4].Mode, FileMode(DefaultFileMode)},
		{"explicit target", ks[5].Target, "sandbox"},
		{"explicit tier", ks[5].Tier, TierAdvanced},
		{"notify format", c.Notify[0].Format, NotifyJSON},
		{"notify timeout", c.Notify[0].Timeout.D(), DefaultWebhookTimeout},
		{"notify url_file resolved", c.Notify[0].URLFile, "/etc/rotatord/n"},
		{"notify events", len(c.Notify[0].Events), 0},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	// Defaults of one type never reach another.
	if ks[2].Mode != 0 || ks[3].Tier != "" || ks[0].Timeout != 0 || strings.Join(ks[2].Command, "") != "" {
		t.Errorf("a default of another type was set: %+v", ks)
	}
}
