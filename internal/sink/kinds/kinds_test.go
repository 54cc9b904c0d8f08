package kinds_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
	_ "github.com/rotatord/rotatord/internal/sink/kinds"
)

// echo is a sink kind that this test adds the way a new package would:
// its own Config type, registered with one line (in init below). It
// records what it is given.
type echo struct {
	Address   string             `yaml:"address"`
	Token     config.SecretValue `yaml:"token"`
	TokenFile string             `yaml:"token_file"`
	TokenEnv  string             `yaml:"token_env"`
	Timeout   config.Duration    `yaml:"timeout"`
}

func init() { config.RegisterSink("echo", func() config.SinkSpec { return new(echo) }) }

func (e *echo) SinkDefaults(d *config.SinkChecker) {
	if !d.Given("timeout") {
		e.Timeout = config.Duration(5 * time.Second)
	}
}

func (e *echo) CheckSink(c *config.SinkChecker) {
	if e.Address == "" {
		c.Errorf("address", "required; name the address to echo to")
	}
	c.SecretRef("token", e.Token, e.TokenFile, e.TokenEnv)
	c.DurationRange("timeout", e.Timeout, time.Second, time.Minute, "1s..1m")
}

func (e *echo) ResolveSink(r *config.SinkRefs) {
	r.Secret("token", "the echo token", "token", &e.Token, e.TokenFile, e.TokenEnv)
}

func (e *echo) SinkID() string { return "echo:" + e.Address }

func (e *echo) Build(sink.Deps) (sink.Sink, error) { return &echoSink{token: e.Token}, nil }

type echoSink struct {
	token config.SecretValue
	got   []sink.Credential
}

func (s *echoSink) Put(_ context.Context, c sink.Credential) error {
	s.got = append(s.got, c)
	return nil
}

const head = `version: 1
state: {protection_key_env: ROTATORD_KEY}
targets:
  - name: prod
    credentials: default
secrets:
  - name: /team-a/deployer
    target: prod
    access_key_id: AKIAFAKEDEPLOYER0001
    authentication_credentials: use-target-creds
    sinks:
`

func TestNewKind(t *testing.T) {
	t.Setenv("ECHO_TOKEN", "fake-echo-token-0001")
	t.Setenv("ROTATORD_KEY", "1afCV5btsy1ff0wbXaDPtcZ3VG6LctxEjeDOzOKjG+E=") // a test key, 32 bytes
	src := head + "      - {type: echo, address: a, token_env: ECHO_TOKEN}\n" +
		"      - {type: file, path: /run/x.ini}\n"
	c, err := config.Load(writeConfig(t, src))
	if err != nil {
		t.Fatal(err)
	}
	k := c.Secrets[0].Sinks[0]
	e, ok := k.Spec.(*echo)
	if !ok {
		t.Fatalf("spec is %T, want *echo", k.Spec)
	}
	if e.Token.Reveal() != "fake-echo-token-0001" || e.Timeout.D() != 5*time.Second {
		t.Errorf("token resolved %v, timeout %v; want the variable's value and the default 5s", e.Token.Reveal() != "", e.Timeout.D())
	}
	if got := sink.ID(k); got != "echo:a" {
		t.Errorf("ID = %q, want echo:a", got)
	}
	s, err := k.Spec.(sink.Spec).Build(sink.Deps{})
	if err != nil || s.(*echoSink).token != e.Token {
		t.Fatalf("Build = %v, %v", s, err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := "      - type: echo\n        address: a\n        token_env: ECHO_TOKEN\n        timeout: 5s\n      - type: file\n"; !strings.Contains(string(out), want) {
		t.Errorf("--print lacks\n%s\nin\n%s", want, out)
	}
}

func TestNewKindRules(t *testing.T) {
	for _, tt := range []struct{ name, sink, want string }{
		{"its own rule, at its line and column", "{type: echo, token: x}", "rotatord.yaml:12:9: secrets[0].sinks[0].address: required; name the address to echo to"},
		{"a shared rule", "{type: echo, address: a, token: x, token_env: Y}", "rotatord.yaml:12:55: secrets[0].sinks[0].token_env: set only one of token_file, token_env and token (token is set too)"},
		{"a field of another kind", "{type: echo, address: a, path: /x}", `rotatord.yaml:12:34: secrets[0].sinks[0]: field "path" does not apply to type echo (it takes: address, token, token_file, token_env, timeout)`},
		{"a field of its own elsewhere", "{type: file, path: /x, address: a}", `secrets[0].sinks[0]: field "address" does not apply to type file`},
		{"listed among the types", "{address: a}", "secrets[0].sinks[0].type: required; say which kind of sink this is (supported: file, secretsmanager, ssm, webhook, command, echo)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("/etc/rotatord/rotatord.yaml", []byte(head+"      - "+tt.sink+"\n"))
			var es config.Errors
			if !errors.As(err, &es) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q in it", err, tt.want)
			}
		})
	}
}

// writeConfig writes src as a private configuration file and returns its
// path.
func writeConfig(t *testing.T, src string) string {
	t.Helper()
	p := t.TempDir() + "/rotatord.yaml"
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
