package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/state"
)

var updateOutput = flag.Bool("update", false, "rewrite testdata/output/*.golden")

// The documents of report.go, by the command that prints them.
var documents = map[string]any{"list": listDoc{}, "status": statusDoc{}, "get": getDoc{}, "history": historyDoc{}}

// TestReportFieldsDocumented: every field of every document has the same
// snake_case name in JSON and YAML, is described in docs/output.md, and
// holds only plain values (strings, numbers, booleans, lists and other
// document structs): nothing that marshals itself, such as a
// config.SecretValue, can be in a document.
func TestReportFieldsDocumented(t *testing.T) {
	raw, err := os.ReadFile("../../docs/output.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for cmd, d := range documents {
		if !strings.Contains(doc, "## `rotatord "+cmd) {
			t.Errorf("docs/output.md has no section for %s", cmd)
		}
		checkDocType(t, doc, reflect.TypeOf(d), cmd)
	}
}

func checkDocType(t *testing.T, doc string, typ reflect.Type, where string) {
	t.Helper()
	switch typ.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Uint64:
		if typ.PkgPath() != "" {
			t.Errorf("%s: type %s is a named type; a document holds only plain values", where, typ)
		}
		return
	case reflect.Pointer, reflect.Slice:
		checkDocType(t, doc, typ.Elem(), where)
		return
	case reflect.Struct:
	default:
		t.Errorf("%s: type %s has no place in a document", where, typ)
		return
	}
	if typ.PkgPath() != "github.com/rotatord/rotatord/cmd/rotatord" && typ.PkgPath() != "main" {
		t.Errorf("%s: struct %s is not one of report.go's", where, typ)
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous {
			if f.Tag.Get("yaml") != ",inline" {
				t.Errorf("%s: embedded %s is not inline in YAML", where, f.Type)
			}
			checkDocType(t, doc, f.Type, where)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		yname, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "" || name != yname:
			t.Errorf("%s.%s: json name %q, yaml name %q; want one snake_case name", where, f.Name, name, yname)
		case name != strings.ToLower(name) || strings.Contains(name, "-"):
			t.Errorf("%s.%s: %q is not snake_case", where, f.Name, name)
		case !strings.Contains(doc, "`"+name+"`"):
			t.Errorf("%s.%s: docs/output.md does not describe `%s`", where, f.Name, name)
		}
		checkDocType(t, doc, f.Type, where+"."+name)
	}
}

