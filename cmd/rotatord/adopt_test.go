package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// adoptWorld is a world whose account holds, besides admin and app:
// under /prod/, alice and bob (one key, 200 days old), carol (one key, 5
// days old), dave (two keys, one old), erin (an old key a secret of the
// file already holds), zed (an old key; the file has a secret /prod/zed
// for erin), ivy (one old key, inactive) and "g,h" (a name no secret may
// have) and ci@dep (a name no profile may have); under /team-a/, frank (one old key). The configuration file
// has comments, which adopt must keep.
func adoptWorld(t *testing.T) (w *world, original string, secrets []string) {
	t.Helper()
	w = newWorld(t, secretOpts{})
	now := time.Now().UTC()
	keyOf := map[string]string{}
	seed := func(user, path string, ageDays int) string {
		t.Helper()
		if _, ok := keyOf[user]; !ok {
			if err := w.fake.AddUserWith(awsfake.User{Name: user, Path: path}); err != nil {
				t.Fatal(err)
			}
		}
		k, err := w.fake.AddKey(user)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.fake.SetKeyCreateDate(k.AccessKeyID, now.AddDate(0, 0, -ageDays)); err != nil {
			t.Fatal(err)
		}
		keyOf[user], secrets = k.AccessKeyID, append(secrets, k.SecretAccessKey)
		return k.AccessKeyID
	}
	for _, u := range []string{"alice", "bob", "erin", "zed", "ivy", "g,h", "ci@dep"} {
		seed(u, "/prod/", 200)
	}
	seed("carol", "/prod/", 5)
	seed("dave", "/prod/", 200)
	seed("dave", "/prod/", 1)
	seed("frank", "/team-a/", 200)
	if err := w.fake.SetKeyStatus(keyOf["ivy"], "Inactive"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(w.dir, "sinks"), 0o700); err != nil {
		t.Fatal(err)
	}
	original = fmt.Sprintf(`# rotatord's configuration: keep this comment.
version: 1
state:
  path: state.db # beside this file
  protection_key_file: protection.key
targets:
  # the one account
  - name: prod
    region: us-east-1
    endpoint: %s
    access_key_id: %s
    secret_access_key_file: admin.secret
secrets:
  # app rotates its own key
  - name: /team/app
    target: prod
    authentication_credentials: use-user-creds
    access_key_id: %s
    secret_access_key_file: app.secret
    verify_timeout: 10s
  # erin's key, adopted by hand: no secret access key
  - name: /prod/zed
    target: prod
    user_name: erin
    authentication_credentials: use-target-creds
    access_key_id: %s
`, w.url, w.admin.AccessKeyID, w.app.AccessKeyID, keyOf["erin"])
	w.write("rotatord.yaml", original)
	return w, original, secrets
}

