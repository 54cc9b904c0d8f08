package config

import (
	"bytes"
	"strings"
	"testing"
)

func TestMarshalSinks(t *testing.T) {
	const url, hmac, bearer = "https://hooks.example.com/fake-url-token-0013", "fakeInlineHmacSecret0014", "fakeInlineBearerToken0015"
	const nurl, nhmac = "https://hooks.example.com/fake-notify-token-0016", "fakeInlineNotifyHmac0017"
	src := sinks(
		"{type: webhook, url: '"+url+"', hmac_secret: "+hmac+", bearer_token: "+bearer+"}",
		"{type: webhook, url_file: u, hmac_secret_env: HOOK_HMAC, bearer_token_file: b, ca_file: ca.pem, cert_file: c.pem, key_file: k.pem, timeout: 3s}",
		"{type: command, command: [/usr/bin/systemctl, reload, 'my app']}",
		"{type: ssm, id_parameter: /a/id, secret_parameter: /a/secret}",
		"{type: secretsmanager, secret_id: a, create: true, tags: {b: '2', a: '1'}}",
		"{type: file, path: out.tmpl, format: template, template: \"K={{.AccessKeyID}}\\n\"}",
		"{type: file, path: out2.tmpl, format: template, template_file: t.tmpl}",
	) + "    auto_rotate: true\n    rotation_interval: 30\n    notify_before: [7]\n" +
		"notify:\n  - {url: '" + nurl + "', hmac_secret: " + nhmac + "}\n  - {url_env: NOTIFY_URL, events: [rotation.upcoming], format: slack}\n"
	c := mustParse(t, src)
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	assertNoSecret(t, "Marshal", text, []string{url, hmac, bearer, nurl, nhmac})
	if got := strings.Count(text, Redacted); got != 5 {
		t.Errorf("got %d %s markers, want 5 (url, hmac_secret, bearer_token, notify url and hmac_secret):\n%s", got, Redacted, text)
	}
	for _, want := range []string{
		"url_file: /etc/rotatord/u\n", "hmac_secret_env: HOOK_HMAC\n", "bearer_token_file: /etc/rotatord/b\n",
		"ca_file: /etc/rotatord/ca.pem\n", "cert_file: /etc/rotatord/c.pem\n", "key_file: /etc/rotatord/k.pem\n",
		"timeout: 3s\n", "timeout: 10s\n", "timeout: 30s\n", "include_value: false\n",
		"command: [/usr/bin/systemctl, reload, my app]\n",
		"id_parameter: /a/id\n", "target: prod\n", "tier: Standard\n",
		"create: true\n", "tags:\n          a: \"1\"\n          b: \"2\"\n", "key_id_field: AccessKeyId\n",
		"template: |\n          K={{.AccessKeyID}}\n", "template_file: /etc/rotatord/t.tmpl\n",
		"notify_before: [7]\n", "url_env: NOTIFY_URL\n", "events: [rotation.upcoming]\n", "format: slack\n", "format: json\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	// Only the fields of each sink's type, and no empty optional ones.
	for _, sink := range strings.Split(text, "- type: ")[1:] {
		typ, _, _ := strings.Cut(sink, "\n")
		for _, f := range []string{"mode:", "path:", "profile:", "create:", "tier:", "command:", "url:", "timeout:", "kms_key_id:", "owner:"} {
			name := strings.TrimSuffix(f, ":")
			if strings.Contains(sink, "\n        "+f) && !containsField(typ, name) {
				t.Errorf("a %s sink prints %s:\n%s", typ, name, sink)
			}
		}
	}
	c2, err := Parse("/etc/rotatord/rotatord.yaml", out)
	if err != nil {
		t.Fatalf("Parse(Marshal()): %v\n%s", err, out)
	}
	out2, err := c2.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, out2) {
		t.Errorf("Marshal(Parse(Marshal())) differs:\n%s\n---\n%s", out, out2)
	}
	// The placeholders parse, each with a warning that it is not a secret.
	if got := strings.Count(Report(c2, nil), "writes in place of a secret"); got != 5 {
		t.Errorf("got %d placeholder warnings, want 5:\n%s", got, Report(c2, nil))
	}
}

func containsField(typ, name string) bool {
	for _, f := range sinkKindFields(typ) {
		if f == name {
			return true
		}
	}
	return false
}
