package config

import (
	"fmt"
	"strings"
	"testing"
)

// rule is one case of the rule tables: src is a whole file; want is
// "PATH: text" that one error must hold, or "" for a valid file.
type rule struct{ name, src, want string }

// runRules parses each case and checks that one error holds want, with a
// position.
func runRules(t *testing.T, rules []rule) {
	t.Helper()
	for _, tt := range rules {
		t.Run(tt.name, func(t *testing.T) {
			es := parseErrors(t, tt.src)
			if tt.want == "" {
				if es != nil {
					t.Errorf("got errors, want none:\n%v\n---\n%s", es, tt.src)
				}
				return
			}
			for _, e := range es {
				if strings.Contains(fmt.Sprintf("%s: %s", e.Path, e.Msg), tt.want) {
					if e.Line < 1 || e.Col < 1 {
						t.Errorf("error %q has no position", e)
					}
					return
				}
			}
			t.Errorf("got errors:\n%v\nwant one with %q\n---\n%s", es, tt.want, tt.src)
		})
	}
}

func TestTopLevelRules(t *testing.T) {
	runRules(t, []rule{
		{"version missing", strings.TrimPrefix(head, "version: 1\n") + secret, "version: required"},
		{"version 2", strings.Replace(head, "version: 1", "version: 2", 1) + secret, "version: 2 is not supported; this rotatord reads version 1"},
		{"workers too many", "workers: 1025\n" + head + secret, "workers: 1025 is out of range 1..1024"},
		{"listen no port", "listen: localhost\n" + head + secret, `listen: "localhost" is not host:port`},
		{"listen bad port", "listen: ':http'\n" + head + secret, `listen: port "http" is not a number`},
		{"listen any interface", "listen: ':9464'\n" + head + secret, ""},
		{"socket too long", "control_socket: /run/" + strings.Repeat("x", 120) + "\n" + head + secret, "control_socket: is 125 bytes long"},
		{"key file and env", "state: {protection_key_file: /k, protection_key_env: K}\n" + head + secret, "state.protection_key_env: set either"},
		{"key env name", "state: {protection_key_env: 'my key'}\n" + head + secret, "state.protection_key_env: is not the name of an environment variable"},
		{"path with newline", "state:\n  path: |\n    /var/lib/x\n" + head + secret, "state.path: holds a control character"},
		{"workers 0", "workers: 0\n" + head + secret, "workers: 0 is out of range 1..1024"},
		{"state path empty", "state:\n  path: \"\"\n" + head + secret, "state.path: is empty"},
		{"control socket empty", "control_socket: ''\n" + head + secret, "control_socket: is empty"},
		{"top level not a mapping", "- version: 1\n", "expected a mapping of fields"},
		{"empty file", "# nothing\n", "the file is empty"},
		{"second document", head + secret + "---\nversion: 1\n", "more than one YAML document"},
		{"no secrets", "version: 1\n", ""},
	})
}