// TestAdopt adopts /prod/'s old keys: exactly alice and bob, appended
// after the file's own text, comments and order kept; --dry-run prints
// those same entries and leaves the file byte-identical; each adopted
// secret's first rotation, graceful and strict, creates a key that
// authenticates and reaches its file sink, without the adopted key's
// secret.
func TestAdopt(t *testing.T) {
	w, original, secrets := adoptWorld(t)
	sink := filepath.Join(w.dir, "sinks") + "/{user}.ini,profile={user}"
	args := []string{"adopt", "--target", "prod", "--folder", "/prod/", "--path-prefix", "/prod/", "--older-than", "90d",
		"--sink", "file:" + sink, "--grace-rotation", "true", "--rotation-interval", "30"}

	dry, dryErr, code := w.run(append(args, "--dry-run")...)
	if code != 0 {
		t.Fatalf("adopt --dry-run: exit %d\n%s%s", code, dry, dryErr)
	}
	if got := adoptReadFile(t, w.cfg); got != original {
		t.Fatalf("adopt --dry-run changed the file:\n%s", got)
	}
	alice := w.fake.Keys("alice")[0].ID
	wantAlice := fmt.Sprintf(`- name: /prod/alice
  target: prod
  authentication_credentials: use-target-creds
  rotator_type: api-key
  access_key_id: %s
  user_name: alice
  grace_rotation: true
  rotation_interval: 30
  sinks:
    - type: file
      path: %s/sinks/alice.ini
      profile: alice
`, alice, w.dir)
	if !strings.HasPrefix(dry, wantAlice) || strings.Count(dry, "- name: ") != 2 || !strings.Contains(dry, "- name: /prod/bob\n") {
		t.Errorf("dry run: got\n%s\nwant alice's entry first, then bob's:\n%s", dry, wantAlice)
	}
	for user, why := range map[string]string{
		"dave": "has 2 access keys", "erin": "already managed by /prod/zed", "zed": "already has a secret /prod/zed",
		"ivy": "is inactive", "g,h": "cannot be a secret name", "ci@dep": `the profile "ci@dep"`,
	} {
		if !strings.Contains(dryErr, "  "+user+": ") || !strings.Contains(dryErr, why) {
			t.Errorf("not adopted: %s should be listed with %q; got\n%s", user, why, dryErr)
		}
	}
	for _, user := range []string{"carol", "frank", "app", "admin"} {
		if strings.Contains(dry, user) || strings.Contains(dryErr, "  "+user+":") {
			t.Errorf("%s is not selected, but adopt --dry-run names it:\n%s%s", user, dry, dryErr)
		}
	}
	// Without --path-prefix, frank under /team-a/ is selected too, and
	// without a sink, ci@dep is adopted.
	if all := w.mustRun("adopt", "--folder", "/prod/", "--older-than", "90d", "--dry-run"); !strings.Contains(all, "- name: /prod/frank\n") ||
		!strings.Contains(all, "- name: /prod/ci@dep\n") {
		t.Errorf("adopt without --path-prefix and --sink: frank or ci@dep missing from\n%s", all)
	}

	out := w.mustRun(args...)
	if !strings.Contains(out, "adopted /prod/alice: user alice, key "+alice) || !strings.Contains(out, "added 2 secrets") {
		t.Errorf("adopt: got\n%s", out)
	}
	indented := adoptIndent(dry)
	if got, want := adoptReadFile(t, w.cfg), original+indented; got != want {
		t.Errorf("adopt: the file is not the original plus the entries:\ngot\n%s\nwant\n%s", got, want)
	}
	// Adopting again adds nothing: the adopted keys are managed now.
	before := adoptReadFile(t, w.cfg)
	_, again, code := w.run(args...)
	if code != 0 || !strings.Contains(again, "alice: key "+alice+" is already managed by /prod/alice") || adoptReadFile(t, w.cfg) != before {
		t.Errorf("adopt again: exit %d, stderr\n%s", code, again)
	}

	// bob's first rotation is strict: the adopted key is deleted.
	w.mustRun("secret", "update", "aws", "--name", "/prod/bob", "--grace-rotation", "false")
	for _, user := range []string{"alice", "bob"} {
		old := w.fake.Keys(user)[0].ID
		w.mustRun("rotate", "/prod/"+user)
		k := adoptedSinkKey(t, w, user)
		if k.AccessKeyID == old || k.AccessKeyID == "" {
			t.Errorf("%s: the sink holds %q, want a new key (the adopted one was %s)", user, k.AccessKeyID, old)
		}
		arn, err := w.whoami(k)
		if err != nil || !strings.HasSuffix(arn, ":user/prod/"+user) {
			t.Errorf("%s: the delivered key authenticates as %q (%v), want %s", user, arn, err, user)
		}
		var ids []string
		for _, ik := range w.fake.Keys(user) {
			ids = append(ids, ik.ID)
		}
		if wantOld := user == "alice"; slices.Contains(ids, old) != wantOld || !slices.Contains(ids, k.AccessKeyID) {
			t.Errorf("%s: IAM holds %v after the rotation; want the new key, and the adopted %s only when graceful", user, ids, old)
		}
	}
	if got := adoptReadFile(t, w.cfg); !strings.HasPrefix(got, original) {
		t.Errorf("the rotations changed the file's original text:\n%s", got)
	}
	w.mu.Lock()
	printed := w.output.String()
	w.mu.Unlock()
	for _, s := range secrets {
		if strings.Contains(printed, s) {
			t.Error("a seeded secret access key appears in rotatord's output")
		}
	}
}

