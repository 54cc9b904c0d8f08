package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// TestDiscoverCommand runs `rotatord discover` against awsfake: an account
// with the world's admin and app, and twelve users on two paths, some with
// two keys, one used yesterday. /team/app has been rotated: its current
// key, known only to the store, is managed.
func TestDiscoverCommand(t *testing.T) {
	w := newWorld(t, secretOpts{})
	now := time.Now().UTC()
	var secrets []string
	old := map[string]string{}  // key id -> user, keys made 200 days ago
	recent := map[string]bool{} // key ids made today
	for i := range 12 {
		name, path := fmt.Sprintf("user%02d", i), []string{"/prod/", "/team-a/"}[i%2]
		if err := w.fake.AddUserWith(awsfake.User{Name: name, Path: path}); err != nil {
			t.Fatal(err)
		}
		k, err := w.fake.AddKey(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.fake.SetKeyCreateDate(k.AccessKeyID, now.AddDate(0, 0, -200)); err != nil {
			t.Fatal(err)
		}
		old[k.AccessKeyID], secrets = name, append(secrets, k.SecretAccessKey)
		if i%3 == 0 {
			k2, err := w.fake.AddKey(name)
			if err != nil {
				t.Fatal(err)
			}
			recent[k2.AccessKeyID], secrets = true, append(secrets, k2.SecretAccessKey)
		}
	}
	var usedKey string
	for id, u := range old {
		if u == "user04" {
			usedKey = id
		}
	}
	yesterday := now.Add(-24 * time.Hour).Truncate(time.Second)
	if err := w.fake.SetLastUsed(usedKey, yesterday, "ssm", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	w.mustRun("rotate", "/team/app")
	appKey := w.fake.Keys("app")[0].ID
	if appKey == w.app.AccessKeyID {
		t.Fatal("rotate kept app's key")
	}

	doc := discoverJSON(t, w, "--target", "prod")
	if doc.Target != "prod" || doc.Filters.PathPrefix != "/" || doc.Filters.OlderThanDays != nil || doc.Filters.Unmanaged {
		t.Errorf("got target %q, filters %+v; want prod and none", doc.Target, doc.Filters)
	}
	if want := len(old) + len(recent) + 2; len(doc.Keys) != want {
		t.Fatalf("got %d keys, want %d (seeded, admin's, app's)", len(doc.Keys), want)
	}
	seen := map[string]bool{}
	for _, k := range doc.Keys {
		if seen[k.AccessKeyID] {
			t.Errorf("key %s listed twice", k.AccessKeyID)
		}
		seen[k.AccessKeyID] = true
		created, err := time.Parse(time.RFC3339, deref(k.Created))
		if err != nil || !strings.HasSuffix(deref(k.Created), "Z") {
			t.Errorf("%s: created %q is not RFC 3339 UTC", k.AccessKeyID, deref(k.Created))
		}
		switch {
		case old[k.AccessKeyID] != "":
			if k.User != old[k.AccessKeyID] || k.AgeDays != 200 || !created.Equal(now.AddDate(0, 0, -200).Truncate(time.Second)) {
				t.Errorf("%s: got user %s, age %d, created %s; want %s, 200 days", k.AccessKeyID, k.User, k.AgeDays, created, old[k.AccessKeyID])
			}
		case recent[k.AccessKeyID], k.User == "admin", k.User == "app":
			if k.AgeDays != 0 {
				t.Errorf("%s: got age %d, want 0", k.AccessKeyID, k.AgeDays)
			}
		default:
			t.Errorf("unknown key %s of %s", k.AccessKeyID, k.User)
		}
		wantManaged := ""
		if k.AccessKeyID == appKey {
			wantManaged = "/team/app"
		}
		if deref(k.ManagedBy) != wantManaged {
			t.Errorf("%s (%s): managed by %v, want %q", k.AccessKeyID, k.User, deref(k.ManagedBy), wantManaged)
		}
		switch k.AccessKeyID {
		case usedKey:
			if deref(k.LastUsed) != yesterday.Format(time.RFC3339) || deref(k.LastUsedService) != "ssm" || deref(k.LastUsedRegion) != "eu-west-1" {
				t.Errorf("user04: last used %v %v %v, want %s ssm eu-west-1", deref(k.LastUsed), deref(k.LastUsedService), deref(k.LastUsedRegion), yesterday)
			}
		case appKey:
			if k.LastUsed == nil {
				t.Error("app's new key: never used, but rotate verified it")
			}
		default:
			if k.User != "admin" && (k.LastUsed != nil || k.LastUsedService != nil || k.LastUsedRegion != nil) {
				t.Errorf("%s: last used %v, want null (never)", k.AccessKeyID, deref(k.LastUsed))
			}
		}
	}

	// Both sources print the same document.
	report := w.mustRun("discover", "--target", "prod", "-o", "json", "--source", "report")
	if perUser := w.mustRun("discover", "--target", "prod", "-o", "json", "--source", "per-user"); perUser != report {
		t.Errorf("per-user and report differ:\n%s\n%s", perUser, report)
	}

	filtered := discoverJSON(t, w, "--target", "prod", "--path-prefix", "/prod/", "--older-than", "90d", "--unmanaged")
	var users []string
	for _, k := range filtered.Keys {
		users = append(users, k.User)
	}
	if want := []string{"user00", "user02", "user04", "user06", "user08", "user10"}; !slices.Equal(users, want) {
		t.Errorf("filtered: got %q, want %q", users, want)
	}
	if d := filtered.Filters.OlderThanDays; d == nil || *d != 90 || !filtered.Filters.Unmanaged || filtered.Filters.PathPrefix != "/prod/" {
		t.Errorf("filters: got %+v", filtered.Filters)
	}

	var y discoverDoc
	if err := yaml.Unmarshal([]byte(w.mustRun("discover", "-o", "yaml", "--path-prefix", "/team-a/")), &y); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	if len(y.Keys) != 6+2 || y.Keys[0].User != "user01" || y.Target != "prod" {
		t.Errorf("yaml: got %d keys (%+v), want 8 from user01", len(y.Keys), y.Keys[0])
	}
	table := w.mustRun("discover", "--target", "prod", "--unmanaged")
	if !strings.HasPrefix(table, "USER ") || !strings.Contains(table, "never") || strings.Contains(table, appKey) ||
		strings.Count(table, "\n") != len(doc.Keys) {
		t.Errorf("table: got\n%s", table)
	}

	// The world's scan covers admin's and app's keys; these are the
	// seeded users'.
	w.mu.Lock()
	out := w.output.String()
	w.mu.Unlock()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Error("a seeded secret access key appears in rotatord's output")
		}
	}
}

