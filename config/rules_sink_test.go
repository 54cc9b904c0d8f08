package config

import (
	"strings"
	"testing"
)

// sinks returns head + secret with the given sinks, one flow mapping each.
func sinks(list ...string) string {
	return head + secret + "    sinks:\n      - " + strings.Join(list, "\n      - ") + "\n"
}

func TestSinkFieldRules(t *testing.T) {
	runRules(t, []rule{
		{"field of another type", sinks("{type: webhook, url_file: /u, path: /x}"), `secrets[0].sinks[0]: field "path" does not apply to type webhook (it takes: url, url_file, url_env, hmac_secret`},
		{"file takes no secret_id", sinks("{type: file, path: /x, secret_id: a}"), `field "secret_id" does not apply to type file (it takes: path, format, profile, mode, owner, template, template_file)`},
		{"command takes no url", sinks("{type: command, command: [/bin/true], url: 'https://h/x'}"), `field "url" does not apply to type command (it takes: command, timeout)`},
		{"ssm takes no timeout", sinks("{type: ssm, name: /x, timeout: 5s}"), `field "timeout" does not apply to type ssm`},
		{"unknown with suggestion", sinks("{type: webhook, url_file: /u, hmac_secert_file: /h}"), `unknown field "hmac_secert_file" (did you mean hmac_secret_file?)`},
		{"unknown type reports only the type", sinks("{type: s3, bucket: b, path: /x}"), `secrets[0].sinks[0].type: "s3" is not a sink type`},
		{"missing type reports only the type", sinks("{secret_id: a, colour: red}"), "secrets[0].sinks[0].type: required"},
		{"type not a string", sinks("{type: [file], path: /x}"), "secrets[0].sinks[0].type: expected a string, got a list"},
	})
	// A sink without a known type reports nothing but its type.
	for _, src := range []string{sinks("{type: s3, bucket: b, path: [x]}"), sinks("{colour: red, url: 3}")} {
		if es := parseErrors(t, src); len(es) != 1 || !strings.HasSuffix(es[0].Path, ".type") {
			t.Errorf("got %v, want one error about the type", es)
		}
	}
}

func TestTemplateRules(t *testing.T) {
	runRules(t, []rule{
		{"inline ok", sinks(`{type: file, path: /x, format: template, template: "K={{.AccessKeyID}}"}`), ""},
		{"file ok", sinks("{type: file, path: /x, format: template, template_file: t.tmpl}"), ""},
		{"neither", sinks("{type: file, path: /x, format: template}"), "secrets[0].sinks[0].format: template needs the template itself"},
		{"both", sinks(`{type: file, path: /x, format: template, template: "x", template_file: t.tmpl}`), "secrets[0].sinks[0].template_file: set either template or template_file, not both"},
		{"empty inline", sinks(`{type: file, path: /x, format: template, template: ""}`), "secrets[0].sinks[0].template: is empty"},
		{"does not parse", sinks(`{type: file, path: /x, format: template, template: "{{.AccessKeyID"}`), "secrets[0].sinks[0].template: is not a valid Go template: line 1: unclosed action"},
		{"unknown function", sinks(`{type: file, path: /x, format: template, template: "{{nope .AccessKeyID}}"}`), `is not a valid Go template: line 1: function "nope" not defined`},
		{"template without format", sinks(`{type: file, path: /x, template: "x"}`), "secrets[0].sinks[0].template: only applies with format: template"},
		{"template_file with json", sinks("{type: file, path: /x, format: json, template_file: t}"), "secrets[0].sinks[0].template_file: only applies with format: template"},
		{"template takes no profile", sinks(`{type: file, path: /x, format: template, template: "x", profile: p}`), "secrets[0].sinks[0].profile: only applies with format: aws-credentials"},
		{"template file is a directory", sinks("{type: file, path: /x, format: template, template_file: t/}"), "template_file: names a directory"},
	})
}

