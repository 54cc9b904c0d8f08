package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rotatord/rotatord/internal/state"
)

// TestReadCommandsOutput: list [FOLDER], status, get and history with -o
// json and -o yaml, without a daemon and through a running one, on bbolt
// and on DynamoDB (where status names the replicas). Each document parses
// into its struct of report.go (no unknown field), holds the values the
// store holds, is the same document through the daemon, and holds no
// piece of any secret access key the test knows but for get --reveal's;
// list FOLDER filters at the segment boundary; -o table is the table.
func TestReadCommandsOutput(t *testing.T) {
	for _, dynamo := range []bool{false, true} {
		t.Run(map[bool]string{false: "bbolt", true: "dynamodb"}[dynamo], func(t *testing.T) {
			readCommandsOutput(t, dynamo)
		})
	}
}

func readCommandsOutput(t *testing.T, dynamo bool) {
	w := newWorld(t, secretOpts{graceful: true, dynamo: dynamo})
	cfg := strings.Replace(w.runSettings("3s"), "  backend: dynamodb\n", "  backend: dynamodb\n  replica: r1\n", 1)
	keys := []string{w.app.SecretAccessKey, w.admin.SecretAccessKey}
	for i, name := range []string{"/team-a/x", "/team-a/ci/y", "/team-ab/z"} {
		u := w.fake.SeedUser(fmt.Sprintf("folder%d", i), false)
		keys = append(keys, u.SecretAccessKey)
		cfg += fmt.Sprintf(`  - name: %s
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: %s
    sinks:
      - type: file
        path: folder%d.ini
        profile: p
`, name, u.AccessKeyID, i)
	}
	w.replaceConfig(cfg)
	for range 3 {
		w.mustRun("rotate", "/team/app")
	}
	s := w.stored()
	for _, v := range s.Versions {
		if !v.Value.IsZero() {
			keys = append(keys, v.Value.Reveal())
		}
	}
	cur := s.Current()

	// Replicas: none on bbolt; on DynamoDB, none without a daemon, then the
	// daemon's.
	var offlineReplicas, daemonReplicas []string
	if dynamo {
		offlineReplicas, daemonReplicas = []string{}, []string{"r1"}
	}
	offline := checkReadOutputs(t, w, s, keys, offlineReplicas)
	p := w.startDaemon()
	daemon := checkReadOutputs(t, w, s, keys, daemonReplicas)
	for _, docs := range []map[string]any{offline, daemon} {
		st := docs["status /team/app"].(statusDoc)
		st.Replicas = nil
		docs["status /team/app"] = st
	}
	for name, doc := range offline {
		if !reflect.DeepEqual(doc, daemon[name]) {
			t.Errorf("%s: through the daemon\n%+v\nwithout one\n%+v", name, daemon[name], doc)
		}
	}
	// --reveal prints the key, in JSON too, and only the key kept.
	var got getDoc
	decodeJSON(t, "get --reveal", w.runUnrecorded("get", "/team/app", "--reveal", "-o", "json"), &got)
	if got.SecretAccessKey != cur.Value.Reveal() || !got.SecretKept {
		t.Errorf("get --reveal -o json does not hold the stored secret access key (kept %v)", got.SecretKept)
	}
	old := w.mustRun("get", "/team/app", "--reveal", "--version", "1", "-o", "json")
	var retired getDoc
	decodeJSON(t, "get --reveal --version 1", old, &retired)
	if retired.SecretKept || retired.SecretAccessKey != "" || strings.Contains(old, "secret_access_key") {
		t.Errorf("get --reveal of a retired version:\n%s\nwant secret_kept false and no secret_access_key", old)
	}
	if code, _ := p.term(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
}

// checkReadOutputs runs the read commands with -o json and -o yaml,
// checks them against s, the stored /team/app, and returns the decoded
// documents by command.
// replicas is what status must name (each name with the suffix the daemon
// adds): nil for null.
func checkReadOutputs(t *testing.T, w *world, s *state.Secret, keys []string, replicas []string) map[string]any {
	t.Helper()
	cur := s.Current()
	docs := map[string]any{}
	outputs := map[string]string{}
	doc := func(into any, args ...string) string {
		t.Helper()
		name := strings.Join(args, " ")
		out := w.mustRun(append(args, "-o", "json")...)
		decodeJSON(t, name, out, into)
		outputs[name+" -o json"] = out
		y := w.mustRun(append(args, "-o", "yaml")...)
		fromYAML := reflect.New(reflect.TypeOf(into).Elem()).Interface()
		dec := yaml.NewDecoder(strings.NewReader(y))
		dec.KnownFields(true)
		if err := dec.Decode(fromYAML); err != nil {
			t.Fatalf("%s -o yaml does not parse: %v\n%s", name, err, y)
		}
		if !reflect.DeepEqual(fromYAML, into) {
			t.Errorf("%s: -o yaml\n%+v\n-o json\n%+v", name, fromYAML, into)
		}
		outputs[name+" -o yaml"] = y
		docs[name] = reflect.ValueOf(into).Elem().Interface()
		return out
	}

	var list listDoc
	raw := doc(&list, "list")
	if got, want := rowNames(list), []string{"/team/app", "/team-a/x", "/team-a/ci/y", "/team-ab/z"}; !slices.Equal(got, want) {
		t.Errorf("list: secrets %q, want %q", got, want)
	}
	app := list.Secrets[0]
	if list.Folder != nil || deref(app.KeyID) != cur.AccessKeyID || app.State != "ok" || deref(app.Target) != "prod" ||
		!app.Manual || app.NextRotation != nil || app.LastError != nil || app.HeldBy != nil {
		t.Errorf("list: /team/app is %s, want key %s, ok, target prod, manual", show(app), cur.AccessKeyID)
	}
	checkTime(t, "list: last_rotation", app.LastRotation, s.LastRotation)
	if x := list.Secrets[1]; x.State != "new" || x.LastRotation != nil || x.KeyID == nil {
		t.Errorf("list: /team-a/x is %s, want new, never rotated, with its key id", show(x))
	}
	for _, field := range []string{`"next_rotation": null`, `"folder": null`, `"held_by": null`, `"retirement_held": null`} {
		if !strings.Contains(raw, field) {
			t.Errorf("list -o json lacks %s:\n%s", field, raw)
		}
	}
	if table := w.mustRun("list", "-o", "table"); table != w.mustRun("list") {
		t.Errorf("list -o table is not list's table:\n%s", table)
	}

	for _, folder := range []string{"/team-a/", "/team-a"} {
		var in listDoc
		doc(&in, "list", folder)
		if got, want := rowNames(in), []string{"/team-a/x", "/team-a/ci/y"}; !slices.Equal(got, want) || deref(in.Folder) != "/team-a/" {
			t.Errorf("list %s: folder %s, secrets %q, want /team-a/ and %q", folder, show(in.Folder), got, want)
		}
		table := w.mustRun("list", folder)
		if !strings.Contains(table, "/team-a/ci/y ") || strings.Contains(table, "/team-ab/z") || strings.Contains(table, "/team/app") {
			t.Errorf("list %s:\n%s\nwant /team-a/x and /team-a/ci/y only", folder, table)
		}
	}
	var none listDoc
	if out := doc(&none, "list", "/team-c/"); len(none.Secrets) != 0 || !strings.Contains(out, `"secrets": []`) {
		t.Errorf("list /team-c/ -o json:\n%s\nwant an empty list of secrets", out)
	}
	if table := w.mustRun("list", "/team-c/"); strings.Count(table, "\n") != 1 || !strings.HasPrefix(table, "NAME") {
		t.Errorf("list /team-c/:\n%s\nwant the table's head alone", table)
	}

	var st statusDoc
	doc(&st, "status", "/team/app")
	if st.Name != "/team/app" || deref(st.KeyID) != cur.AccessKeyID || st.State != "ok" || st.OpenRotation != nil ||
		st.PendingKeyID != nil || (st.Replicas == nil) != (replicas == nil) || st.LeaseExpires != nil || deref(st.IAMUserName) != s.UserName ||
		deref(st.IAMUserARN) != s.UserARN || len(st.Sinks) != 1 || st.Sinks[0].PendingDelivered != nil {
		t.Errorf("status: %s; want /team/app, key %s, ok, user %s, one sink, nothing pending", show(st), cur.AccessKeyID, s.UserARN)
	} else {
		checkTime(t, "status: sinks[0].current_delivered", st.Sinks[0].CurrentDelivered, cur.Delivered[st.Sinks[0].ID])
	}
	if st.Replicas != nil && !slices.EqualFunc(*st.Replicas, replicas, strings.HasPrefix) {
		t.Errorf("status: replicas %q, want %q (each followed by its suffix)", *st.Replicas, replicas)
	}

	var get getDoc
	raw = doc(&get, "get", "team/app")
	if get.Name != "/team/app" || get.Version != cur.N || get.AccessKeyID != cur.AccessKeyID || get.State != "current" ||
		!get.SecretKept || get.SecretAccessKey != "" || strings.Contains(raw, "secret_access_key") {
		t.Errorf("get -o json:\n%s\nwant version %d, key %s, current, kept, no secret_access_key", raw, cur.N, cur.AccessKeyID)
	}
	checkTime(t, "get: created", get.Created, cur.Created)
	var first getDoc
	doc(&first, "get", "/team/app", "--version", "1")
	if first.AccessKeyID != w.app.AccessKeyID || first.SecretKept || first.Retired == nil || !first.Imported {
		t.Errorf("get --version 1: %s; want the imported key %s, retired, not kept", show(first), w.app.AccessKeyID)
	}

	var hist historyDoc
	doc(&hist, "history", "/team/app")
	if len(hist.Versions) != len(s.Versions) {
		t.Fatalf("history: %d versions, want %d", len(hist.Versions), len(s.Versions))
	}
	for i, v := range hist.Versions {
		sv := s.Versions[i]
		if v.Version != sv.N || v.AccessKeyID != sv.AccessKeyID || v.State != string(sv.State) || len(v.DeliveredTo) != len(sv.Delivered) {
			t.Errorf("history: version %s, want %d %s %s delivered to %d", show(v), sv.N, sv.AccessKeyID, sv.State, len(sv.Delivered))
		}
		checkTime(t, fmt.Sprintf("history: version %d created", sv.N), v.Created, sv.Created)
	}
	var kinds []string
	for i, e := range hist.Events {
		kinds = append(kinds, e.Kind)
		if _, err := time.Parse(time.RFC3339, deref(e.Time)); err != nil || !strings.HasSuffix(deref(e.Time), "Z") {
			t.Errorf("history: event %d time %s, want RFC 3339 in UTC", i, show(e.Time))
		}
		if i > 0 && e.Seq <= hist.Events[i-1].Seq {
			t.Errorf("history: event %d seq %d after %d", i, e.Seq, hist.Events[i-1].Seq)
		}
	}
	for _, want := range []string{"rotation.finished", "key.deleted", "sink.delivered"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("history: events %q lack %s", kinds, want)
		}
	}

	for name, out := range outputs {
		if k, i := piece(out, keys); k >= 0 {
			t.Errorf("%s holds characters %d to %d of secret access key %d", name, i+1, i+8, k)
		}
	}
	return docs
}

