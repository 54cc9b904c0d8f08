package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

// everyField is a template that uses every field of TemplateData.
const everyField = `# {{.Secret}}, version {{.Version}}
{{- /* a comment */}}
[{{.Secret | printf "%q"}}]
id = {{.AccessKeyID}}
key = "{{.SecretAccessKey}}"
{{if gt .Version 1}}rotated = true{{end}}
`

func TestPutTemplate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.conf")
	f := newFile(t, Config{Path: path, Format: FormatTemplate, Template: everyField, Mode: 0o640})
	want := "# /team/deployer, version 2\n[\"/team/deployer\"]\nid = " + testID + "\nkey = \"" + testSecret + "\"\nrotated = true\n"
	for i := 0; i < 2; i++ { // the second Put must give the same bytes
		if err := f.Put(context.Background(), testCred); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Fatalf("Put %d wrote\n%q\nwant\n%q", i, got, want)
		}
	}
	assertMode(t, path, 0o640)
	assertOnlyFiles(t, dir, "app.conf")
}

func TestHoldsTemplate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "out")
	f := newFile(t, Config{Path: path, Format: FormatTemplate, Template: "KEY={{.SecretAccessKey}} V={{.Version}}\n"})
	if ok, err := f.Holds(ctx, testCred); ok || err != nil {
		t.Fatalf("missing file: Holds = %v, %v; want false", ok, err)
	}
	if err := f.Put(ctx, testCred); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.Holds(ctx, testCred); !ok || err != nil {
		t.Fatalf("after Put: Holds = %v, %v; want true", ok, err)
	}
	next := testCred
	next.Version = 3 // the same key, delivered as another version: another file
	if ok, _ := f.Holds(ctx, next); ok {
		t.Errorf("Holds(another version) = true")
	}
	if err := os.WriteFile(path, []byte("KEY="+testSecret+" V=2"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.Holds(ctx, testCred); ok {
		t.Errorf("Holds = true for a changed file")
	}
}

func TestNewTemplateErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      Config
		wantErr string
	}{
		{"missing field", Config{Format: FormatTemplate, Template: "id={{.AccessKeyID}}\nkey={{.SecretKey}}\n"},
			`template does not render: template:2:6: executing "template" at <.SecretKey>: can't evaluate field SecretKey`},
		{"named after its file", Config{Format: FormatTemplate, Template: "{{.Time}}", TemplateFile: "/etc/rotatord/app.tmpl"},
			`template /etc/rotatord/app.tmpl does not render: template:1:2: executing "template" at <.Time>: can't evaluate field Time`},
		{"parse error", Config{Format: FormatTemplate, Template: "{{.AccessKeyID"}, "template does not parse: template:1: unclosed action"},
		{"unknown function", Config{Format: FormatTemplate, Template: "{{env \"HOME\"}}"}, `function "env" not defined`},
		{"empty", Config{Format: FormatTemplate, Template: " \n"}, "format template needs a template"},
		{"range", Config{Format: FormatTemplate, Template: "{{range 100000000}}{{range 100000000}}x{{end}}{{end}}"},
			"template does not parse: line 1, col 8: range is not allowed"},
		{"recursion", Config{Format: FormatTemplate, Template: "{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}"},
			"recursion is not allowed"},
		{"huge width", Config{Format: FormatTemplate, Template: "{{printf \"%999999999s\" .Secret}}"}, "template does not parse: line 1, col 2: printf: a width or precision of 999999999 is over the limit of 256"},
		{"output too long", Config{Format: FormatTemplate, Template: strings.Repeat("{{.SecretAccessKey}}", 2000)}, "template does not render: template limit: it writes more than 64 KiB"},
		{"template with another format", Config{Format: FormatEnv, Template: "{{.AccessKeyID}}"}, "a template only applies with format: template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Path = "/run/x"
			_, err := New(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "file sink /run/x: ") {
				t.Errorf("error %q does not name the sink", err)
			}
		})
	}
}

// TestPutTemplateError: a template that renders the sample but not a real
// credential fails Put with the position only, and leaves the file alone.
func TestPutTemplateError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The sample secret has 40 characters; this one has 30.
	short := sink.Credential{Secret: "/x", Version: 1, AccessKeyID: testID, SecretAccessKey: config.SecretValue(testSecret[:30])}
	f := newFile(t, Config{Path: path, Format: FormatTemplate, Template: "k={{.SecretAccessKey}}\n{{index .SecretAccessKey 35}}"})
	err := f.Put(context.Background(), short)
	if want := "file sink " + path + ": template line 2, col 2: cannot render this credential"; err == nil || err.Error() != want {
		t.Fatalf("got error %v, want %q", err, want)
	}
	assertNoSecret(t, err)
	if got, _ := os.ReadFile(path); string(got) != "old\n" {
		t.Errorf("file changed to %q", got)
	}
	if ok, err := f.Holds(context.Background(), short); ok || err == nil || strings.Contains(err.Error(), testSecret[:30]) {
		t.Errorf("Holds = %v, %v; want false and an error without the secret", ok, err)
	}
	assertOnlyFiles(t, dir, "out")
}

func TestTemplatePosition(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{template.ExecError{Name: "template", Err: errors.New(`template: template:3:14: executing "template" at <index .X 9>: error calling index: out of range`)}, " line 3, col 14"},
		{template.ExecError{Name: "template", Err: errors.New(`template: template: no such template "x"`)}, ""},
		{template.ExecError{Name: "template", Err: errors.New(`template: template:s3cr3t: oops`)}, ""},
		{template.ExecError{Name: "template", Err: errors.New(`template: template:1:s3cr3t: oops`)}, ""},
		{errors.New("template: template:1:2: not an ExecError"), ""},
	}
	for _, tt := range tests {
		if got := templatePosition(tt.err, "template"); got != tt.want {
			t.Errorf("templatePosition(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestPutTemplateLimit: a template that stays within the limits for the
// sample data but not for a real credential fails Put with its position
// and the limit, never a value, and leaves the file alone; and quickly.
func TestPutTemplateLimit(t *testing.T) {
	big := strings.Repeat("x", config.MaxTemplateOutput)
	tests := []struct{ name, template, want string }{
		{"width", "k={{.SecretAccessKey}}\n{{if gt .Version 5}}{{\"%300d\" | printf}}{{end}}",
			"template line 2, col 32: cannot render this credential: printf: a width or precision is over the limit of 256"},
		{"output", "k={{.SecretAccessKey}}\n{{if gt .Version 5}}" + big + "{{end}}",
			"template: cannot render this credential: it writes more than 64 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out")
			if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			f := newFile(t, Config{Path: path, Format: FormatTemplate, Template: tt.template})
			err := f.Put(context.Background(), testCred) // version 2
			if err != nil {
				t.Fatalf("Put of version 2: %v", err)
			}
			next := testCred
			next.Version = 7
			err = f.Put(context.Background(), next)
			if want := "file sink " + path + ": " + tt.want; err == nil || err.Error() != want {
				t.Fatalf("got error %v, want %q", err, want)
			}
			assertNoSecret(t, err)
			if got, _ := os.ReadFile(path); string(got) != "k="+testSecret+"\n" {
				t.Errorf("file changed to %.40q", got)
			}
		})
	}
}
