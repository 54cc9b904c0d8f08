package config

import (
	"reflect"
	"testing"
	"time"
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
	if !reflect.DeepEqual(sinkField(k, "tags"), want) {
		t.Errorf("got tags %v, want %v", sinkField(k, "tags"), want)
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
	if got, want := sinkField(c.Secrets[0].Sinks[0], "command"), []string{"/usr/bin/systemctl", "reload", "app 1", "0600"}; !reflect.DeepEqual(got, want) {
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
		{"secretsmanager target", sinkField(ks[0], "target"), "prod"},
		{"key_id_field", sinkField(ks[0], "key_id_field"), "AccessKeyId"},
		{"secret_field", sinkField(ks[0], "secret_field"), "SecretAccessKey"},
		{"ssm target", sinkField(ks[1], "target"), "prod"},
		{"ssm tier", sinkField(ks[1], "tier"), "Standard"},
		{"webhook timeout", sinkField(ks[2], "timeout").(Duration).D(), DefaultWebhookTimeout},
		{"webhook url_file resolved", sinkField(ks[2], "url_file"), "/etc/rotatord/u"},
		{"command timeout", sinkField(ks[3], "timeout").(Duration).D(), 30 * time.Second},
		{"template has no profile", sinkField(ks[4], "profile"), ""},
		{"template mode", sinkField(ks[4], "mode"), FileMode(0o600)},
		{"explicit target", sinkField(ks[5], "target"), "sandbox"},
		{"explicit tier", sinkField(ks[5], "tier"), "Advanced"},
		{"notify format", c.Notify[0].Format, NotifyJSON},
		{"notify timeout", c.Notify[0].Timeout.D(), DefaultWebhookTimeout},
		{"notify url_file resolved", c.Notify[0].URLFile, "/etc/rotatord/n"},
		{"notify events", len(c.Notify[0].Events), 0},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	// Defaults of one type never reach another: each has its own fields.
	if sinkField(ks[2], "mode") != nil || sinkField(ks[3], "tier") != nil || sinkField(ks[0], "timeout") != nil || sinkField(ks[2], "command") != nil {
		t.Errorf("a sink has a field of another type: %+v", ks)
	}
}
