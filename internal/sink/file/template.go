package file

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

// TemplateData is what a format: template file is rendered from: the
// template refers to {{.AccessKeyID}}, {{.SecretAccessKey}}, {{.Secret}}
// and {{.Version}}. There is no time: rendering the same credential twice
// gives the same bytes, so a repeated Put changes nothing and Holds can
// tell whether the file is up to date.
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

// sample is what parseTemplate renders a template with once, so that a
// template that can never render (a field that TemplateData lacks) fails
// when the sink is made, not when it delivers.
var sample = TemplateData{
	AccessKeyID:     "AKIAXXXXXXXXXXXXXXXX",
	SecretAccessKey: "xXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxXxX",
	Secret:          "/example/secret",
	Version:         1,
}

// parseTemplate parses text with config.ParseTemplate, as validation
// does, and renders it once with sample data. Its errors come from the
// template text and the sample, so they never contain a real secret; they
// name file, the template file, when there is one.
func parseTemplate(text, file string) (*template.Template, error) {
	what := "template"
	if file != "" {
		what += " " + file
	}
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("format template needs a template (template or template_file)")
	}
	t, err := config.ParseTemplate(text)
	if err != nil {
		return nil, fmt.Errorf("%s does not parse: %s", what, strings.TrimPrefix(err.Error(), "template: "))
	}
	if err := t.Execute(io.Discard, sample); err != nil {
		return nil, fmt.Errorf("%s does not render: %s", what, strings.TrimPrefix(err.Error(), "template: "))
	}
	return t, nil
}

// renderTemplate renders t with c. The output is not escaped: the template
// quotes what its format needs (checkValue has made sure that the values
// hold only A-Z a-z 0-9 + / = - _ .). An error names the position in the
// template that failed, never more: text/template's message might show a
// value.
func renderTemplate(t *template.Template, c sink.Credential) ([]byte, error) {
	var b bytes.Buffer
	err := t.Execute(&b, TemplateData{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey.Reveal(),
		Secret:          c.Secret,
		Version:         c.Version,
	})
	if err != nil {
		return nil, fmt.Errorf("template%s: cannot render this credential", templatePosition(err, t.Name()))
	}
	return b.Bytes(), nil
}

// templatePosition returns " line L, col C" from an execution error of
// text/template ("template: NAME:L:C: executing …"), or "".
func templatePosition(err error, name string) string {
	var ee template.ExecError
	if !errors.As(err, &ee) {
		return ""
	}
	msg, ok := strings.CutPrefix(ee.Error(), "template: "+name+":")
	if !ok {
		return ""
	}
	pos, _, _ := strings.Cut(msg, ": ")
	line, col, ok := strings.Cut(pos, ":")
	if !ok || line == "" || col == "" || strings.Trim(line+col, "0123456789") != "" {
		return ""
	}
	return " line " + line + ", col " + col
}