func TestTargetRules(t *testing.T) {
	runRules(t, []rule{
		{"target name charset", strings.Replace(head, "name: prod", "name: prod east", 1) + strings.Replace(secret, "target: prod", "target: sandbox", 1), `targets[0].name: "prod east" may only hold`},
		{"region", strings.Replace(head, "credentials: default", "credentials: default\n    region: US East", 1) + secret, `targets[1].region: "US East" is not an AWS region`},
		{"endpoint scheme", strings.Replace(head, "credentials: default", "credentials: default\n    endpoint: ftp://x", 1) + secret, "targets[1].endpoint: is not an absolute http or https URL"},
		{"endpoint password", strings.Replace(head, "credentials: default", "credentials: default\n    endpoint: https://u:p@x", 1) + secret, "targets[1].endpoint: holds a user name or password"},
		{"endpoint ok", strings.Replace(head, "credentials: default", "credentials: default\n    endpoint: http://127.0.0.1:4566/", 1) + secret, ""},
		{"credentials enum", strings.Replace(head, "credentials: default", "credentials: instance", 1) + secret, `targets[1].credentials: "instance" is not one of static, default`},
		{"static needs key id", strings.Replace(head, "    access_key_id: AKIAIOSFODNN7EXAMPLE\n", "", 1) + secret, "targets[0].access_key_id: required with credentials: static"},
		{"key id syntax", strings.Replace(head, "AKIAIOSFODNN7EXAMPLE", "AKIA-1", 1) + secret, `targets[0].access_key_id: "AKIA-1" is not an access key id`},
		{"static two secrets", strings.Replace(head, "prod.secret\n", "prod.secret\n    secret_access_key_env: PROD\n", 1) + secret, "targets[0].secret_access_key_env: set only one of"},
		{"default with env", strings.Replace(head, "credentials: default", "credentials: default\n    secret_access_key_env: X", 1) + secret, "targets[1].secret_access_key_env: credentials: default takes the key"},
		{"role arn", strings.Replace(head, "credentials: default", "credentials: default\n    role_arn: arn:aws:iam::12345:role/x", 1) + secret, "targets[1].role_arn:"},
		{"role arn gov", strings.Replace(head, "credentials: default", "credentials: default\n    role_arn: arn:aws-us-gov:iam::123456789012:role/path/x", 1) + secret, ""},
		{"external id without role", strings.Replace(head, "credentials: default", "credentials: default\n    external_id: abc", 1) + secret, "targets[1].external_id: only applies with role_arn"},
		{"session name without role", strings.Replace(head, "credentials: default", "credentials: default\n    role_session_name: abc", 1) + secret, "targets[1].role_session_name: only applies with role_arn"},
		{"rate limit too high", strings.Replace(head, "credentials: default", "credentials: default\n    rate_limit: 1001", 1) + secret, "targets[1].rate_limit: 1001 is out of range"},
		{"rate limit nan", strings.Replace(head, "credentials: default", "credentials: default\n    rate_limit: .nan", 1) + secret, "targets[1].rate_limit: NaN is out of range"},
		{"rate limit auto", strings.Replace(head, "credentials: default", "credentials: default\n    rate_limit: auto", 1) + secret, ""},
		{"rate limit auto max", strings.Replace(head, "credentials: default", "credentials: default\n    rate_limit: auto\n    rate_limit_max: 40", 1) + secret, ""},
		{"rate limit word", strings.Replace(head, "credentials: default", "credentials: default\n    rate_limit: foo", 1) + secret, `targets[1].rate_limit: "foo" is not a number or auto`},
		{"rate limit quoted auto case", strings.Replace(head, "credentials: default", "credentials: default\n    rate_limit: Auto", 1) + secret, `targets[1].rate_limit: "Auto" is not a number or auto`},
		{"rate limit max without auto", strings.Replace(head, "credentials: default", "credentials: default\n    rate_limit: 5\n    rate_limit_max: 40", 1) + secret, "targets[1].rate_limit_max: only applies with rate_limit: auto"},
		{"rate limit max alone", strings.Replace(head, "credentials: default", "credentials: default\n    rate_limit_max: 40", 1) + secret, "targets[1].rate_limit_max: only applies with rate_limit: auto"},
		{"rate limit max range", strings.Replace(head, "credentials: default", "credentials: default\n    rate_limit: auto\n    rate_limit_max: 0", 1) + secret, "targets[1].rate_limit_max: 0 is out of range"},
		{"rate limit max word", strings.Replace(head, "credentials: default", "credentials: default\n    rate_limit: auto\n    rate_limit_max: auto", 1) + secret, `targets[1].rate_limit_max: "auto" is not a number`},
		{"rate limit fraction", strings.Replace(head, "credentials: default", "credentials: default\n    rate_limit: 0.5", 1) + secret, ""},
		{"duplicate target", strings.Replace(head, "name: sandbox", "name: prod", 1) + secret, `targets[1].name: "prod" is already the name of targets[0] (line 3)`},
	})
}

