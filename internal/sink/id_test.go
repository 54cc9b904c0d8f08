package sink_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
	"github.com/rotatord/rotatord/internal/sink/command"
	"github.com/rotatord/rotatord/internal/sink/file"
	"github.com/rotatord/rotatord/internal/sink/secretsmanager"
	"github.com/rotatord/rotatord/internal/sink/ssm"
	"github.com/rotatord/rotatord/internal/sink/webhook"
)

// future is a sink kind that says no ID of its own, as a webhook whose URL
// is not read yet does not.
type future struct {
	Path        string             `yaml:"path"`
	Owner       string             `yaml:"owner"`
	URL         config.SecretValue `yaml:"url"`
	BearerToken config.SecretValue `yaml:"bearer_token"`
}

func (*future) SinkDefaults(*config.SinkChecker) {}
func (*future) CheckSink(*config.SinkChecker)    {}

func TestID(t *testing.T) {
	tests := []struct {
		name string
		in   config.Sink
		want string
	}{
		{"aws-credentials", config.Sink{Type: "file", Spec: &file.Config{Path: "/run/rotatord/deployer.ini", Format: "aws-credentials", Profile: "deployer"}}, "file:/run/rotatord/deployer.ini#deployer"},
		{"defaults", config.Sink{Type: "file", Spec: &file.Config{Path: "/run/rotatord/deployer.ini"}}, "file:/run/rotatord/deployer.ini#default"},
		{"path cleaned", config.Sink{Type: "file", Spec: &file.Config{Path: "/run//rotatord/./x.ini", Profile: "p"}}, "file:/run/rotatord/x.ini#p"},
		{"env", config.Sink{Type: "file", Spec: &file.Config{Path: "/run/x.env", Format: "env", Profile: "ignored"}}, "file:/run/x.env"},
		{"json", config.Sink{Type: "file", Spec: &file.Config{Path: "/run/x.json", Format: "json"}}, "file:/run/x.json"},
		{"escaped path", config.Sink{Type: "file", Spec: &file.Config{Path: "/run/a#b%c", Format: "json"}}, "file:/run/a%23b%25c"},
		{"mode and owner ignored", config.Sink{Type: "file", Spec: &file.Config{Path: "/run/x.json", Format: "json", Mode: 0o640, Owner: "app"}, Pos: config.Pos{Line: 9, Col: 3}}, "file:/run/x.json"},
		{"template", config.Sink{Type: "file", Spec: &file.Config{Path: "/run/app.conf", Format: "template", Template: "{{.AccessKeyID}}", TemplateFile: "/etc/app.tmpl"}}, "file:/run/app.conf"},

		{"secretsmanager", config.Sink{Type: "secretsmanager", Spec: &secretsmanager.Config{SecretID: "team-a/deployer", Target: "prod"}}, "secretsmanager:prod/team-a/deployer"},
		{"secretsmanager arn", config.Sink{Type: "secretsmanager", Spec: &secretsmanager.Config{SecretID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:team-a/deployer-AbCdEf", Target: "prod"}},
			"secretsmanager:prod/arn:aws:secretsmanager:us-east-1:123456789012:secret:team-a/deployer-AbCdEf"},
		{"secretsmanager, the secret's target", config.Sink{Type: "secretsmanager", Spec: &secretsmanager.Config{SecretID: "team-a/deployer"}}, "secretsmanager:/team-a/deployer"},
		{"secretsmanager, what is written ignored", config.Sink{Type: "secretsmanager", Spec: &secretsmanager.Config{SecretID: "d", Target: "prod", Create: true, KMSKeyID: "alias/k",
			Tags: map[string]string{"a": "1", "b": "2"}, KeyIDField: "id", SecretField: "key"}}, "secretsmanager:prod/d"},
		{"secretsmanager, odd target", config.Sink{Type: "secretsmanager", Spec: &secretsmanager.Config{SecretID: "d", Target: "a/b+c%"}}, "secretsmanager:a%2Fb%2Bc%25/d"},

		{"ssm", config.Sink{Type: "ssm", Spec: &ssm.Config{Name: "/team-a/deployer", Target: "prod", KeyID: "alias/aws/ssm", Tier: "Advanced"}}, "ssm:prod//team-a/deployer"},
		{"ssm, the secret's target", config.Sink{Type: "ssm", Spec: &ssm.Config{Name: "deployer"}}, "ssm:/deployer"},
		{"ssm, two parameters", config.Sink{Type: "ssm", Spec: &ssm.Config{IDParameter: "/a/id", SecretParameter: "/a/secret", Target: "prod"}}, "ssm:prod//a/id+/a/secret"},
		{"ssm, odd name", config.Sink{Type: "ssm", Spec: &ssm.Config{Name: "/a/id+/a/secret", Target: "prod"}}, "ssm:prod//a/id%2B/a/secret"},

		{"command", config.Sink{Type: "command", Spec: &command.Config{Command: []string{"/usr/bin/systemctl", "reload", "app"}}}, "command:9d3fc0c7bef018e9"},
		{"command, timeout ignored", config.Sink{Type: "command", Spec: &command.Config{Command: []string{"/usr/bin/systemctl", "reload", "app"}, Timeout: config.Duration(time.Minute)}}, "command:9d3fc0c7bef018e9"},

		{"webhook", config.Sink{Type: "webhook", Spec: &webhook.Config{URL: "https://hooks.example.com/T0KEN-s3cr3t"}}, "webhook:705ba69134bc239f"},
		{"webhook, authentication ignored", config.Sink{Type: "webhook", Spec: &webhook.Config{URL: "https://hooks.example.com/T0KEN-s3cr3t", URLFile: "/etc/rotatord/hook.url",
			HMACSecret: "h", BearerToken: "b", CAFile: "/ca", IncludeValue: true, Timeout: config.Duration(time.Second)}}, "webhook:705ba69134bc239f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sink.ID(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestIDDistinct: different destinations never share an ID.
func TestIDDistinct(t *testing.T) {
	sinks := []config.Sink{
		{Type: "file", Spec: &file.Config{Path: "/run/a", Format: "json"}},
		{Type: "file", Spec: &file.Config{Path: "/run/a", Profile: "p"}},
		{Type: "file", Spec: &file.Config{Path: "/run/a", Profile: "q"}},
		{Type: "secretsmanager", Spec: &secretsmanager.Config{SecretID: "a"}},
		{Type: "secretsmanager", Spec: &secretsmanager.Config{SecretID: "a", Target: "prod"}},
		{Type: "secretsmanager", Spec: &secretsmanager.Config{SecretID: "b", Target: "prod"}},
		{Type: "secretsmanager", Spec: &secretsmanager.Config{SecretID: "a", Target: "dev"}},
		{Type: "ssm", Spec: &ssm.Config{Name: "/a", Target: "prod"}},
		{Type: "ssm", Spec: &ssm.Config{Name: "/a+/b", Target: "prod"}},
		{Type: "ssm", Spec: &ssm.Config{IDParameter: "/a", SecretParameter: "/b", Target: "prod"}},
		{Type: "ssm", Spec: &ssm.Config{IDParameter: "/b", SecretParameter: "/a", Target: "prod"}},
		{Type: "command", Spec: &command.Config{Command: []string{"/bin/x", "a b"}}},
		{Type: "command", Spec: &command.Config{Command: []string{"/bin/x", "a", "b"}}},
		{Type: "command", Spec: &command.Config{Command: []string{"/bin/x", "a", "b", ""}}},
		{Type: "webhook", Spec: &webhook.Config{URL: "https://hooks.example.com/T0KEN-s3cr3t"}},
		{Type: "webhook", Spec: &webhook.Config{URL: "https://hooks.example.com/T0KEN-s3cr3u"}},
		{Type: "webhook", Spec: &webhook.Config{URLFile: "/etc/rotatord/a.url"}},
		{Type: "webhook", Spec: &webhook.Config{URLFile: "/etc/rotatord/b.url"}},
	}
	seen := map[string]int{}
	for i, s := range sinks {
		id := sink.ID(s)
		if j, ok := seen[id]; ok {
			t.Errorf("sinks[%d] and sinks[%d] share ID %q", j, i, id)
		}
		seen[id] = i
	}
}

// TestIDStable: moving a sink, reordering a secret's sinks or changing
// how a sink writes (not where) keeps every ID.
func TestIDStable(t *testing.T) {
	sinks := []config.Sink{
		{Type: "file", Spec: &file.Config{Path: "/run/a.ini", Profile: "p"}, Pos: config.Pos{Line: 10, Col: 7}},
		{Type: "secretsmanager", Spec: &secretsmanager.Config{SecretID: "a", Target: "prod", Tags: map[string]string{"x": "1", "y": "2"}}, Pos: config.Pos{Line: 14, Col: 7}},
		{Type: "ssm", Spec: &ssm.Config{Name: "/a", Target: "prod"}, Pos: config.Pos{Line: 18, Col: 7}},
		{Type: "command", Spec: &command.Config{Command: []string{"/bin/x"}}, Pos: config.Pos{Line: 22, Col: 7}},
		{Type: "webhook", Spec: &webhook.Config{URL: "https://h.example.com/x"}, Pos: config.Pos{Line: 26, Col: 7}},
	}
	var before []string
	for _, s := range sinks {
		before = append(before, sink.ID(s))
	}
	moved := slices.Clone(sinks)
	slices.Reverse(moved)
	var after []string
	for i, s := range moved {
		s.Pos = config.Pos{Line: 100 + 4*i, Col: 11}
		switch c := s.Spec.(type) {
		case *file.Config:
			cp := *c
			cp.Mode = 0o640
			s.Spec = &cp
		case *secretsmanager.Config:
			cp := *c
			cp.Tags = map[string]string{"y": "2", "x": "1"}
			s.Spec = &cp
		case *command.Config:
			cp := *c
			cp.Timeout = config.Duration(time.Minute)
			s.Spec = &cp
		case *webhook.Config:
			cp := *c
			cp.Timeout = config.Duration(time.Minute)
			s.Spec = &cp
		}
		after = append(after, sink.ID(s))
	}
	slices.Reverse(after)
	if !slices.Equal(before, after) {
		t.Errorf("IDs changed:\n%q\n%q", before, after)
	}
}

// TestIDNoSecret: a webhook URL, a command's token argument or a secret
// field never shows in an ID.
func TestIDNoSecret(t *testing.T) {
	const token = "T0KEN-s3cr3t"
	tests := []struct {
		sink config.Sink
		re   string
	}{
		{config.Sink{Type: "webhook", Spec: &webhook.Config{URL: "https://hooks.example.com/" + token}}, `^webhook:[0-9a-f]{16}$`},
		{config.Sink{Type: "webhook", Spec: &webhook.Config{URLEnv: "HOOK_URL", HMACSecret: token}}, `^webhook:[0-9a-f]{16}$`},
		{config.Sink{Type: "command", Spec: &command.Config{Command: []string{"/usr/bin/curl", "-H", "Authorization: Bearer " + token, "https://hooks.example.com/"}}}, `^command:[0-9a-f]{16}$`},
		{config.Sink{Type: "future", Spec: &future{URL: config.SecretValue(token), BearerToken: token}}, `^future:[0-9a-f]{16}$`},
	}
	for _, tt := range tests {
		got := sink.ID(tt.sink)
		if !regexp.MustCompile(tt.re).MatchString(got) {
			t.Errorf("ID = %q, want %s", got, tt.re)
		}
		for _, s := range []string{token, "s3cr3t", "hooks.example.com", "curl", "HOOK_URL"} {
			if strings.Contains(got, s) {
				t.Errorf("ID %q contains %q", got, s)
			}
		}
	}
}

// TestIDGolden pins the generic digest, which a sink type without a case in
// ID gets: IDs are keys in the state store, so a change here strands every
// stored delivery record of those sinks.
func TestIDGolden(t *testing.T) {
	got := sink.ID(config.Sink{Type: "future", Spec: &future{Path: "https://hooks.example.com/x", Owner: "o"}})
	if want := "future:38c48ed8771e3e1d"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