func TestSecretsManagerRules(t *testing.T) {
	runRules(t, []rule{
		{"ok", sinks("{type: secretsmanager, secret_id: team-a/deployer}"), ""},
		{"arn ok", sinks("{type: secretsmanager, secret_id: 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:a/b-AbCdEf'}"), ""},
		{"create with kms and tags ok", sinks("{type: secretsmanager, secret_id: a, create: true, kms_key_id: alias/a, tags: {team: a, 'cost center': '42'}}"), ""},
		{"secret_id required", sinks("{type: secretsmanager}"), "secrets[0].sinks[0].secret_id: required"},
		{"secret_id charset", sinks("{type: secretsmanager, secret_id: 'a b'}"), `secrets[0].sinks[0].secret_id: "a b" is not a secret name`},
		{"secret_id too long", sinks("{type: secretsmanager, secret_id: " + strings.Repeat("a", 513) + "}"), "is not a secret name: 1 to 512"},
		{"arn of another service", sinks("{type: secretsmanager, secret_id: 'arn:aws:ssm:us-east-1:123456789012:parameter/a'}"), "is not a Secrets Manager secret ARN"},
		{"arn without account", sinks("{type: secretsmanager, secret_id: 'arn:aws:secretsmanager:us-east-1::secret:a'}"), "is not a Secrets Manager secret ARN"},
		{"target unknown", sinks("{type: secretsmanager, secret_id: a, target: prd}"), `secrets[0].sinks[0].target: unknown target "prd" (did you mean prod?)`},
		{"target empty", sinks("{type: secretsmanager, secret_id: a, target: ''}"), "secrets[0].sinks[0].target: is empty"},
		{"target other ok", sinks("{type: secretsmanager, secret_id: a, target: sandbox}"), ""},
		{"kms without create", sinks("{type: secretsmanager, secret_id: a, kms_key_id: alias/a}"), "secrets[0].sinks[0].kms_key_id: only applies with create: true"},
		{"tags without create", sinks("{type: secretsmanager, secret_id: a, create: false, tags: {a: b}}"), "secrets[0].sinks[0].tags: only applies with create: true"},
		{"key_id_field empty", sinks("{type: secretsmanager, secret_id: a, key_id_field: ''}"), "secrets[0].sinks[0].key_id_field: is empty"},
		{"same fields", sinks("{type: secretsmanager, secret_id: a, key_id_field: SecretAccessKey}"), `secrets[0].sinks[0].secret_field: is the same as key_id_field ("SecretAccessKey")`},
		{"tag reserved", sinks("{type: secretsmanager, secret_id: a, create: true, tags: {'AWS:x': y}}"), `secrets[0].sinks[0].tags["AWS:x"]: tag names starting with aws: are reserved`},
		{"tag value charset", sinks("{type: secretsmanager, secret_id: a, create: true, tags: {team: 'a;b'}}"), `secrets[0].sinks[0].tags.team: "a;b": a tag's value may only hold`},
		{"tag value too long", sinks("{type: secretsmanager, secret_id: a, create: true, tags: {team: " + strings.Repeat("v", 257) + "}}"), "tags.team: is 257 characters long"},
		{"tag key too long", sinks("{type: secretsmanager, secret_id: a, create: true, tags: {" + strings.Repeat("k", 129) + ": v}}"), "a tag's name must be 1 to 128"},
	})
}

