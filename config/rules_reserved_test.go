package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestReservedPaths: a file sink may not write any of rotatord's own files,
// however its path is written: absolute against relative (with the
// configuration itself named by a relative path, as `rotatord validate -c
// rotatord.yaml` does), through "..", "." or a doubled slash. The error
// sits on the sink's path and names the file, what it is and its line.
func TestReservedPaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	base := filepath.Base(dir)
	src := func(sinkPath string) string {
		return fmt.Sprintf(`version: 1
state:
  path: state.db
  protection_key_file: protection.key
control_socket: run/rotatord.sock
targets:
  - name: prod
    access_key_id: AKIAIOSFODNN7EXAMPLE
    secret_access_key_file: admin.secret
secrets:
  - name: /app
    target: prod
    access_key_id: AKIAFAKEDEPLOYER0001
    secret_access_key_file: keys/app.secret
    sinks:
      - type: webhook
        url_file: hook.url
        hmac_secret_file: hook.hmac
        ca_file: /etc/ssl/rotatord-ca.pem
      - type: file
        path: out.tmpl.out
        format: template
        template_file: app.tmpl
      - type: file
        path: %s
        format: env
notify:
  - url_file: notify.url
    hmac_secret_file: notify.hmac
`, sinkPath)
	}
	for _, tt := range []struct{ name, path, want string }{
		{"absolute protection key", filepath.Join(dir, "protection.key"), "would overwrite protection.key, the protection key file (state.protection_key_file, line 4)"},
		{"protection key through ..", "/x/../" + dir + "/protection.key", "would overwrite protection.key, the protection key file"},
		{"admin key through ..", "/x/../" + dir + "/admin.secret", "would overwrite admin.secret, a secret access key file (targets[0].secret_access_key_file, line 9)"},
		{"admin key from above", "../" + base + "/admin.secret", "would overwrite admin.secret, a secret access key file"},
		{"state store", dir + "//state.db", "would overwrite state.db, the state store (state.path, line 3)"},
		{"state lock", "./state.db.lock", "would overwrite state.db.lock, the state store's lock file (state.path, line 3)"},
		{"state lock absolute", dir + "/state.db.lock", "would overwrite state.db.lock, the state store's lock file"},
		{"control socket", dir + "/run/../run/rotatord.sock", "would overwrite run/rotatord.sock, the control socket (control_socket, line 5)"},
		{"configuration", dir + "/rotatord.yaml", "would overwrite rotatord.yaml, the configuration file;"},
		{"secret's key", "keys/./app.secret", "would overwrite keys/app.secret, a secret access key file (secrets[0].secret_access_key_file, line 14)"},
		{"url file", dir + "/hook.url", "would overwrite hook.url, a webhook URL file (secrets[0].sinks[0].url_file, line 17)"},
		{"hmac file", "hook.hmac", "would overwrite hook.hmac, an HMAC secret file (secrets[0].sinks[0].hmac_secret_file, line 18)"},
		{"ca file", "/etc/ssl/../ssl/rotatord-ca.pem", "would overwrite /etc/ssl/rotatord-ca.pem, a CA certificate file (secrets[0].sinks[0].ca_file, line 19)"},
		{"template file", dir + "/app.tmpl", "would overwrite app.tmpl, a template file (secrets[0].sinks[1].template_file, line 23)"},
		{"notify url file", "notify.url", "would overwrite notify.url, a webhook URL file (notify[0].url_file, line 28)"},
		{"notify hmac file", dir + "/notify.hmac", "would overwrite notify.hmac, an HMAC secret file (notify[0].hmac_secret_file, line 29)"},
		{"another file", dir + "/app.env", ""},
		{"beside the lock", "state.db.lock2", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("rotatord.yaml", []byte(src(tt.path)))
			if tt.want == "" {
				if err != nil {
					t.Errorf("got errors, want none:\n%v", err)
				}
				return
			}
			want := "rotatord.yaml:25:15: secrets[0].sinks[2].path: " + tt.want
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got errors:\n%v\nwant one with %q", err, want)
			}
			if err != nil && strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("got more than one error:\n%v", err)
			}
		})
	}
}

// TestSameFileRelativeConfig: two sinks that write one file, one as an
// absolute path and one relative to a configuration named by a relative
// path, are one file.
func TestSameFileRelativeConfig(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	src := head + secret + "    sinks: [{type: file, path: app.env, format: env}, {type: file, path: " + dir + "/app.env, format: json}]\n"
	_, err := Parse("rotatord.yaml", []byte(src))
	want := "secrets[0].sinks[1].path: secrets[0].sinks[0] (line 13) also writes this file, as env"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got errors:\n%v\nwant one with %q", err, want)
	}
}