func TestDiscoverUsage(t *testing.T) {
	w := newWorld(t, secretOpts{})
	for _, args := range [][]string{
		{"--older-than", "ninety"}, {"--older-than", "0d"}, {"-o", "xml"}, {"--source", "cloudtrail"},
		{"--target", "staging"}, {"--path-prefix", "prod"}, {"extra"},
	} {
		out, errOut, code := w.run(append([]string{"discover"}, args...)...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, "rotatord:") {
			t.Errorf("discover %q: exit %d, stdout %q, stderr %q; want 2 and a message", args, code, out, errOut)
		}
	}
	help := w.mustRun("discover", "--help")
	for _, want := range []string{"iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:ListUsers",
		"iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "--older-than", "--unmanaged", "--path-prefix", "rate_limit", "-o"} {
		if !strings.Contains(help, want) {
			t.Errorf("discover --help does not mention %s", want)
		}
	}
}

// discoverJSON runs discover -o json and parses it, strictly: a field the
// test does not know fails it.
func discoverJSON(t *testing.T, w *world, args ...string) discoverDoc {
	t.Helper()
	out := w.mustRun(append([]string{"discover", "-o", "json"}, args...)...)
	dec := json.NewDecoder(bytes.NewReader([]byte(out)))
	dec.DisallowUnknownFields()
	var doc discoverDoc
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("parse discover's JSON: %v\n%s", err, out)
	}
	if doc.Keys == nil {
		t.Error("keys is null, want a list")
	}
	return doc
}

// A target whose own key rotatord rotated signs discover's calls with its
// current key from the store (the configured one is deleted), and that key
// is managed by the rotating secret. A graceful secret rotated twice has
// two keys the configuration does not name: both are managed.
func TestDiscoverRotatedTarget(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true})
	raw, err := os.ReadFile(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.write("rotatord.yaml", string(raw)+"  - name: /prod/target-key\n    target: prod\n    rotator_type: target\n    grace_rotation: false\n")
	w.mustRun("rotate", "/prod/target-key")
	if _, err := w.whoami(w.admin); err == nil {
		t.Fatal("the target's configured key still works after its rotation")
	}
	w.mustRun("rotate", "/team/app")
	w.mustRun("rotate", "/team/app")
	adminKey := w.fake.Keys("admin")[0].ID
	doc := discoverJSON(t, w, "--target", "prod", "--path-prefix", "/")
	managed := map[string]string{}
	for _, k := range doc.Keys {
		managed[k.AccessKeyID] = deref(k.ManagedBy)
	}
	appKeys := w.fake.Keys("app")
	if len(doc.Keys) != 3 || len(appKeys) != 2 || managed[adminKey] != "/prod/target-key" ||
		managed[appKeys[0].ID] != "/team/app" || managed[appKeys[1].ID] != "/team/app" || appKeys[0].ID == w.app.AccessKeyID {
		t.Errorf("got keys %v, want admin's new key managed by /prod/target-key and app's two new ones by /team/app", managed)
	}
}

// The progress bar draws on a terminal (throttled: not every step) and is
// cleared at the end; it writes nothing elsewhere.
func TestProgress(t *testing.T) {
	for _, terminal := range []bool{false, true} {
		var buf bytes.Buffer
		p := newProgress(&buf, terminal, "reading users' keys")
		p.set(0, 300)
		p.set(150, 300)
		p.set(300, 300)
		p.close()
		got := buf.String()
		if terminal && !strings.Contains(got, "/300)") || !terminal && got != "" {
			t.Errorf("terminal %v: got %q", terminal, got)
		}
		if terminal && !strings.HasSuffix(got, "\r") {
			t.Errorf("the bar is not cleared at the end: %q", got)
		}
	}
}
