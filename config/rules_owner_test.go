package config

import (
	"strings"
	"testing"
)

// second is secret with another name and, unless the case says otherwise,
// another key.
func second(key string) string {
	return strings.NewReplacer("/team-a/deployer", "/team-b/deployer", "AKIAFAKEDEPLOYER0001", key).Replace(secret)
}

func TestOwnerRules(t *testing.T) {
	rotator := "  - {name: /rotatord/prod, target: prod, rotator_type: target}\n"
	runRules(t, []rule{
		{"two keys ok", head + secret + second("AKIAFAKEDEPLOYER0002"), ""},
		{"one key twice", head + secret + second("AKIAFAKEDEPLOYER0001"),
			"secrets[1].access_key_id: AKIAFAKEDEPLOYER0001 is also the key of secrets[0] (/team-a/deployer, line 11); one key has one owner"},
		{"one key on two targets", head + secret + strings.Replace(second("AKIAFAKEDEPLOYER0001"), "target: prod", "target: sandbox", 1),
			"secrets[1].access_key_id: AKIAFAKEDEPLOYER0001 is also the key of secrets[0]"},
		{"the target's key", head + strings.Replace(secret, "AKIAFAKEDEPLOYER0001", "AKIAIOSFODNN7EXAMPLE", 1),
			`secrets[0].access_key_id: AKIAIOSFODNN7EXAMPLE is the key of target "prod" (targets[0], line 4), which signs rotatord's IAM calls; to rotate a target's own key, add a secret with rotator_type: target`},
		{"the target's key, other target", head + strings.NewReplacer("AKIAFAKEDEPLOYER0001", "AKIAIOSFODNN7EXAMPLE", "target: prod", "target: sandbox").Replace(secret),
			`secrets[0].access_key_id: AKIAIOSFODNN7EXAMPLE is the key of target "prod"`},
		{"the target's rotator", head + secret + rotator, ""},
		{"the target's rotator besides its key", head + rotator + strings.Replace(secret, "AKIAFAKEDEPLOYER0001", "AKIAIOSFODNN7EXAMPLE", 1),
			`secrets[1].access_key_id: AKIAIOSFODNN7EXAMPLE is the key of target "prod"`},
		{"two targets share a key", strings.Replace(head, "    credentials: default\n", "    access_key_id: AKIAIOSFODNN7EXAMPLE\n    secret_access_key_file: prod.secret\n", 1) + secret, ""},
		{"two targets share a rotated key", strings.Replace(head, "    credentials: default\n", "    access_key_id: AKIAIOSFODNN7EXAMPLE\n    secret_access_key_file: prod.secret\n", 1) + secret + rotator,
			`targets[1].access_key_id: AKIAIOSFODNN7EXAMPLE is also the key of target "prod" (targets[0], line 4), and secret /rotatord/prod rotates it`},
		{"the second target's key rotated", strings.Replace(head, "    credentials: default\n", "    access_key_id: AKIAIOSFODNN7EXAMPLE\n    secret_access_key_file: prod.secret\n", 1) + secret + strings.Replace(rotator, "target: prod", "target: sandbox", 1),
			`targets[1].access_key_id: AKIAIOSFODNN7EXAMPLE is also the key of target "prod" (targets[0], line 4), and secret /rotatord/prod rotates it`},
		{"one user twice", head + secret + "    user_name: ci\n" + second("AKIAFAKEDEPLOYER0002") + "    user_name: ci\n",
			`secrets[1].user_name: "ci" is also the user of secrets[0] (/team-a/deployer, line 13) on target "prod"; one IAM user has one owner`},
		{"one user name on two targets", head + secret + "    user_name: ci\n" + strings.Replace(second("AKIAFAKEDEPLOYER0002"), "target: prod", "target: sandbox", 1) + "    user_name: ci\n", ""},
	})
}

