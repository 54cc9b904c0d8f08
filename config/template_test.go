package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chain returns n defines, each calling the next calls times, and a call
// of the first.
func chain(n, calls int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{{define \"t%d\"}}", i)
		if i == n-1 {
			b.WriteString("x")
		}
		for range calls {
			if i < n-1 {
				fmt.Fprintf(&b, "{{template \"t%d\" .}}", i+1)
			}
		}
		b.WriteString("{{end}}")
	}
	return b.String() + `{{template "t0" .}}`
}

// hostile are templates that would run for ever, or for long, or write
// gigabytes, with the message each gets from ParseTemplate or, marked
// render, from RenderTemplate of the sample data.
var hostile = []struct {
	name, text string
	render     bool
	want       string
}{
	{"nested huge ranges", "{{range 100000000}}{{range 100000000}}x{{end}}{{end}}", false,
		"line 1, col 8: range is not allowed"},
	{"range over a variable", "a\n{{$n := 5}}{{range $n}}x{{end}}", false, "line 2, col 19: range is not allowed"},
	{"range over a field", "{{range .Version}}x{{end}}", false, "line 1, col 8: range is not allowed"},
	{"huge printf width", "k={{.SecretAccessKey}}\n{{printf \"%1000000000d\" 1}}", false,
		"line 2, col 2: printf: a width or precision of 1000000000 is over the limit of 256"},
	{"huge printf precision", `{{printf "%.9999s" .Secret}}`, false, "line 1, col 2: printf: a width or precision of 9999 is over the limit of 256"},
	{"width from an argument", `{{printf "%*d" 1000000 1}}`, false, "printf may not take a width or precision from an argument (*)"},
	{"huge width from a pipeline", `{{"%100000d" | printf}}`, true, "line 1, col 15: printf: a width or precision is over the limit of 256"},
	{"many widths", `{{printf "` + strings.Repeat("%256d", 300) + `" 1}}`, true, "printf would return more than 64 KiB"},
	{"a define that calls itself", `{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}`, false,
		`line 1, col 25: {{template "r"}} calls a template that is running: recursion is not allowed`},
	{"deep mutual recursion", "{{define \"a\"}}{{template \"b\" .}}{{end}}\n{{define \"b\"}}{{if .}}{{template \"a\" .}}{{end}}{{end}}{{template \"a\" .}}", false,
		`calls a template that is running: recursion is not allowed`},
	{"an unused define that calls itself", `{{define "r"}}{{template "r"}}{{end}}ok`, false, "recursion is not allowed"},
	{"exponential chain", chain(40, 2), false, "runs more than 10000 steps"},
	{"long chain of twos", chain(14, 2), false, `line 1, col 225: here "t3" runs more than 10000 steps`},
	{"doubling strings", `{{$x := printf "%s%s" .SecretAccessKey .SecretAccessKey}}` + strings.Repeat(`{{$x = printf "%s%s" $x $x}}`, 40) + "{{$x}}", true,
		"printf would return more than 64 KiB"},
	{"escapes that grow", `{{"\\" ` + strings.Repeat("| js ", 40) + `}}`, true, "js would return more than 64 KiB"},
	{"many medium strings", `{{$a := printf "%256s" .Secret}}{{$b := print` + strings.Repeat(" $a", 20) + `}}` + strings.Repeat(`{{$y := print`+strings.Repeat(" $b", 10)+`}}`, 25), true,
		"the template's functions return more than 1 MiB in all"},
	{"long output", strings.Repeat("{{.SecretAccessKey}}", 2000), true, "it writes more than 64 KiB"},
	{"too many steps", strings.Repeat("{{.Version}}", 6000), false, "runs more than 10000 steps"},
	{"deep nesting", strings.Repeat("{{if .}}", 120) + strings.Repeat("{{end}}", 120), false, "nests actions, pipelines and parentheses more than 100 deep"},
	{"undefined template", `{{template "nope" .}}`, false, `{{template "nope"}}: no such template is defined`},
	{"printf of a slice", `{{printf "%v" (slice .Secret 1)}}`, false, ""},
}