func TestAdoptUsage(t *testing.T) {
	w, original, _ := adoptWorld(t)
	for _, args := range [][]string{
		{"--sink", "file:/run/{name}.ini"}, {"--sink", "file:/run/{user.ini"}, {"--sink", "file:/run/}.ini"},
		{"--sink", "s3:/x/{user}"}, {"--folder", "prod"}, {"--older-than", "ninety"}, {"--target", "staging"},
		{"--grace-rotation", "maybe"}, {"--sink", "file:/run/x.ini,profile=a@b"}, {"extra"},
	} {
		out, errOut, code := w.run(append([]string{"adopt"}, args...)...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, "rotatord:") {
			t.Errorf("adopt %q: exit %d, stdout %q, stderr %q; want 2 and a message", args, code, out, errOut)
		}
	}
	if adoptReadFile(t, w.cfg) != original {
		t.Error("a refused adopt changed the file")
	}
	help := w.mustRun("adopt", "--help")
	for _, want := range []string{"--folder", "{user}", "--dry-run", "--older-than", "--path-prefix", "--grace-rotation",
		"--rotation-interval", "--delete-protection", "two access keys", "Exit status"} {
		if !strings.Contains(help, want) {
			t.Errorf("adopt --help does not mention %s", want)
		}
	}
}

// adoptIndent indents every line of a YAML list by two spaces, as the
// entries of secrets: are in the file.
func adoptIndent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "")
}

func adoptReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// adoptedSinkKey reads the user's sink file as the AWS SDK does.
func adoptedSinkKey(t *testing.T, w *world, user string) aws.Credentials {
	t.Helper()
	sc, err := awsconfig.LoadSharedConfigProfile(context.Background(), user, func(o *awsconfig.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{filepath.Join(w.dir, "sinks", user+".ini")}
		o.ConfigFiles = []string{}
	})
	if err != nil {
		t.Fatalf("read %s's sink: %v", user, err)
	}
	return sc.Credentials
}

// TestAdoptRun adopts, then starts `rotatord run`: each adopted secret's
// first rotation, run by the daemon's schedule, delivers a new key that
// authenticates, and the file keeps its own text.
func TestAdoptRun(t *testing.T) {
	w, _, _ := adoptWorld(t)
	w.replaceConfig(w.runSettings("3s"))
	original := adoptReadFile(t, w.cfg)
	adopted := map[string]string{"alice": w.fake.Keys("alice")[0].ID, "bob": w.fake.Keys("bob")[0].ID}
	sink := filepath.Join(w.dir, "sinks") + "/{user}.ini,profile={user}"
	// The adopted keys are 200 days old: due at once. The test has no
	// hour to wait for, so it asks for catch_up: immediate.
	out := w.mustRun("adopt", "--folder", "/prod/", "--path-prefix", "/prod/", "--older-than", "90d",
		"--sink", "file:"+sink, "--auto-rotate", "true", "--rotation-interval", "7", "--catch-up", "immediate")
	if !strings.Contains(out, "added 2 secrets") {
		t.Fatalf("adopt: got\n%s", out)
	}
	got := adoptReadFile(t, w.cfg)
	if !strings.HasPrefix(got, original) || strings.Count(got, "    rotation_interval: 7\n    catch_up: immediate\n") != 2 {
		t.Fatalf("adopt did not append to the file's own text:\n%s", got)
	}
	p := w.startDaemon()
	defer func() {
		if t.Failed() {
			w.mu.Lock()
			t.Log(w.output.String())
			w.mu.Unlock()
		}
	}()
	for user, old := range adopted {
		p.waitMetric(`rotatord_rotations_total{result="success",secret="/prod/`+user+`"}`, "the adopted secret's first rotation",
			func(v float64) bool { return v >= 1 })
		k := adoptedSinkKey(t, w, user)
		if arn, err := w.whoami(k); k.AccessKeyID == old || err != nil || !strings.HasSuffix(arn, ":user/prod/"+user) {
			t.Errorf("%s: the sink holds %s, which authenticates as %q (%v); want a new key of %s", user, k.AccessKeyID, arn, err, user)
		}
	}
	if code, _ := p.term(); code != 0 {
		t.Errorf("rotatord run exited %d, want 0", code)
	}
	if !strings.HasPrefix(adoptReadFile(t, w.cfg), original) {
		t.Error("the daemon changed the file's own text")
	}
}