// TestOneKeyOneOwnerNamesBothLines: the error sits on the second secret's
// access_key_id and names the first secret, its name and its line.
func TestOneKeyOneOwnerNamesBothLines(t *testing.T) {
	src := head + secret + second("AKIAFAKEDEPLOYER0002") + strings.Replace(second("AKIAFAKEDEPLOYER0001"), "/team-b/", "/team-c/", 1)
	es := parseErrors(t, src)
	if len(es) != 1 {
		t.Fatalf("got %d errors, want 1:\n%v", len(es), es)
	}
	want := "/etc/rotatord/rotatord.yaml:19:20: secrets[2].access_key_id: AKIAFAKEDEPLOYER0001 is also the key of secrets[0] (/team-a/deployer, line 11); " +
		"one key has one owner: remove one of the two secrets, or give each its own IAM user"
	if got := es[0].Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestEndpointRules(t *testing.T) {
	endpoint := func(lines ...string) string {
		return strings.Replace(head, "credentials: default", "credentials: default\n    "+strings.Join(lines, "\n    "), 1) + secret
	}
	dynamo := "state: {backend: dynamodb, table: rotatord-state, protection_key_env: K, %s}\n"
	state := func(fields string) string {
		return strings.Replace(dynamo, "%s", fields, 1) + head + secret
	}
	runRules(t, []rule{
		{"https", endpoint("endpoint: https://iam.example.com"), ""},
		{"http to another host", endpoint("endpoint: http://10.1.2.3:4566"),
			"targets[1].endpoint: is plain http to a host that is not this machine, so new secret access keys would cross the network unencrypted; use https, or set allow_insecure_endpoint: true"},
		{"http to a name", endpoint("endpoint: http://localstack:4566"), "targets[1].endpoint: is plain http to a host that is not this machine"},
		{"http to a name that ends in localhost", endpoint("endpoint: http://localhost.example.com"), "targets[1].endpoint: is plain http"},
		{"http allowed", endpoint("endpoint: http://10.1.2.3:4566", "allow_insecure_endpoint: true"), ""},
		{"http allowed false", endpoint("endpoint: http://10.1.2.3:4566", "allow_insecure_endpoint: false"), "targets[1].endpoint: is plain http"},
		{"http localhost", endpoint("endpoint: http://localhost:4566"), ""},
		{"http LOCALHOST", endpoint("endpoint: http://LOCALHOST:4566"), ""},
		{"http 127/8", endpoint("endpoint: http://127.3.2.1:4566"), ""},
		{"http ::1", endpoint("endpoint: 'http://[::1]:4566'"), ""},
		{"allowed without endpoint", endpoint("allow_insecure_endpoint: true"), "targets[1].allow_insecure_endpoint: only applies with endpoint; remove it"},
		{"allowed with https", endpoint("endpoint: https://iam.example.com", "allow_insecure_endpoint: true"), ""},
		{"state https", state("endpoint: 'https://dynamodb.example.com'"), ""},
		{"state http to another host", state("endpoint: 'http://dynamodb.lab:8000'"),
			"state.endpoint: is plain http to a host that is not this machine, so the state's items and leases would cross the network unencrypted"},
		{"state http allowed", state("endpoint: 'http://dynamodb.lab:8000', allow_insecure_endpoint: true"), ""},
		{"state http localhost", state("endpoint: 'http://127.0.0.1:8000'"), ""},
		{"state allowed without endpoint", state("allow_insecure_endpoint: true"), "state.allow_insecure_endpoint: only applies with endpoint"},
		{"state allowed on bbolt", "state: {allow_insecure_endpoint: true}\n" + head + secret, "state.allow_insecure_endpoint: only applies with backend: dynamodb"},
	})
}

// TestAllowInsecureEndpointMarshal: validate --print shows
// allow_insecure_endpoint where it is true, leaves it out where it is not,
// and its output parses back to the same setting.
func TestAllowInsecureEndpointMarshal(t *testing.T) {
	c := mustParse(t, strings.Replace(head, "credentials: default", "credentials: default\n    endpoint: http://10.1.2.3:4566\n    allow_insecure_endpoint: true", 1)+secret)
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(out), "allow_insecure_endpoint: true"); n != 1 {
		t.Errorf("got %d lines allow_insecure_endpoint: true, want 1 (the sandbox target's):\n%s", n, out)
	}
	if strings.Contains(string(out), "allow_insecure_endpoint: false") {
		t.Errorf("allow_insecure_endpoint: false printed:\n%s", out)
	}
	back, err := Parse("/etc/rotatord/rotatord.yaml", out)
	if err != nil {
		t.Fatalf("Parse(Marshal()): %v\n%s", err, out)
	}
	if !back.Targets[1].AllowInsecureEndpoint || back.Targets[0].AllowInsecureEndpoint {
		t.Errorf("after a round trip: targets %+v", back.Targets)
	}
}