func TestTemplateHostile(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			tmpl, err := ParseTemplate(tt.text)
			if !tt.render && tt.want != "" {
				if err == nil || !strings.Contains(templateErr(err), tt.want) {
					t.Fatalf("ParseTemplate: got %v, want an error containing %q", err, tt.want)
				}
				if !errors.Is(err, ErrTemplateLimit) {
					t.Errorf("errors.Is(%v, ErrTemplateLimit) = false", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTemplate: %v", err)
			}
			_, err = RenderTemplate(tmpl, SampleTemplateData())
			if took := time.Since(start); took > TemplateTimeout/2 {
				t.Errorf("took %s; the limits should stop it well before the deadline", took)
			}
			if tt.want == "" {
				if err != nil {
					t.Fatalf("RenderTemplate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(templateErr(err), tt.want) || !errors.Is(err, ErrTemplateLimit) {
				t.Fatalf("RenderTemplate: got %v, want an ErrTemplateLimit containing %q", err, tt.want)
			}
		})
	}
}

// legit are templates that must keep working, with what they render from
// the sample data.
var legit = []struct{ name, text, want string }{
	{"plain", "K={{.AccessKeyID}}\n", "K=AKIAXXXXXXXXXXXXXXXX\n"},
	{"every field and printf", `[{{.Secret | printf "%q"}}] v{{.Version}} {{printf "%-20s|%5d|%.4s" .AccessKeyID .Version .SecretAccessKey}}`,
		`["/example/secret"] v1 AKIAXXXXXXXXXXXXXXXX|    1|xXxX`},
	{"if, else, with", `{{if gt .Version 1}}new{{else if eq .Version 1}}first{{else}}none{{end}} {{with .Secret}}{{.}}{{end}}`, "first /example/secret"},
	{"define, block, template", `{{define "kv"}}{{.AccessKeyID}}{{end}}{{block "b" .}}[{{template "kv" .}}]{{end}}{{template "kv" .}}`,
		"[AKIAXXXXXXXXXXXXXXXX]AKIAXXXXXXXXXXXXXXXX"},
	{"a define called often", `{{define "k"}}{{.Version}}{{end}}` + strings.Repeat(`{{template "k" .}}`, 100), strings.Repeat("1", 100)},
	{"escapers and print", `{{html "<a>"}} {{js "it's"}} {{urlquery "a b"}} {{print 1 2}} {{println "x"}}`, "&lt;a&gt; it\\'s a+b 1 2 x\n"},
	{"variables and builtins", `{{$k := .SecretAccessKey}}{{len $k}} {{slice $k 0 4}} {{index $k 0}} {{and 1 0}} {{or 0 2}} {{not true}}`, "40 xXxX 120 0 2 false"},
	{"a json file", "{\n  \"id\": {{printf \"%q\" .AccessKeyID}},\n  \"key\": {{printf \"%q\" .SecretAccessKey}}\n}\n",
		"{\n  \"id\": \"AKIAXXXXXXXXXXXXXXXX\",\n  \"key\": \"xXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxX\"\n}\n"},
	{"comments and trims", "{{- /* c */ -}}\n  a {{- .Version -}} b  ", "a1b  "},
}

func TestTemplateLegit(t *testing.T) {
	for _, tt := range legit {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := ParseTemplate(tt.text)
			if err != nil {
				t.Fatalf("ParseTemplate: %v", err)
			}
			got, err := RenderTemplate(tmpl, SampleTemplateData())
			if err != nil {
				t.Fatalf("RenderTemplate: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// And every template of the fixtures.
	files, _ := filepath.Glob("../testdata/templates/*.tmpl")
	if len(files) == 0 {
		t.Fatal("no template in testdata/templates")
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if msg := checkTemplateText(string(text)); msg != "" {
			t.Errorf("%s %s", f, msg)
		}
	}
}

// TestTemplateExecuteUnbounded: a template that ParseTemplate returned
// refuses to build strings when executed directly, outside RenderTemplate
// and its budget.
func TestTemplateExecuteUnbounded(t *testing.T) {
	tmpl, err := ParseTemplate(`{{printf "%s" .Secret}}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := tmpl.Execute(io.Discard, SampleTemplateData()); !errors.Is(err, ErrTemplateLimit) {
		t.Errorf("Execute: got %v, want ErrTemplateLimit", err)
	}
}

// TestRenderTemplateConcurrent: each rendering has its own budget.
func TestRenderTemplateConcurrent(t *testing.T) {
	tmpl, err := ParseTemplate(`{{$x := printf "%s%s%s%s" . . . .}}` + strings.Repeat(`{{$y := print $x $x $x $x $x $x $x $x $x $x}}`, 60) + "ok")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := RenderTemplate(tmpl, SampleTemplateData())
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Errorf("RenderTemplate: %v", err)
		}
	}
}

func TestCheckFormat(t *testing.T) {
	tests := []struct {
		format string
		verbs  int
		bad    bool
	}{
		{"", 0, false}, {"%s", 1, false}, {"100%%", 1, false}, {"%-256s %08.3f %[2]d %[300]d", 4, false},
		{"%257s", 0, true}, {"%.257s", 0, true}, {"%*d", 0, true}, {"%.*d", 0, true}, {"%[1]*d", 0, true},
		{"%99999999999999999999999d", 0, true}, {"trailing %", 1, false},
	}
	for _, tt := range tests {
		n, err := checkFormat(tt.format)
		if (err != nil) != tt.bad || (!tt.bad && n != tt.verbs) {
			t.Errorf("checkFormat(%q) = %d, %v; want %d verbs, error %v", tt.format, n, err, tt.verbs, tt.bad)
		}
	}
}

// slowest is about the slowest template within the limits: 64 KiB strings
// compared and printed for all of its steps.
func slowest() string {
	var b strings.Builder
	b.WriteString(`{{$a := printf "%256s" .Secret}}{{$b := print` + strings.Repeat(" $a", 200) + `}}{{$c := print` + strings.Repeat(" $a", 200) + `}}`)
	for range 1300 {
		b.WriteString(`{{if eq $b $c}}{{end}}`)
	}
	return b.String()
}

// TestRenderTemplateDeadline: a rendering that takes longer than the
// deadline returns an ErrTemplateLimit at the deadline; the slowest
// template within the limits takes a small part of TemplateTimeout.
func TestRenderTemplateDeadline(t *testing.T) {
	tmpl, err := ParseTemplate(slowest())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := RenderTemplate(tmpl, SampleTemplateData()); err != nil {
		t.Fatalf("RenderTemplate: %v", err)
	}
	took := time.Since(start)
	t.Logf("the slowest template within the limits took %s", took)
	if took > TemplateTimeout/4 {
		t.Errorf("took %s, want well under %s", took, TemplateTimeout)
	}
	renderTimeout = time.Microsecond
	defer func() { renderTimeout = TemplateTimeout }()
	_, err = RenderTemplate(tmpl, SampleTemplateData())
	if err == nil || !errors.Is(err, ErrTemplateLimit) || !strings.Contains(err.Error(), "did not finish within 1µs") {
		t.Errorf("with a deadline of 1µs: got %v, want an ErrTemplateLimit", err)
	}
}

// FuzzTemplate: whatever its text, a template that ParseTemplate accepts
// renders, or fails, well within the deadline and the output limit: the
// limits end it, not the deadline.
func FuzzTemplate(f *testing.F) {
	for _, h := range hostile {
		f.Add(h.text)
	}
	for _, l := range legit {
		f.Add(l.text)
	}
	f.Add(slowest())
	f.Fuzz(func(t *testing.T, text string) {
		tmpl, err := ParseTemplate(text)
		if err != nil {
			return
		}
		start := time.Now()
		out, err := RenderTemplate(tmpl, SampleTemplateData())
		if took := time.Since(start); took > TemplateTimeout/2 {
			t.Fatalf("%q took %s", text, took)
		}
		if err != nil && strings.Contains(err.Error(), "did not finish") {
			t.Fatalf("%q ran into the deadline", text)
		}
		if len(out) > MaxTemplateOutput {
			t.Fatalf("%q wrote %d bytes", text, len(out))
		}
	})
}