func TestSecretRules(t *testing.T) {
	runRules(t, []rule{
		{"name required", strings.Replace(head+secret, "  - name: /team-a/deployer\n    target", "  - target", 1), "secrets[0].name: required"},
		{"name dot segment", head + strings.Replace(secret, "/team-a/deployer", "team-a/./x", 1), `secrets[0].name: "/team-a/./x" has a "." segment`},
		{"name empty segment", head + strings.Replace(secret, "/team-a/deployer", "/a//b", 1), "has an empty segment"},
		{"name trailing slash", head + strings.Replace(secret, "/team-a/deployer", "/a/", 1), "ends with /"},
		{"name root", head + strings.Replace(secret, "/team-a/deployer", "/", 1), "secrets[0].name: \"/\" is empty"},
		{"name charset ok", head + strings.Replace(secret, "/team-a/deployer", "a_b.c+d=e@f-g/h", 1), ""},
		{"duplicate after canonical", head + secret + strings.Replace(secret, "/team-a/deployer", "team-a/deployer", 1), `secrets[1].name: "/team-a/deployer" is already the name of secrets[0] (line 9)`},
		{"target required", head + strings.Replace(secret, "    target: prod\n", "", 1), "secrets[0].target: required; name one of the targets (prod, sandbox)"},
		{"target unknown", head + strings.Replace(secret, "target: prod", "target: prd", 1), `secrets[0].target: unknown target "prd" (did you mean prod?)`},
		{"rotator type enum", head + secret + "    rotator_type: password\n", `secrets[0].rotator_type: "password" is not one of api-key, target`},
		{"auth enum", head + secret + "    authentication_credentials: target\n", `secrets[0].authentication_credentials: "target" is not one of`},
		{"api-key needs key id", head + strings.Replace(secret, "    access_key_id: AKIAFAKEDEPLOYER0001\n", "", 1), "secrets[0].access_key_id: required with rotator_type: api-key"},
		{"user creds needs secret", head + strings.Replace(secret, "    secret_access_key_file: deployer.secret\n", "", 1), "secrets[0].secret_access_key_file: required with use-user-creds"},
		{"target creds secret optional", head + strings.Replace(secret, "    secret_access_key_file: deployer.secret\n", "", 1) + "    authentication_credentials: use-target-creds\n", ""},
		{"target creds at most one", head + secret + "    authentication_credentials: use-target-creds\n    secret_access_key_env: X\n", "secrets[0].secret_access_key_env: set only one of"},
		{"target rotator with user creds", head + "  - {name: t, target: prod, rotator_type: target, authentication_credentials: use-user-creds}\n", "secrets[0].authentication_credentials: use-user-creds does not go with rotator_type: target"},
		{"target rotator with key", head + "  - {name: t, target: prod, rotator_type: target, secret_access_key_env: X}\n", `secrets[0].secret_access_key_env: rotator_type: target rotates the key of target "prod"`},
		{"target rotator on default target", head + "  - {name: t, target: sandbox, rotator_type: target}\n", `secrets[0].target: target "sandbox" has credentials: default`},
		{"two target rotators", head + "  - {name: t, target: prod, rotator_type: target}\n  - {name: u, target: prod, rotator_type: target}\n", "secrets[1].rotator_type: target \"prod\" is already rotated by secrets[0]"},
		{"target rotator ok", head + "  - {name: t, target: prod, rotator_type: target}\n", ""},
		{"user name", head + secret + "    user_name: ci deployer\n", `secrets[0].user_name: "ci deployer" is not an IAM user name`},
	})
}

func TestScheduleRules(t *testing.T) {
	runRules(t, []rule{
		{"interval 0 is given", head + secret + "    rotation_interval: 0\n", "secrets[0].rotation_interval: 0 is out of range 1..365 days"},
		{"interval 0 with auto_rotate", head + secret + "    auto_rotate: true\n    rotation_interval: 0\n", "secrets[0].rotation_interval: 0 is out of range 1..365 days"},
		{"catch_up empty", head + secret + "    catch_up: \"\"\n", `secrets[0].catch_up: "" is not one of next-hour, immediate`},
		{"interval 400", head + secret + "    auto_rotate: true\n    rotation_interval: 400\n", "secrets[0].rotation_interval: 400 is out of range 1..365 days"},
		{"interval negative", head + secret + "    auto_rotate: true\n    rotation_interval: -3\n", "secrets[0].rotation_interval: -3 is out of range 1..365"},
		{"interval 365", head + secret + "    auto_rotate: true\n    rotation_interval: 365\n", ""},
		{"hour 24", head + secret + "    rotation_hour: 24\n", "secrets[0].rotation_hour: 24 is out of range 0..23"},
		{"hour 23", head + secret + "    rotation_hour: 23\n", ""},
		{"cron bad", head + secret + "    rotation_schedule: '61 * * * *'\n", `secrets[0].rotation_schedule: "61 * * * *" is not a cron expression`},
		{"cron every without duration", head + secret + "    rotation_schedule: '@every'\n", "secrets[0].rotation_schedule:"},
		{"cron tz", head + secret + "    rotation_schedule: 'TZ=UTC'\n", "starts with a time zone prefix, which rotatord does not read; name the zone in rotation_timezone"},
		{"auto rotate needs when", head + secret + "    auto_rotate: true\n", "secrets[0].auto_rotate: true needs rotation_interval"},
		{"catch up enum", head + secret + "    catch_up: now\n", `secrets[0].catch_up: "now" is not one of next-hour, immediate`},
		{"verify timeout low", head + secret + "    verify_timeout: 500ms\n", "secrets[0].verify_timeout: 500ms is out of range 1s..1h"},
		{"verify timeout high", head + secret + "    verify_timeout: 61m\n", "out of range 1s..1h"},
		{"verify timeout 1h", head + secret + "    verify_timeout: 1h\n", ""},
	})
}

