package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// head is the start of most test configurations: a valid file up to the
// secrets list, with one static target "prod" and one on the default chain.
const head = `version: 1
targets:
  - name: prod
    access_key_id: AKIAIOSFODNN7EXAMPLE
    secret_access_key_file: prod.secret
  - name: sandbox
    credentials: default
secrets:
`

// secret is a valid secret entry; tests append fields to it.
const secret = `  - name: /team-a/deployer
    target: prod
    access_key_id: AKIAFAKEDEPLOYER0001
    secret_access_key_file: deployer.secret
`

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse("/etc/rotatord/rotatord.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return c
}

func parseErrors(t *testing.T, src string) Errors {
	t.Helper()
	_, err := Parse("/etc/rotatord/rotatord.yaml", []byte(src))
	if err == nil {
		return nil
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Parse error is %T, want Errors", err)
	}
	return es
}

func TestDefaults(t *testing.T) {
	c := mustParse(t, head+secret+`    sinks:
      - type: file
        path: out/deployer.ini
`)
	s, tg, k := c.Secrets[0], c.Targets[0], c.Secrets[0].Sinks[0]
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"state.path", c.State.Path, DefaultStatePath},
		{"state.protection_key_file", c.State.ProtectionKeyFile, DefaultProtectionKeyFile},
		{"workers", c.Workers, DefaultWorkers},
		{"listen", c.Listen, DefaultListen},
		{"control_socket", c.ControlSocket, DefaultControlSocket},
		{"region", tg.Region, DefaultRegion},
		{"credentials", tg.Credentials, CredentialsStatic},
		{"rate_limit", tg.RateLimit, DefaultRateLimit},
		{"role_session_name without role_arn", tg.RoleSessionName, ""},
		{"secret_access_key_file resolved", tg.SecretAccessKeyFile, "/etc/rotatord/prod.secret"},
		{"rotator_type", s.RotatorType, RotatorAPIKey},
		{"authentication_credentials", s.AuthenticationCredentials, UseUserCreds},
		{"grace_rotation", s.GraceRotation, true},
		{"auto_rotate", s.AutoRotate, false},
		{"rotation_interval", s.RotationInterval, 0},
		{"rotation_hour", s.RotationHour, 0},
		{"catch_up", s.CatchUp, CatchUpNextHour},
		{"delete_protection", s.DeleteProtection, false},
		{"adopt_unknown_keys", s.AdoptUnknownKeys, false},
		{"verify_timeout", s.VerifyTimeout.D(), DefaultVerifyTimeout},
		{"grace_period", s.GracePeriod, 0},
		{"grace_timing", s.GraceTiming, GraceTimingAfter},
		{"retire", s.Retire, RetireDelete},
		{"max_versions", s.MaxVersions, DefaultMaxVersions},
		{"sink format", sinkField(k, "format"), "aws-credentials"},
		{"sink profile", sinkField(k, "profile"), "default"},
		{"sink mode", sinkField(k, "mode"), FileMode(0o600)},
		{"sink path resolved", sinkField(k, "path"), "/etc/rotatord/out/deployer.ini"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestDependentDefaults(t *testing.T) {
	c := mustParse(t, `version: 1
state:
  protection_key_env: ROTATORD_KEY
targets:
  - name: prod
    access_key_id: AKIAIOSFODNN7EXAMPLE
    secret_access_key_env: PROD_SECRET
  - name: staging
    credentials: default
    role_arn: arn:aws:iam::123456789012:role/rotatord
secrets:
  - name: prod-target
    target: prod
    rotator_type: target
  - name: json
    target: staging
    authentication_credentials: use-target-creds
    access_key_id: AKIAFAKEDEPLOYER0001
    sinks:
      - type: file
        path: /run/x.json
        format: json
`)
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"protection_key_file with protection_key_env", c.State.ProtectionKeyFile, ""},
		{"role_session_name with role_arn", c.Targets[1].RoleSessionName, DefaultRoleSessionName},
		{"authentication_credentials of a target rotator", c.Secrets[0].AuthenticationCredentials, UseTargetCreds},
		{"profile of a json sink", sinkField(c.Secrets[1].Sinks[0], "profile"), ""},
		{"canonical name", c.Secrets[0].Name, "/prod-target"},
		{"secret Pos", c.Secrets[1].Pos, Pos{Line: 15, Col: 5}},
		{"sink Pos", c.Secrets[1].Sinks[0].Pos, Pos{Line: 20, Col: 9}},
		{"target Pos", c.Targets[1].Pos, Pos{Line: 8, Col: 5}},
		{"state Pos", c.State.Pos, Pos{Line: 3, Col: 3}},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestExplicitZeroIsNotDefault(t *testing.T) {
	for _, tt := range []struct{ field, want string }{
		{"workers: 0\n", "workers: 0 is out of range 1..1024"},
	} {
		es := parseErrors(t, tt.field+head+secret)
		if len(es) != 1 || !strings.Contains(es[0].Error(), tt.want) {
			t.Errorf("%q: got %v, want one error containing %q", tt.field, es, tt.want)
		}
	}
	c := mustParse(t, head+secret+"    grace_rotation: false\n    sinks:\n      - {type: file, path: /x, mode: \"0\"}\n")
	if c.Secrets[0].GraceRotation || sinkField(c.Secrets[0].Sinks[0], "mode") != FileMode(0) {
		t.Errorf("explicit false and 0: got grace_rotation %v, mode %o", c.Secrets[0].GraceRotation, sinkField(c.Secrets[0].Sinks[0], "mode"))
	}
}

func TestScalarForms(t *testing.T) {
	for _, tt := range []struct {
		name, fields string
		check        func(*RotatedSecret) bool
	}{
		{"mode quoted", `sinks: [{type: file, path: /x, mode: "0640"}]`, func(s *RotatedSecret) bool { return sinkField(s.Sinks[0], "mode") == FileMode(0o640) }},
		{"mode without 0", `sinks: [{type: file, path: /x, mode: "600"}]`, func(s *RotatedSecret) bool { return sinkField(s.Sinks[0], "mode") == FileMode(0o600) }},
		{"mode 0o", `sinks: [{type: file, path: /x, mode: 0o640}]`, func(s *RotatedSecret) bool { return sinkField(s.Sinks[0], "mode") == FileMode(0o640) }},
		{"mode unquoted int", `sinks: [{type: file, path: /x, mode: 0600}]`, func(s *RotatedSecret) bool { return sinkField(s.Sinks[0], "mode") == FileMode(0o600) }},
		{"mode unquoted 600", `sinks: [{type: file, path: /x, mode: 600}]`, func(s *RotatedSecret) bool { return sinkField(s.Sinks[0], "mode") == FileMode(0o600) }},
		{"bool yes", `auto_rotate: yes
    rotation_interval: 30`, func(s *RotatedSecret) bool { return s.AutoRotate }},
		{"bool off", `grace_rotation: off`, func(s *RotatedSecret) bool { return !s.GraceRotation }},
		{"duration", `verify_timeout: 1m30s`, func(s *RotatedSecret) bool { return s.VerifyTimeout.D() == 90*time.Second }},
		{"null leaves default", `max_versions: ~`, func(s *RotatedSecret) bool { return s.MaxVersions == DefaultMaxVersions }},
		{"cron descriptor", `rotation_schedule: "@every 30s"`, func(s *RotatedSecret) bool { return s.RotationSchedule == "@every 30s" }},
		{"cron weekday name", `rotation_schedule: "0 3 * * MON"`, func(s *RotatedSecret) bool { return s.RotationSchedule != "" }},
		{"cron daily", `rotation_schedule: "@daily"`, func(s *RotatedSecret) bool { return s.RotationSchedule != "" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, head+secret+"    "+tt.fields+"\n")
			if !tt.check(&c.Secrets[0]) {
				t.Errorf("got %+v", c.Secrets[0])
			}
		})
	}
}