func TestSSMRules(t *testing.T) {
	runRules(t, []rule{
		{"name ok", sinks("{type: ssm, name: /team-a/deployer}"), ""},
		{"flat name ok", sinks("{type: ssm, name: deployer.credentials}"), ""},
		{"pair ok", sinks("{type: ssm, id_parameter: /a/id, secret_parameter: /a/secret, tier: Intelligent-Tiering, key_id: alias/a}"), ""},
		{"nothing", sinks("{type: ssm}"), "secrets[0].sinks[0].name: required; name the parameter"},
		{"name and pair", sinks("{type: ssm, name: /a, id_parameter: /a/id}"), "secrets[0].sinks[0].id_parameter: set either name"},
		{"name and secret_parameter", sinks("{type: ssm, name: /a, secret_parameter: /a/s}"), "secrets[0].sinks[0].secret_parameter: set either name"},
		{"half pair", sinks("{type: ssm, id_parameter: /a/id}"), "secrets[0].sinks[0].secret_parameter: required with id_parameter"},
		{"other half", sinks("{type: ssm, secret_parameter: /a/s}"), "secrets[0].sinks[0].id_parameter: required with secret_parameter"},
		{"pair same", sinks("{type: ssm, id_parameter: /a, secret_parameter: /a}"), "secrets[0].sinks[0].secret_parameter: is the same parameter as id_parameter"},
		{"charset", sinks("{type: ssm, name: '/a b'}"), `secrets[0].sinks[0].name: "/a b" is not a parameter name`},
		{"hierarchy without slash", sinks("{type: ssm, name: a/b}"), `"a/b" has a / but does not start with one`},
		{"empty level", sinks("{type: ssm, name: /a//b}"), "has an empty level"},
		{"too deep", sinks("{type: ssm, name: " + strings.Repeat("/a", 16) + "}"), "is 16 levels deep; SSM allows at most 15"},
		{"reserved prefix", sinks("{type: ssm, name: awsKey}"), "starts with aws or ssm, which AWS reserves"},
		{"too long", sinks("{type: ssm, name: /" + strings.Repeat("a", 2048) + "}"), "is not a parameter name: 1 to 2048"},
		{"tier", sinks("{type: ssm, name: /a, tier: standard}"), `secrets[0].sinks[0].tier: "standard" is not one of Standard, Advanced, Intelligent-Tiering`},
		{"target", sinks("{type: ssm, name: /a, target: nowhere}"), `secrets[0].sinks[0].target: unknown target "nowhere"`},
	})
}

func TestWebhookRules(t *testing.T) {
	runRules(t, []rule{
		{"https ok", sinks("{type: webhook, url: 'https://hooks.example.com/x?token=t'}"), ""},
		{"localhost http ok", sinks("{type: webhook, url: 'http://localhost:8080/x'}"), ""},
		{"loopback http ok", sinks("{type: webhook, url: 'http://127.1.2.3/x'}"), ""},
		{"ipv6 loopback http ok", sinks("{type: webhook, url: 'http://[::1]:9000/x'}"), ""},
		{"file and env refs ok", sinks("{type: webhook, url_file: u, hmac_secret_env: H, bearer_token_file: b, ca_file: ca.pem, cert_file: c.pem, key_file: k.pem, include_value: true, timeout: 5m}"), ""},
		{"url required", sinks("{type: webhook}"), "secrets[0].sinks[0].url: required; set url_file"},
		{"url and url_file", sinks("{type: webhook, url: 'https://h/x', url_file: /u}"), "secrets[0].sinks[0].url_file: set only one of url_file, url_env and url (url is set too)"},
		{"url_file and url_env", sinks("{type: webhook, url_file: /u, url_env: U}"), "secrets[0].sinks[0].url_env: set only one of"},
		{"http public", sinks("{type: webhook, url: 'http://hooks.example.com/x'}"), "secrets[0].sinks[0].url: is not https"},
		{"http private range", sinks("{type: webhook, url: 'http://192.168.1.10/x'}"), "secrets[0].sinks[0].url: is not https"},
		{"http localhost lookalike", sinks("{type: webhook, url: 'http://localhost.example.com/x'}"), "is not https"},
		{"not a url", sinks("{type: webhook, url: 'hooks.example.com/x'}"), "secrets[0].sinks[0].url: is not an absolute https URL"},
		{"ftp", sinks("{type: webhook, url: 'ftp://h/x'}"), "is not an absolute https URL"},
		{"url env name", sinks("{type: webhook, url_env: 'not a name'}"), "secrets[0].sinks[0].url_env: is not the name of an environment variable"},
		{"two hmac", sinks("{type: webhook, url_file: /u, hmac_secret: s, hmac_secret_file: /h}"), "secrets[0].sinks[0].hmac_secret_file: set only one of hmac_secret_file, hmac_secret_env and hmac_secret (hmac_secret is set too)"},
		{"two bearer", sinks("{type: webhook, url_file: /u, bearer_token_file: /b, bearer_token_env: B}"), "secrets[0].sinks[0].bearer_token_env: set only one of bearer_token_file"},
		{"cert without key", sinks("{type: webhook, url_file: /u, cert_file: c.pem}"), "secrets[0].sinks[0].cert_file: needs key_file"},
		{"key without cert", sinks("{type: webhook, url_file: /u, key_file: k.pem}"), "secrets[0].sinks[0].key_file: needs cert_file"},
		{"ca dir", sinks("{type: webhook, url_file: /u, ca_file: /etc/ssl/}"), "secrets[0].sinks[0].ca_file: names a directory"},
		{"timeout low", sinks("{type: webhook, url_file: /u, timeout: 500ms}"), "secrets[0].sinks[0].timeout: 500ms is out of range 1s..5m"},
		{"timeout high", sinks("{type: webhook, url_file: /u, timeout: 6m}"), "timeout: 6m0s is out of range 1s..5m"},
	})
}