func TestGraceRules(t *testing.T) {
	runRules(t, []rule{
		{"grace period range", head + secret + "    grace_period: 366\n", "secrets[0].grace_period: 366 is out of range 0..365 days"},
		{"grace period strict", head + secret + "    grace_rotation: false\n    grace_period: 3\n", "secrets[0].grace_period: only applies with grace_rotation: true"},
		{"grace timing enum", head + secret + "    grace_timing: during\n", `secrets[0].grace_timing: "during" is not one of after, before`},
		{"before needs period", head + secret + "    grace_timing: before\n", "secrets[0].grace_timing: before needs grace_period"},
		{"before period >= interval", head + secret + "    auto_rotate: true\n    rotation_interval: 5\n    grace_period: 5\n    grace_timing: before\n", "secrets[0].grace_period: 5 days is not shorter than rotation_interval (5 days)"},
		{"before needs schedule", head + secret + "    grace_period: 5\n    grace_timing: before\n", "secrets[0].grace_timing: before needs rotation_interval or rotation_schedule"},
		{"before ok", head + secret + "    auto_rotate: true\n    rotation_interval: 30\n    grace_period: 5\n    grace_timing: before\n", ""},
		{"retire enum", head + secret + "    retire: disable\n", `secrets[0].retire: "disable" is not one of delete, deactivate`},
		{"max versions", head + secret + "    max_versions: 1001\n", "secrets[0].max_versions: 1001 is out of range 2..1000"},
	})
}

func TestSinkRules(t *testing.T) {
	runRules(t, []rule{
		{"sink type required", head + secret + "    sinks: [{path: /x}]\n", "secrets[0].sinks[0].type: required"},
		{"sink unknown type", head + secret + "    sinks: [{type: vault}]\n", `secrets[0].sinks[0].type: "vault" is not a sink type (supported: file, secretsmanager, ssm, webhook, command)`},
		{"sink type typo", head + secret + "    sinks: [{type: webhok, url: x}]\n", `secrets[0].sinks[0].type: "webhok" is not a sink type (did you mean webhook?)`},
		{"sink path required", head + secret + "    sinks: [{type: file}]\n", "secrets[0].sinks[0].path: required"},
		{"sink path dir", head + secret + "    sinks: [{type: file, path: /run/x/}]\n", "secrets[0].sinks[0].path: names a directory"},
		{"sink format", head + secret + "    sinks: [{type: file, path: /x, format: ini}]\n", `secrets[0].sinks[0].format: "ini" is not one of aws-credentials, env, json`},
		{"sink profile with env", head + secret + "    sinks: [{type: file, path: /x, format: env, profile: p}]\n", "secrets[0].sinks[0].profile: only applies with format: aws-credentials"},
		{"sink profile charset", head + secret + "    sinks: [{type: file, path: /x, profile: 'a b'}]\n", `secrets[0].sinks[0].profile: "a b" may only hold`},
		{"sink mode text", head + secret + "    sinks: [{type: file, path: /x, mode: '0x180'}]\n", `secrets[0].sinks[0].mode: "0x180" is not an octal file mode`},
		{"sink mode 8", head + secret + "    sinks: [{type: file, path: /x, mode: 0680}]\n", `secrets[0].sinks[0].mode: "0680" is not an octal file mode`},
		{"sink mode high", head + secret + "    sinks: [{type: file, path: /x, mode: '1777'}]\n", "secrets[0].sinks[0].mode: 01777 is out of range"},
		{"sink owner", head + secret + "    sinks: [{type: file, path: /x, owner: 'a:b:c'}]\n", `secrets[0].sinks[0].owner: "a:b:c" is not user, user:group or uid:gid`},
		{"sink owner ok", head + secret + "    sinks: [{type: file, path: /x, owner: '1000:1000'}]\n", ""},
		{"sink same profile", head + secret + "    sinks: [{type: file, path: /x, profile: a}, {type: file, path: /x, profile: a}]\n", `secrets[0].sinks[1].profile: secrets[0].sinks[0] (line 13) already writes profile "a" of /x`},
		{"sink same profile relative", head + secret + "    sinks: [{type: file, path: creds, profile: a}, {type: file, path: /etc/rotatord/creds, profile: a}]\n", "already writes profile"},
		{"sink two profiles", head + secret + "    sinks: [{type: file, path: /x, profile: a}, {type: file, path: /x, profile: b}]\n", ""},
		{"sink two formats", head + secret + "    sinks: [{type: file, path: /x}, {type: file, path: /x, format: json}]\n", "secrets[0].sinks[1].path: secrets[0].sinks[0] (line 13) also writes this file, as aws-credentials"},
		{"sink same env file", head + secret + strings.Replace(secret, "/team-a/deployer", "/b", 1) + "    sinks: [{type: file, path: /x, format: env}]\n" + "    authentication_credentials: use-target-creds\n" + strings.Replace(strings.Replace(secret, "/team-a/deployer", "/c", 1), "    secret_access_key_file: deployer.secret\n", "", 1) + "    authentication_credentials: use-target-creds\n    sinks: [{type: file, path: /x, format: env}]\n", "secrets[2].sinks[0].path: secrets[1].sinks[0] (line 17) already writes this file"},
		{"sink over secret file", head + secret + "    sinks: [{type: file, path: /etc/rotatord/prod.secret, format: env}]\n", "secrets[0].sinks[0].path: would overwrite /etc/rotatord/prod.secret, a secret access key file (targets[0].secret_access_key_file, line 5)"},
		{"sink over config", head + secret + "    sinks: [{type: file, path: rotatord.yaml, format: env}]\n", "would overwrite /etc/rotatord/rotatord.yaml, the configuration file;"},
	})
}

