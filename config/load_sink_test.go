package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// loadHead is a valid file up to the secrets' sinks, for loadDir: its
// protection key and the secret's key come from p.key and d.secret.
const loadHead = `version: 1
state: {protection_key_file: p.key}
targets:
  - {name: prod, access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key_file: d.secret}
secrets:
  - name: a
    target: prod
    access_key_id: AKIAFAKEDEPLOYER0001
    secret_access_key_file: d.secret
    sinks:
`

// baseFiles are the files loadHead needs.
func baseFiles(more map[string]string) map[string]string {
	files := map[string]string{"p.key": testKey, "d.secret": "fake-deployer-value"}
	for k, v := range more {
		files[k] = v
	}
	return files
}

// testCert returns a self-signed certificate and its key, PEM-encoded.
func testCert(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rotatord test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

func TestLoadResolvesSinks(t *testing.T) {
	cert, key := testCert(t)
	const tmpl = "K={{.AccessKeyID}}\nS={{.SecretAccessKey}}\n"
	src := loadHead + `      - {type: webhook, url_file: hook.url, hmac_secret_file: hook.hmac, bearer_token_env: HOOK_TOKEN, ca_file: ca.pem, cert_file: tls/c.pem, key_file: tls/k.pem}
      - {type: webhook, url_env: HOOK_URL, hmac_secret_env: HOOK_HMAC, bearer_token_file: hook.bearer}
      - {type: file, path: out.conf, format: template, template_file: tmpl/a.tmpl}
notify:
  - {url_env: NOTIFY_URL, hmac_secret_file: notify.hmac}
  - {url: 'http://localhost:9100/e', hmac_secret_env: NOTIFY_HMAC}
`
	files := baseFiles(map[string]string{
		"hook.url": "https://hooks.example.com/x?token=fake-file-token \n", "hook.hmac": "fake-hook-hmac\n",
		"hook.bearer": "fake-bearer-from-file\r\n", "ca.pem": cert, "tls/c.pem": cert, "tls/k.pem": key,
		"tmpl/a.tmpl": tmpl, "notify.hmac": "fake-notify-hmac",
	})
	env := map[string]string{"HOOK_TOKEN": "fake-bearer-from-env", "HOOK_URL": "https://hooks.example.com/env", "HOOK_HMAC": "fake-hmac-from-env",
		"NOTIFY_URL": "http://127.0.0.1:9100/n\n", "NOTIFY_HMAC": "fake-notify-hmac-env"}
	c, es := loadDirs(t, src, files, env)
	if es != nil {
		t.Fatal(es)
	}
	k, n := c.Secrets[0].Sinks, c.Notify
	for _, tt := range []struct{ name, got, want string }{
		{"url from file, trimmed", sinkField(k[0], "url").(SecretValue).Reveal(), "https://hooks.example.com/x?token=fake-file-token"},
		{"hmac from file", sinkField(k[0], "hmac_secret").(SecretValue).Reveal(), "fake-hook-hmac"},
		{"bearer from env", sinkField(k[0], "bearer_token").(SecretValue).Reveal(), "fake-bearer-from-env"},
		{"url from env", sinkField(k[1], "url").(SecretValue).Reveal(), "https://hooks.example.com/env"},
		{"hmac from env", sinkField(k[1], "hmac_secret").(SecretValue).Reveal(), "fake-hmac-from-env"},
		{"bearer from file with CRLF", sinkField(k[1], "bearer_token").(SecretValue).Reveal(), "fake-bearer-from-file"},
		{"template read as it is", sinkField(k[2], "template").(string), tmpl},
		{"template_file resolved", filepath.Base(filepath.Dir(sinkField(k[2], "template_file").(string))), "tmpl"},
		{"cert_file resolved", filepath.Base(filepath.Dir(sinkField(k[0], "cert_file").(string))), "tls"},
		{"notify url from env, trimmed", n[0].URL.Reveal(), "http://127.0.0.1:9100/n"},
		{"notify hmac from file", n[0].HMACSecret.Reveal(), "fake-notify-hmac"},
		{"notify inline url", n[1].URL.Reveal(), "http://localhost:9100/e"},
		{"notify hmac from env", n[1].HMACSecret.Reveal(), "fake-notify-hmac-env"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if len(c.Warnings) != 0 {
		t.Errorf("got warnings %v, want none", c.Warnings)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "Marshal", string(out), []string{"fake-file-token", "fake-hook-hmac", "fake-bearer", "/env", "fake-notify", "K={{"})
	if got := strings.Count(string(out), Redacted); got != 1 {
		t.Errorf("got %d %s markers, want 1 (the inline notify url):\n%s", got, Redacted, out)
	}
}

// loadDirs is loadDir with files in subdirectories.
func loadDirs(t *testing.T, src string, files, env map[string]string) (*Config, Errors) {
	t.Helper()
	flat := map[string]string{}
	dirs := map[string]bool{}
	for name, data := range files {
		if d := filepath.Dir(name); d != "." {
			dirs[d] = true
		}
		flat[name] = data
	}
	return loadDirWith(t, src, flat, env, dirs)
}

// loadDirWith writes files (making dirs first) and loads src as loadDir.
func loadDirWith(t *testing.T, src string, files, env map[string]string, dirs map[string]bool) (*Config, Errors) {
	t.Helper()
	dir := t.TempDir()
	for d := range dirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		writeFile(t, dir, name, data, 0o600)
	}
	cfg := writeFile(t, dir, "rotatord.yaml", src, 0o600)
	c, err := LoadWith(cfg, LoadOptions{LookupEnv: lookupIn(env)})
	if err == nil {
		return c, nil
	}
	return c, err.(Errors)
}

func TestLoadSinkProblems(t *testing.T) {
	cert, key := testCert(t)
	otherCert, _ := testCert(t)
	const token = "fake-secret-token-never-shown"
	for _, tt := range []struct {
		name, sinks string
		files, env  map[string]string
		want        string
	}{
		{"url file missing", "{type: webhook, url_file: nope}", nil, nil,
			"secrets[0].sinks[0].url_file: open "},
		{"url file empty", "{type: webhook, url_file: u}", map[string]string{"u": "\n"}, nil,
			"secrets[0].sinks[0].url_file: "},
		{"url file http public", "{type: webhook, url_file: u}", map[string]string{"u": "http://hooks.example.com/" + token}, nil,
			"secrets[0].sinks[0].url_file: the URL in the file is not https"},
		{"url file two lines", "{type: webhook, url_file: u}", map[string]string{"u": "https://h/a\nhttps://h/" + token}, nil,
			"the file holds more than one line; it must hold only the webhook URL"},
		{"url env not a url", "{type: webhook, url_env: U}", nil, map[string]string{"U": token},
			"secrets[0].sinks[0].url_env: the URL in environment variable U is not an absolute https URL"},
		{"url env unset", "{type: webhook, url_env: U}", nil, nil,
			"secrets[0].sinks[0].url_env: environment variable U is not set"},
		{"hmac file missing", "{type: webhook, url_file: u, hmac_secret_file: h}", map[string]string{"u": "https://h/x"}, nil,
			"no such file or directory; write the HMAC secret into it, or fix the path"},
		{"bearer env empty", "{type: webhook, url_file: u, bearer_token_env: B}", map[string]string{"u": "https://h/x"}, map[string]string{"B": " "},
			"secrets[0].sinks[0].bearer_token_env: environment variable B is empty"},
		{"template file missing", "{type: file, path: o, format: template, template_file: t.tmpl}", nil, nil,
			"secrets[0].sinks[0].template_file: open "},
		{"template file bad", "{type: file, path: o, format: template, template_file: t.tmpl}", map[string]string{"t.tmpl": "a\n{{.AccessKeyID"}, nil,
			"t.tmpl is not a valid Go template: line 2: unclosed action"},
		{"template file empty", "{type: file, path: o, format: template, template_file: t.tmpl}", map[string]string{"t.tmpl": " \n"}, nil,
			"t.tmpl is empty; write the template into it"},
		{"ca not pem", "{type: webhook, url_file: u, ca_file: ca}", map[string]string{"u": "https://h/x", "ca": "not a cert"}, nil,
			"secrets[0].sinks[0].ca_file: " + "ROOT/ca holds no PEM certificate"},
		{"cert not pem", "{type: webhook, url_file: u, cert_file: c, key_file: k}", map[string]string{"u": "https://h/x", "c": key, "k": key}, nil,
			"secrets[0].sinks[0].cert_file: ROOT/c holds no PEM certificate"},
		{"key of another cert", "{type: webhook, url_file: u, cert_file: c, key_file: k}", map[string]string{"u": "https://h/x", "c": otherCert, "k": key}, nil,
			"secrets[0].sinks[0].key_file: is not the private key of cert_file (private key does not match public key)"},
		{"key file missing", "{type: webhook, url_file: u, cert_file: c, key_file: k}", map[string]string{"u": "https://h/x", "c": cert}, nil,
			"secrets[0].sinks[0].key_file: open ROOT/k: no such file or directory"},
		{"notify url file http", "{type: file, path: o}\nnotify:\n  - {url_file: n}", map[string]string{"n": "http://10.1.1.1/" + token}, nil,
			"notify[0].url_file: the URL in the file is not https"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, es := loadDir(t, loadHead+"      - "+tt.sinks+"\n", baseFiles(tt.files), tt.env)
			_ = c
			text := es.Error()
			assertNoSecret(t, "errors", text, []string{token, key, cert})
			root := ""
			if len(es) > 0 {
				root = filepath.Dir(es[0].File)
			}
			want := strings.ReplaceAll(tt.want, "ROOT", root)
			for _, e := range es {
				if strings.Contains(e.Path+": "+e.Msg, want) {
					if e.Line < 1 || e.Col < 1 {
						t.Errorf("error %q has no position", e)
					}
					return
				}
			}
			t.Errorf("got errors:\n%s\nwant one with %q", text, want)
		})
	}
}

func TestLoadSinkWarnings(t *testing.T) {
	cert, key := testCert(t)
	src := loadHead + `      - {type: webhook, url: 'https://h/x', hmac_secret: fake-inline-hmac, bearer_token_file: b, cert_file: c, key_file: k}
notify:
  - {url: 'https://h/n', hmac_secret_file: nh}
`
	dir := t.TempDir()
	for name, data := range baseFiles(nil) {
		writeFile(t, dir, name, data, 0o600)
	}
	writeFile(t, dir, "b", "fake-bearer", 0o640)
	writeFile(t, dir, "nh", "fake-notify-hmac", 0o604)
	writeFile(t, dir, "c", cert, 0o644)
	writeFile(t, dir, "k", key, 0o644)
	cfg := writeFile(t, dir, "rotatord.yaml", src, 0o644)
	c, err := LoadWith(cfg, LoadOptions{LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range c.Warnings {
		got = append(got, w.Path+": "+w.Msg)
	}
	all := strings.Join(got, "\n")
	for _, want := range []struct{ path, msg string }{
		{"secrets[0].sinks[0].url", "is written inline in a file that group and others can read (mode 0644); move it to url_file"},
		{"secrets[0].sinks[0].hmac_secret", "is written inline in a file that group and others can read (mode 0644); move it to hmac_secret_file"},
		{"secrets[0].sinks[0].bearer_token_file", " is readable by its group (mode 0640); chmod 600 "},
		{"secrets[0].sinks[0].key_file", " is readable by group and others (mode 0644); chmod 600 "},
		{"notify[0].url", "is written inline"},
		{"notify[0].hmac_secret_file", " is readable by others (mode 0604); chmod 600 "},
	} {
		found := false
		for _, w := range c.Warnings {
			found = found || (w.Path == want.path && strings.Contains(w.Msg, want.msg))
		}
		if !found {
			t.Errorf("warnings:\n%s\nwant one at %s with %q", all, want.path, want.msg)
		}
	}
	if strings.Contains(all, "cert_file") {
		t.Errorf("a certificate is public, but got a warning about it:\n%s", all)
	}
	assertNoSecret(t, "warnings", all, []string{"fake-inline-hmac", "fake-bearer", "fake-notify-hmac", "https://h/"})
	if len(got) != 6 {
		t.Errorf("got %d warnings, want 6:\n%s", len(got), all)
	}
}