// TestReportGoldens: the documents built from canned answers (times in
// CEST, a secret value in every version) are the golden files, byte for
// byte, in JSON and YAML: a renamed or removed field shows here. Only
// get --reveal's holds the secret. go test -run TestReportGoldens -update
// rewrites them.
func TestReportGoldens(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	cest := time.FixedZone("CEST", 2*3600)
	at := func(day, hour int) time.Time {
		return time.Date(2026, 3, day, hour, 0, 0, 123456789, time.UTC).In(cest)
	}
	delivered := map[string]time.Time{"file:/run/rotatord/app.ini#app": at(1, 3)}
	s := &state.Secret{
		Name: "/team-a/app", UserName: "app", UserARN: "arn:aws:iam::123456789012:user/app",
		Versions: []state.Version{
			{N: 1, AccessKeyID: "AKIAOLDOLDOLDOLD0001", Created: at(1, 1), State: state.Retired, Replaced: at(1, 3), Retired: at(1, 3), Imported: true},
			{N: 2, AccessKeyID: "AKIACURCURCURCUR0002", Created: at(1, 2), State: state.Current, Value: secret, Delivered: delivered},
			{N: 3, AccessKeyID: "AKIAPENPENPENPEN0003", Created: at(2, 2), State: state.Pending, Value: secret},
		},
		LastRotation: at(1, 3),
		Journal:      &state.Journal{RotationID: "r2", Started: at(2, 2), Step: state.StepDelivering, NewKeyID: "AKIAPENPENPENPEN0003", DeliveryAttempts: 2, NextDelivery: at(2, 4)},
	}
	row := control.SecretStatus{Name: s.Name, Target: "prod", KeyID: "AKIACURCURCURCUR0002", State: "delivering", LastRotation: at(1, 3), NextRotation: at(30, 3), LastError: "deliver: sink file:/run/rotatord/app.ini#app: permission denied", Holder: "host-b"}
	held := control.SecretStatus{Name: "/team-a/held", Target: "prod", KeyID: "AKIACURCURCURCUR0005", State: "held", LastRotation: at(2, 3),
		Held: &state.Hold{KeyID: "AKIAOLDOLDOLDOLD0004", Since: at(2, 3), LastUsed: at(2, 3).Add(-10 * time.Minute), Service: "s3", Region: "eu-west-1",
			NextLook: at(2, 4), Notified: at(2, 3), Rotation: true}}
	reportNow = func() time.Time { return at(2, 5) }
	t.Cleanup(func() { reportNow = time.Now })
	var table, status strings.Builder
	if err := printList(&table, []control.SecretStatus{held}); err != nil {
		t.Fatal(err)
	}
	printStatus(&status, &control.SecretDetail{SecretStatus: held})
	for _, out := range []string{table.String(), status.String()} {
		if !regexp.MustCompile(`held: +previous key still in use \(s3, eu-west-1, 2 h ago\)`).MatchString(out) {
			t.Errorf("list and status name the held key's use:\n%s", out)
		}
	}
	detail := &control.SecretDetail{
		SecretStatus: row, Secret: s, LeaseExpires: at(2, 5), Replicas: []string{"host-a", "host-b"},
		Sinks: []control.SinkStatus{{ID: "file:/run/rotatord/app.ini#app", Current: at(1, 3)}},
	}
	events := []state.Event{
		{Seq: 7, Time: at(2, 2), Secret: s.Name, RotationID: "r2", Kind: "rotation.begun", KeyID: "AKIACURCURCURCUR0002", Detail: "scheduled"},
		{Seq: 8, Time: at(2, 2), Secret: s.Name, RotationID: "r2", Kind: "key.created", KeyID: "AKIAPENPENPENPEN0003"},
	}
	for _, tt := range []struct {
		name   string
		doc    any
		secret bool
	}{
		{"list", newListDoc("/team-a/", []control.SecretStatus{row, held, {Name: "/team-a/gone", State: "not configured"}}), false},
		{"list-empty", newListDoc("/team-c/", nil), false},
		{"status", newStatusDoc(detail), false},
		{"get", newGetDoc(s.Name, &s.Versions[1], false), false},
		{"get-reveal", newGetDoc(s.Name, &s.Versions[1], true), true},
		{"get-reveal-retired", newGetDoc(s.Name, &s.Versions[0], true), false},
		{"history", newHistoryDoc(s, events), false},
	} {
		for _, f := range []outputFormat{outputJSON, outputYAML} {
			t.Run(tt.name+"."+string(f), func(t *testing.T) {
				var buf bytes.Buffer
				if err := writeDoc(&buf, f, tt.doc); err != nil {
					t.Fatal(err)
				}
				if got := strings.Contains(buf.String(), secret); got != tt.secret {
					t.Errorf("holds the secret access key: %v, want %v", got, tt.secret)
				}
				if strings.Contains(buf.String(), config.Redacted) || strings.Contains(buf.String(), "CEST") || strings.Contains(buf.String(), ".123") {
					t.Errorf("holds a redaction marker or a time not in UTC to the second:\n%s", buf.String())
				}
				golden := filepath.Join("testdata", "output", tt.name+"."+string(f)+".golden")
				if *updateOutput {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (go test -run TestReportGoldens -update writes it)", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("got\n%s\nwant (%s)\n%s", buf.String(), golden, want)
				}
			})
		}
	}
}