func TestDecodeRules(t *testing.T) {
	runRules(t, []rule{
		{"unknown top", "verison: 1\n" + strings.TrimPrefix(head, "version: 1\n") + secret, `unknown field "verison" (did you mean version?)`},
		{"unknown no suggestion", head + secret + "    colour: blue\n", `secrets[0]: unknown field "colour"`},
		{"duplicate key", head + secret + "    target: sandbox\n", `secrets[0]: duplicate field "target" (first at line 10)`},
		{"int as string", head + secret + "    rotation_hour: '3'\n", `secrets[0].rotation_hour: "3" is quoted, so it is a string, not an integer`},
		{"float as int", head + secret + "    rotation_hour: 3.5\n", "secrets[0].rotation_hour: 3.5 is not an integer"},
		{"huge int", head + secret + "    rotation_hour: 99999999999999999999\n", "secrets[0].rotation_hour: 99999999999999999999 is not an integer"},
		{"bool word", head + secret + "    auto_rotate: maybe\n", `secrets[0].auto_rotate: "maybe" is not true or false`},
		{"duration word", head + secret + "    verify_timeout: a minute\n", `secrets[0].verify_timeout: "a minute" is not a duration such as 90s, 2m or 14d`},
		{"list for string", head + secret + "    user_name: [a, b]\n", "secrets[0].user_name: expected a string, got a list"},
		{"mapping for list", "version: 1\ntargets: {name: prod}\n", `targets: expected a list, got a mapping; start each entry with "- "`},
		{"scalar for mapping", "version: 1\nstate: /var/lib/rotatord\n", `state: expected a mapping of fields, got "/var/lib/rotatord"`},
		{"empty list entry", head + "  -\n" + secret, "secrets[0]: empty entry"},
		{"scalar list entry", head + "  - /team-a/x\n" + secret, `secrets[0]: expected a mapping of fields, got "/team-a/x"`},
		{"complex key", head + secret + "    ? [a]\n    : b\n", "secrets[0]: field names must be plain words, got a list"},
		{"bad merge", head + secret + "    <<: 3\n", "secrets[0]: a merge key (<<) takes a mapping"},
		{"syntax", head + secret + "    sinks: [\n", "invalid yaml"},
		{"syntax no line", "a: b: c\n", "invalid yaml: mapping values are not allowed in this context"},
	})
}

// TestAllErrorsSorted checks that problems found by decoding, validation
// and cross-entity checks all come back together, in file order.
func TestAllErrorsSorted(t *testing.T) {
	es := parseErrors(t, `workers: 0
version: 1
targets:
  - name: prod
    credentials: default
    rate_limit: 0
secrets:
  - name: /a
    target: nowhere
    rotation_hour: 99
    colour: red
  - name: /a
    target: prod
    access_key_id: AKIAFAKEDEPLOYER0001
    authentication_credentials: use-target-creds
    max_versions: x
`)
	want := []string{
		"1:10 workers",
		"6:17 targets[0].rate_limit",
		"8:5 secrets[0].access_key_id",
		"8:5 secrets[0].secret_access_key_file",
		"9:13 secrets[0].target",
		"10:20 secrets[0].rotation_hour",
		"11:5 secrets[0]",
		"12:11 secrets[1].name",
		"16:19 secrets[1].max_versions",
	}
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%d:%d %s", e.Line, e.Col, e.Path))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s\nerrors:\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"), es)
	}
}
