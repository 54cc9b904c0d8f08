package config

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// A file sink's template is configuration that rotatord runs as root, for
// every new key. It must finish, soon, whatever it says: text/template
// cannot be stopped once it runs, so a template is bounded by what it may
// hold, checked before it runs (see checkTree: no range, no recursion, a
// bounded number of steps), by what its functions may produce (see
// budget: printf and the others refuse large widths and large results),
// and by what it may write. A deadline is the last guard.
const (
	// MaxTemplateOutput is the most a template may write, and the largest
	// value one of its functions may return: 64 KiB.
	MaxTemplateOutput = 64 << 10
	// MaxTemplateSteps is the most actions, text and values a template may
	// run, counting a defined template once for each {{template}} that
	// calls it.
	MaxTemplateSteps = 10000
	// MaxTemplateWidth is the largest width or precision a printf verb
	// may give, as in %-20s or %.8s.
	MaxTemplateWidth = 256
	// TemplateTimeout is how long a template may take to render.
	TemplateTimeout = time.Second

	// maxTemplateWork is the most bytes a template's functions may return
	// in one rendering, all calls together.
	maxTemplateWork = 1 << 20
	// maxTemplateDepth is the deepest a template may nest actions.
	maxTemplateDepth = 100
)

// renderTimeout is TemplateTimeout; tests shorten it.
var renderTimeout = TemplateTimeout

// ErrTemplateLimit is wrapped by the errors of a template that goes past
// one of the limits above. Its messages never hold a value the template
// was rendered with.
var ErrTemplateLimit = errors.New("template limit")

// TemplateData is what a file sink's template is rendered from: the
// template refers to {{.AccessKeyID}}, {{.SecretAccessKey}}, {{.Secret}}
// and {{.Version}}. There is no time: rendering the same credential twice
// gives the same bytes. Four scalar fields and nothing to range over.
type TemplateData struct {
	// AccessKeyID is the new access key id.
	AccessKeyID string
	// SecretAccessKey is the new secret access key itself.
	SecretAccessKey string
	// Secret is the rotated secret's name, such as /team-a/ci/deployer.
	Secret string
	// Version is the version's number.
	Version int
}

// SampleTemplateData is what validation renders a template with: values
// of the length and alphabet of a real key, and no secret.
func SampleTemplateData() TemplateData {
	return TemplateData{
		AccessKeyID:     "AKIAXXXXXXXXXXXXXXXX",
		SecretAccessKey: "xXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxX",
		Secret:          "/example/secret",
		Version:         1,
	}
}

// ParseTemplate parses the template of a file sink with format: template
// exactly as Parse and Load check it: a text/template named "template"
// whose missing map keys are errors, with the bounded functions of budget
// in place of printf, print, println, html, js and urlquery, and which
// checkTree accepts. Execute it with RenderTemplate: its own functions
// refuse to work otherwise.
func ParseTemplate(text string) (*template.Template, error) {
	t, err := template.New("template").Option("missingkey=error").Funcs(new(budget).funcs()).Parse(text)
	if err != nil {
		return nil, err
	}
	if err := checkTree(t); err != nil {
		return nil, err
	}
	return t, nil
}

// RenderTemplate renders t, which ParseTemplate returned, with data and
// returns what it wrote: at most MaxTemplateOutput bytes, within
// TemplateTimeout. t is checked again first, so that no template runs
// unchecked. Each call has its own budget: t may be rendered by many
// goroutines at once.
//
// An execution error of text/template is returned as it is (a
// template.ExecError, whose message may show a value of data); an error
// for a limit wraps ErrTemplateLimit and shows no value.
func RenderTemplate(t *template.Template, data any) ([]byte, error) {
	if err := checkTree(t); err != nil {
		return nil, err
	}
	c, err := t.Clone()
	if err != nil {
		return nil, err
	}
	c.Funcs((&budget{left: maxTemplateWork}).funcs())
	out := &cappedBuffer{limit: MaxTemplateOutput}
	done := make(chan error, 1)
	go func() { done <- c.Execute(out, data) }()
	timer := time.NewTimer(renderTimeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
		return out.b, nil
	case <-timer.C:
		// The checks above make sure that the rendering ends; it is
		// left to do so, writing to a buffer no one reads.
		return nil, fmt.Errorf("%w: it did not finish within %s", ErrTemplateLimit, renderTimeout)
	}
}

// cappedBuffer is an io.Writer that keeps what is written to it, and fails
// once it would hold more than limit bytes.
type cappedBuffer struct {
	b     []byte
	limit int
}

func (w *cappedBuffer) Write(p []byte) (int, error) {
	if len(w.b)+len(p) > w.limit {
		return 0, fmt.Errorf("%w: it writes more than %s", ErrTemplateLimit, size(w.limit))
	}
	w.b = append(w.b, p...)
	return len(p), nil
}

// size formats n bytes for a message: "64 KiB".
func size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkTemplateText parses text and renders it with the sample data, as a
// file sink does when it is made, and says what is wrong, for a message
// that names the template: "is not a valid Go template: line 2: …",
// "goes past a limit of templates: line 1, col 8: range is not allowed…"
// or "does not render: line 3, col 5: …". It never shows a value.
func checkTemplateText(text string) string {
	t, err := ParseTemplate(text)
	var te *treeError
	switch {
	case errors.As(err, &te):
		return "goes past a limit of templates: " + te.Error()
	case err != nil:
		return "is not a valid Go template: " + templateErr(err)
	}
	if _, err := RenderTemplate(t, SampleTemplateData()); err != nil {
		return "does not render: " + templateErr(err)
	}
	return ""
}

// templateErr formats a template's error for a message: its line (and
// column) in the template and what is wrong, cut short, and without the
// detail when some word of it looks like a secret key.
func templateErr(err error) string {
	var te *treeError
	if errors.As(err, &te) {
		return te.Error()
	}
	msg := err.Error()
	if i := strings.Index(msg, ErrTemplateLimit.Error()+": "); i >= 0 && errors.Is(err, ErrTemplateLimit) {
		// A limit: what text/template says before it is the position
		// and the action, which the position is enough to find.
		pos := templatePos(msg)
		return strings.TrimPrefix(pos+": ", ": ") + msg[i+len(ErrTemplateLimit.Error()+": "):]
	}
	pos := templatePos(msg)
	if pos != "" {
		_, msg, _ = strings.Cut(strings.TrimPrefix(msg, "template: template:"), ": ")
	}
	if safeErr(err) == "" {
		msg = "(the rest of the message is left out: a word of it looks like a key)"
	}
	if r := []rune(msg); len(r) > 160 {
		msg = string(r[:157]) + "..."
	}
	return strings.TrimPrefix(pos+": ", ": ") + msg
}

// templatePos returns "line L" or "line L, col C" from a message of
// text/template ("template: template:L:C: …"), or "".
func templatePos(msg string) string {
	rest, ok := strings.CutPrefix(msg, "template: template:")
	if !ok {
		return ""
	}
	pos, _, ok := strings.Cut(rest, ": ")
	if !ok {
		return ""
	}
	line, col, hasCol := strings.Cut(pos, ":")
	switch {
	case !allDigits(line):
		return ""
	case !hasCol:
		return "line " + line
	case allDigits(col):
		return "line " + line + ", col " + col
	}
	return ""
}

func allDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
