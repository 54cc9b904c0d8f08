package edit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/config"
)

// Fake keys, 40 characters as AWS's are; no output may ever show them.
const (
	editKey1 = "fakeEditSecretAccessKeyOne0000000/000001"
	editKey2 = "fakeEditSecretAccessKeyTwo0000000/000002"
	editKey3 = "fakeEditSecretAccessKeyThree00000/000003"
)

// editFixture has head, line and foot comments at every level, blank
// lines and aligned comments.
const editFixture = `# rotatord configuration for the edit tests
# (a second head line)

version: 1   # the file format

# the state store
state:
  path: state.db              # bbolt
  protection_key_file: protection.key
  # foot comment of state

targets:
  # the production account
  - name: prod                # line comment on a name
    region: us-east-1
    access_key_id: AKIAIOSFODNN7EXAMPLE
    secret_access_key_file: prod.secret
    # foot comment inside prod

secrets:
  # the deployer, protected
  - name: /team-a/ci/deployer
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: AKIAFAKEDEPLOYER0001
    # rotation_schedule: "0 3 * * MON"
    grace_rotation: true
    auto_rotate: true
    rotation_interval: 30     # days
    rotation_hour: 3
    delete_protection: true
    sinks:
      - type: file
        path: deployer.ini    # beside the config
        format: aws-credentials
        profile: deployer
        mode: "0600"
      # after the last sink

  # the reporter, unprotected
  - name: team-b/reporter
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: AKIAFAKEREPORTER0002
    secret_access_key_file: secrets/team-b/reporter.secret
    auto_rotate: false
# trailing comment of the file
`

// editDir writes the fixture, its protection key and key files to a new
// directory and returns the configuration's path.
func editDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"rotatord.yaml":                  editFixture,
		"protection.key":                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"prod.secret":                    editKey3 + "\n",
		"secrets/team-b/reporter.secret": editKey2 + "\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "rotatord.yaml")
}

// tree lists every file under dir with its contents.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			if err == nil && p != dir {
				files[p+"/"] = ""
			}
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// isSubsequence reports whether every line of sub appears in lines, in
// order.
func isSubsequence(sub, lines []string) bool {
	i := 0
	for _, l := range lines {
		if i < len(sub) && l == sub[i] {
			i++
		}
	}
	return i == len(sub)
}

// addReporter2 adds a valid new secret with a key file and a sink.
func addReporter2(d *Document) error {
	e, err := d.AddSecret("team-c/new")
	if err != nil {
		return err
	}
	for _, f := range []Field{
		{"target", "prod"},
		{"authentication_credentials", config.UseUserCreds},
		{"access_key_id", "AKIAFAKENEWKEY000003"},
		{"grace_rotation", false},
		{"auto_rotate", true},
		{"rotation_interval", 90},
		{"rotation_hour", 4},
		{"sinks", []Fields{{{"type", "file"}, {"path", "new.env"}, {"format", "env"}, {"mode", "0600"}}}},
	} {
		if err := e.Set(f.Key, f.Value); err != nil {
			return err
		}
	}
	_, err = e.SetSecretKey(editKey1 + "\n")
	return err
}

func TestEditCreateKeepsCommentsAndOrder(t *testing.T) {
	cfgPath := editDir(t)
	if err := os.Chmod(cfgPath, 0o640); err != nil {
		t.Fatal(err)
	}
	res, err := File(cfgPath, config.LoadOptions{}, addReporter2)
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	got, _ := os.ReadFile(cfgPath)
	if info, err := os.Stat(cfgPath); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("the configuration's mode changed: %v, %v", info.Mode(), err)
	}
	if !isSubsequence(strings.Split(editFixture, "\n"), strings.Split(string(got), "\n")) {
		t.Errorf("some line of the original changed, moved or went missing; got:\n%s", got)
	}
	wantNew := `  - name: /team-c/new
    target: prod
    authentication_credentials: use-user-creds
    access_key_id: AKIAFAKENEWKEY000003
    secret_access_key_file: secrets/team-c/new.secret
    grace_rotation: false
    auto_rotate: true
    rotation_interval: 90
    rotation_hour: 4
    sinks:
      - type: file
        path: new.env
        format: env
        mode: "0600"
`
	if !strings.Contains(string(got), wantNew) {
		t.Errorf("the new entry is not, with exactly its fields in order:\n%s\ngot:\n%s", wantNew, got)
	}
	if s := res.Config.SecretByName("/team-c/new"); s == nil || bootstrapKey(s) != editKey1 {
		t.Errorf("the new configuration lacks the secret or its key")
	}
	keyFile := filepath.Join(filepath.Dir(cfgPath), "secrets/team-c/new.secret")
	if !slices.Equal(res.Wrote, []string{keyFile}) {
		t.Errorf("Wrote = %q, want %q", res.Wrote, keyFile)
	}
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if m := info.Mode().Perm(); m != 0o600 {
		t.Errorf("key file mode %04o, want 0600", m)
	}
	if b, _ := os.ReadFile(keyFile); string(b) != editKey1+"\n" {
		t.Errorf("key file holds %d bytes, not the key and a newline", len(b))
	}
	if strings.Contains(string(got), editKey1) {
		t.Errorf("the key is written inline in the configuration")
	}
}

func TestEditUpdateChangesOnlyGivenFields(t *testing.T) {
	cfgPath := editDir(t)
	_, err := File(cfgPath, config.LoadOptions{}, func(d *Document) error {
		e := d.Secret("team-a/ci/deployer") // without its leading slash
		if e == nil {
			return errors.New("deployer not found")
		}
		if err := e.Set("rotation_interval", 60); err != nil {
			return err
		}
		return e.Set("user_name", "ci-deployer") // absent: placed in field order
	})
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	got, _ := os.ReadFile(cfgPath)
	want := strings.Replace(editFixture, "    rotation_interval: 30     # days\n", "    rotation_interval: 60 # days\n", 1)
	want = strings.Replace(want, "    access_key_id: AKIAFAKEDEPLOYER0001\n",
		"    access_key_id: AKIAFAKEDEPLOYER0001\n    user_name: ci-deployer\n", 1)
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestEditDelete(t *testing.T) {
	cfgPath := editDir(t)
	dir := filepath.Dir(cfgPath)
	res, err := File(cfgPath, config.LoadOptions{}, func(d *Document) error { return d.DeleteSecret("/team-b/reporter") })
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	got, _ := os.ReadFile(cfgPath)
	cut := editFixture[strings.Index(editFixture, "\n\n  # the reporter")+1 : strings.Index(editFixture, "# trailing comment")]
	if want := strings.Replace(editFixture, cut, "", 1); string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	keyFile := filepath.Join(dir, "secrets/team-b/reporter.secret")
	if !slices.Equal(res.Removed, []string{keyFile}) {
		t.Errorf("Removed = %q, want %q", res.Removed, keyFile)
	}
	if _, err := os.Stat(filepath.Join(dir, "secrets")); !errors.Is(err, fs.ErrNotExist) {
		for p := range tree(t, filepath.Join(dir, "secrets")) {
			t.Errorf("left behind: %s", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "prod.secret")); err != nil {
		t.Errorf("a key file rotatord did not name was touched: %v", err)
	}
}

// bootstrapKey is the key the configuration gives s, read from its file.
func bootstrapKey(s *config.RotatedSecret) string {
	v, err := s.BootstrapKey()
	if err != nil {
		return "error: " + err.Error()
	}
	return v.Reveal()
}
