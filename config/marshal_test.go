package config

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fixtureSecrets returns every secret value the fixtures hold: the secret
// files, the protection keys (as written and decoded), every inline value
// in a fixture that looks like a secret, and the test environments.
// It runs from the module root (see chdirFixtures).
func fixtureSecrets(t *testing.T) []string {
	t.Helper()
	var out []string
	files, _ := filepath.Glob("testdata/secrets/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSpace(string(b)))
	}
	out = append(out, "rotatord-test-protection-key-32b", "rotatord-short-key-24byt")
	word := regexp.MustCompile(`[A-Za-z0-9/+=_-]{32,}`)
	yamls, _ := filepath.Glob("testdata/*/*.yaml")
	for _, f := range yamls {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range word.FindAllString(string(b), -1) {
			if looksSecret(w) {
				out = append(out, w)
			}
		}
	}
	for _, env := range fixtureEnv {
		for _, v := range env {
			out = append(out, v)
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d fixture secrets", len(out))
	}
	return out
}

// assertNoSecret fails when text holds any of secrets.
func assertNoSecret(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s leaks secret %.8s…:\n%s", what, s, text)
		}
	}
}

func TestNoSecretInOutput(t *testing.T) {
	chdirFixtures(t)
	secrets := fixtureSecrets(t)
	goldens, _ := filepath.Glob("testdata/*/*.golden")
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		assertNoSecret(t, g, string(b), secrets)
	}
	yamls, _ := filepath.Glob("testdata/*/*.yaml")
	for _, f := range yamls {
		c, err := loadFixture(f)
		if err != nil {
			assertNoSecret(t, f+": error", err.Error(), secrets)
		}
		assertNoSecret(t, f+": report", Report(c, err), secrets)
		if err == nil {
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			assertNoSecret(t, f+": Marshal", string(out), secrets)
		}
	}
}

func TestMarshalFull(t *testing.T) {
	chdirFixtures(t)
	const file = "testdata/valid/full.yaml"
	c, err := loadFixture(file)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/valid/full.print.golden"
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("Marshal:\ngot:\n%s\nwant:\n%s", out, want)
	}
	// Three inline secrets in full.yaml (a secret access key, a sink's and
	// a notify webhook's URL); the secrets from files and variables print
	// as their references, and so does the template read from a file.
	if got := strings.Count(string(out), Redacted); got != 3 {
		t.Errorf("got %d %s markers, want 3", got, Redacted)
	}
	for _, ref := range []string{
		"secret_access_key_file: testdata/secrets/prod.secret", "secret_access_key_env: ROTATORD_STAGING_SECRET",
		"protection_key_file: testdata/secrets/protection.key", "url_file: testdata/secrets/hook.url",
		"hmac_secret_file: testdata/secrets/hook.hmac", "bearer_token_file: testdata/secrets/tester.bearer",
		"url_env: ROTATORD_NOTIFY_URL", "template_file: testdata/templates/deployer.tmpl",
	} {
		if !strings.Contains(string(out), ref) {
			t.Errorf("Marshal lacks %q", ref)
		}
	}
	assertNoSecret(t, "Marshal", string(out), fixtureSecrets(t))

	c2, err := Parse("print.yaml", out)
	if err != nil {
		t.Fatalf("Parse(Marshal()): %v", err)
	}
	out2, err := c2.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, out2) {
		t.Errorf("Marshal(Parse(Marshal())) differs:\n%s", out2)
	}
}

func TestMarshalRedaction(t *testing.T) {
	const inlineA, inlineB = "fakeMarshalInlineSecretA/000000000000001", "fakeMarshalInlineSecretB/000000000000002"
	for _, tt := range []struct {
		name, src  string
		redactions int
		has        []string
	}{
		{"inline twice", `version: 1
targets:
  - {name: prod, access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key: ` + inlineA + `}
secrets:
  - {name: a, target: prod, access_key_id: AKIAFAKEDEPLOYER0001, secret_access_key: ` + inlineB + `}
`, 2, []string{"secret_access_key: '" + Redacted + "'"}},
		{"references", `version: 1
state: {protection_key_env: KEY}
targets:
  - {name: prod, access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key_env: PROD_KEY}
secrets:
  - {name: a, target: prod, access_key_id: AKIAFAKEDEPLOYER0001, secret_access_key_file: /k/a}
`, 0, []string{"protection_key_env: KEY", "secret_access_key_env: PROD_KEY", "secret_access_key_file: /k/a"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src)
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(string(out), Redacted); got != tt.redactions {
				t.Errorf("got %d %s markers, want %d:\n%s", got, Redacted, tt.redactions, out)
			}
			for _, h := range tt.has {
				if !strings.Contains(string(out), h) {
					t.Errorf("output lacks %q:\n%s", h, out)
				}
			}
			assertNoSecret(t, "Marshal", string(out), []string{inlineA, inlineB})
			if _, err := Parse("x.yaml", out); err != nil {
				t.Errorf("Parse(Marshal()): %v", err)
			}
		})
	}
}

func TestMarshalNeverPrintsResolvedKeys(t *testing.T) {
	dir := t.TempDir()
	const key = "cm90YXRvcmQtdGVzdC1wcm90ZWN0aW9uLWtleS0zMmI="
	const value = "fakeResolvedSecretValue/0000000000000007"
	writeFile(t, dir, "protection.key", key+"\n", 0o600)
	writeFile(t, dir, "prod.secret", value+"\n", 0o600)
	writeFile(t, dir, "deployer.secret", value+"\n", 0o600)
	cfg := writeFile(t, dir, "rotatord.yaml", "state: {protection_key_file: protection.key}\n"+head+secret, 0o600)
	c, err := LoadWith(cfg, LoadOptions{LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Targets[0].SecretAccessKey.Reveal() != value || len(c.State.ProtectionKey.Reveal()) != 32 {
		t.Fatalf("keys not resolved: %q, %d bytes", c.Targets[0].SecretAccessKey.Reveal(), len(c.State.ProtectionKey.Reveal()))
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "Marshal", string(out), []string{key, value, c.State.ProtectionKey.Reveal()})
	if strings.Contains(string(out), Redacted) {
		t.Errorf("a resolved reference printed as %s:\n%s", Redacted, out)
	}
}

// writeFile writes a file under dir with mode and returns its path.
func writeFile(t testing.TB, dir, name, data string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}