// TestOutputUsageErrors: a malformed folder or an unknown output format is
// a usage error that names it, before the configuration is read.
func TestOutputUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "team-a"}, `folder "team-a" does not start with /`},
		{[]string{"list", "/team-a//x"}, `folder "/team-a//x" has an empty segment`},
		{[]string{"list", "/a/", "/b/"}, "takes at most one folder"},
		{[]string{"list", "-o", "xml"}, `unknown output format "xml": use table, json or yaml`},
		{[]string{"status", "/a", "--output", "JSON"}, `unknown output format "JSON": use table, json or yaml`},
		{[]string{"get", "/a", "-o", ""}, "use table, json or yaml"},
		{[]string{"history", "/a", "-o", "csv"}, "use table, json or yaml"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"-c", "/nonexistent/rotatord.yaml"}, tt.args...), strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tt.want) || stdout.Len() != 0 {
			t.Errorf("rotatord %v: exit %d, stdout %q, stderr %q; want exit %d saying %q", tt.args, code, stdout.String(), stderr.String(), exitUsage, tt.want)
		}
	}
}

// runUnrecorded runs rotatord like run, but keeps its output out of what
// the world scans for secrets: for --reveal, which prints one on purpose.
func (w *world) runUnrecorded(args ...string) string {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"-c", w.cfg, "--log-format", "json"}, args...)...)
	cmd.Env = env()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		w.t.Fatalf("rotatord %v: %v", args, err) // not e: it could hold the key
	}
	return o.String()
}

func decodeJSON(t *testing.T, name, out string, into any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s -o json does not parse into %T: %v\n%s", name, into, err, out)
	}
	if dec.More() {
		t.Fatalf("%s -o json holds more than one document:\n%s", name, out)
	}
}

// checkTime checks a document's time against the stored one: RFC 3339 in
// UTC, to the second.
func checkTime(t *testing.T, what string, got *string, want time.Time) {
	t.Helper()
	if want.IsZero() {
		if got != nil {
			t.Errorf("%s: got %q, want null", what, *got)
		}
		return
	}
	if w := want.UTC().Truncate(time.Second).Format(time.RFC3339); deref(got) != w {
		t.Errorf("%s: got %s, want %q", what, show(got), w)
	}
}

func rowNames(d listDoc) []string {
	var names []string
	for _, r := range d.Secrets {
		names = append(names, r.Name)
	}
	return names
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// show formats a document for a message, pointers followed.
func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