func TestCommandRules(t *testing.T) {
	runRules(t, []rule{
		{"ok", sinks("{type: command, command: [/usr/bin/systemctl, reload, app], timeout: 1h}"), ""},
		{"required", sinks("{type: command}"), "secrets[0].sinks[0].command: required; give the program and its arguments as a list"},
		{"empty list", sinks("{type: command, command: []}"), "secrets[0].sinks[0].command: required"},
		{"relative", sinks("{type: command, command: [systemctl, reload]}"), `secrets[0].sinks[0].command[0]: "systemctl" is not an absolute path; write the full path, e.g. /usr/bin/systemctl`},
		{"relative with dir", sinks("{type: command, command: [bin/reload]}"), `"bin/reload" is not an absolute path; write the full path, e.g. /etc/rotatord/bin/reload`},
		{"one string", sinks("{type: command, command: ['systemctl reload app']}"), `command[0]: "systemctl reload app" holds spaces; write the program and each argument as its own entry`},
		{"scalar", sinks("{type: command, command: /usr/bin/true}"), `secrets[0].sinks[0].command: expected a list, got "/usr/bin/true"; write the program and each argument as its own entry`},
		{"empty element", sinks("{type: command, command: [/bin/x, '']}"), "secrets[0].sinks[0].command[1]: is empty"},
		{"empty program", sinks("{type: command, command: ['', x]}"), "secrets[0].sinks[0].command[0]: is empty"},
		{"null element", sinks("{type: command, command: [/bin/x, ~]}"), "secrets[0].sinks[0].command[1]: empty entry; write a value"},
		{"element not a string", sinks("{type: command, command: [/bin/x, [a]]}"), "secrets[0].sinks[0].command[1]: expected a string, got a list"},
		{"timeout", sinks("{type: command, command: [/bin/x], timeout: 2h}"), "secrets[0].sinks[0].timeout: 2h0m0s is out of range 1s..1h"},
	})
}