func TestAliasesAndMergeKeys(t *testing.T) {
	c := mustParse(t, head+`  - &base
    name: /a
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: AKIAFAKEDEPLOYER0001
    auto_rotate: true
    rotation_interval: 30
    sinks: &sinks
      - {type: file, path: /run/a.env, format: env}
  - <<: *base
    name: /b
    access_key_id: AKIAFAKEDEPLOYER0002
    rotation_interval: 60
    sinks: [{type: file, path: /run/b.env, format: env}]
`)
	b := c.Secrets[1]
	if b.Name != "/b" || b.RotationInterval != 60 || !b.AutoRotate || b.AuthenticationCredentials != UseTargetCreds || b.AccessKeyID != "AKIAFAKEDEPLOYER0002" || sinkField(b.Sinks[0], "path") != "/run/b.env" {
		t.Errorf("merged secret: got %+v", b)
	}
	es := parseErrors(t, head+`  - &base
    name: /a
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: AKIAFAKEDEPLOYER0001
  - <<: *base
    name: /b
    access_key_id: AKIAFAKEDEPLOYER0002
    rotaton_hour: 3
`)
	if len(es) != 1 || es[0].Line != 17 || !strings.Contains(es[0].Msg, "did you mean rotation_hour") {
		t.Errorf("unknown key next to a merge: got %v", es)
	}
}

// TestRateLimitAuto: rate_limit: auto takes rate_limit_max's default,
// prints as it was written, and parses back the same.
func TestRateLimitAuto(t *testing.T) {
	for _, tt := range []struct {
		field string
		max   float64
	}{
		{"rate_limit: auto", DefaultRateLimitMax},
		{"rate_limit: auto\n    rate_limit_max: 40", 40},
	} {
		c := mustParse(t, strings.Replace(head, "credentials: default", "credentials: default\n    "+tt.field, 1)+secret)
		tg := c.Targets[1]
		if !tg.RateLimit.Auto() || tg.RateLimitMax != tt.max {
			t.Errorf("%q: got rate_limit %v, max %v; want auto, %v", tt.field, tg.RateLimit, tg.RateLimitMax, tt.max)
		}
		if c.Targets[0].RateLimitMax != 0 {
			t.Errorf("a fixed rate_limit got rate_limit_max %v", c.Targets[0].RateLimitMax)
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "rate_limit: auto\n") || strings.Count(string(out), "rate_limit_max:") != 1 {
			t.Errorf("%q printed as:\n%s", tt.field, out)
		}
	}
}