func TestDestinationRules(t *testing.T) {
	two := func(a, b string) string {
		return sinks(a) + strings.NewReplacer("/team-a/deployer", "/b", "deployer.secret", "b.secret", "AKIAFAKEDEPLOYER0001", "AKIAFAKEDEPLOYER0002").Replace(secret) + "    sinks: [" + b + "]\n"
	}
	runRules(t, []rule{
		{"same secretsmanager secret", sinks("{type: secretsmanager, secret_id: a}", "{type: secretsmanager, secret_id: a}"), `secrets[0].sinks[1].secret_id: secrets[0].sinks[0] (line 14) already writes secret "a" of target prod`},
		{"same secret, other target", sinks("{type: secretsmanager, secret_id: a}", "{type: secretsmanager, secret_id: a, target: sandbox}"), ""},
		{"same secretsmanager secret across secrets", two("{type: secretsmanager, secret_id: a}", "{type: secretsmanager, secret_id: a}"), "secrets[1].sinks[0].secret_id: secrets[0].sinks[0] (line 14) already writes secret"},
		{"ssm name and id_parameter", sinks("{type: ssm, name: /a}", "{type: ssm, id_parameter: /a, secret_parameter: /b}"), `secrets[0].sinks[1].id_parameter: secrets[0].sinks[0] (line 14) already writes parameter "/a" of target prod`},
		{"ssm across secrets", two("{type: ssm, name: /a}", "{type: ssm, name: /a}"), "secrets[1].sinks[0].name: secrets[0].sinks[0] (line 14) already writes parameter"},
		{"same webhook url", sinks("{type: webhook, url: 'https://h/x'}", "{type: webhook, url: 'https://h/x'}"), "secrets[0].sinks[1].url: secrets[0].sinks[0] (line 14) already delivers to this url"},
		{"same webhook url_file", sinks("{type: webhook, url_file: u}", "{type: webhook, url_file: /etc/rotatord/u}"), "secrets[0].sinks[1].url_file: secrets[0].sinks[0] (line 14) already delivers to the url in this file"},
		{"same webhook url_env", sinks("{type: webhook, url_env: U}", "{type: webhook, url_env: U}"), "secrets[0].sinks[1].url_env: secrets[0].sinks[0] (line 14) already delivers"},
		{"same webhook across secrets ok", two("{type: webhook, url_env: U}", "{type: webhook, url_env: U}"), ""},
		{"same command", sinks("{type: command, command: [/bin/x, a]}", "{type: command, command: [/bin/x, a]}"), "secrets[0].sinks[1].command: secrets[0].sinks[0] (line 14) already runs this command"},
		{"other arguments ok", sinks("{type: command, command: [/bin/x, a]}", "{type: command, command: [/bin/x, b]}"), ""},
		{"file sink over a webhook secret file", sinks("{type: webhook, url_file: /etc/rotatord/u}", "{type: file, path: /etc/rotatord/u, format: env}"), "secrets[0].sinks[1].path: would overwrite /etc/rotatord/u, a webhook URL file (secrets[0].sinks[0].url_file, line 14)"},
	})
}

// TestSinkMessagesHideSecrets checks that no message about a webhook shows
// its URL, HMAC secret or bearer token, whatever is wrong with them.
func TestSinkMessagesHideSecrets(t *testing.T) {
	const tok = "fakeUrlTokenNeverShown0012"
	for _, src := range []string{
		sinks("{type: webhook, url: 'http://hooks.example.com/" + tok + "'}"),
		sinks("{type: webhook, url: '" + tok + "'}"),
		sinks("{type: webhook, url: 'https://u:" + tok + "@h/x', url_file: /u}"),
		sinks("{type: webhook, url: {a: " + tok + "}}"),
		sinks("{type: file, path: /x, url: '" + tok + "'}"),
		sinks("{type: webhook, url_file: /u, hmac_secret: " + tok + ", hmac_secret_env: H, bearer_token: [" + tok + "]}"),
		sinks("{type: webhook, url: 'https://h/x', url: 'https://h/" + tok + "'}"),
		sinks("{type: webhook, url: 'https://h/"+tok+"'}", "{type: webhook, url: 'https://h/"+tok+"'}"),
		"version: 1\nnotify:\n  - {url: 'http://example.com/" + tok + "', hmac_secret: " + tok + ", hmac_secret_file: /h}\n",
	} {
		es := parseErrors(t, src)
		if len(es) == 0 {
			t.Errorf("no error for\n%s", src)
		}
		assertNoSecret(t, "errors", es.Error(), []string{tok})
	}
}
