package file

import (
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

// TemplateData is what a format: template file is rendered from: the
// template refers to {{.AccessKeyID}}, {{.SecretAccessKey}}, {{.Secret}}
// and {{.Version}}. There is no time: rendering the same credential twice
// gives the same bytes, so a repeated Put changes nothing and Holds can
// tell whether the file is up to date. A template is bounded (see
// config.ParseTemplate and config.RenderTemplate): no range, no
// recursion, at most config.MaxTemplateSteps steps, printf widths up to
// config.MaxTemplateWidth, config.MaxTemplateOutput bytes of output, and
// config.TemplateTimeout to render.
type TemplateData = config.TemplateData

// parseTemplate parses text with config.ParseTemplate, as validation
// does, and renders it once with config.SampleTemplateData, so that a
// template that can never render (a field that TemplateData lacks, a
// limit it goes past) fails when the sink is made, not when it delivers.
// Its errors come from the template text and the sample, so they never
// contain a real secret; they name file, the template file, when there
// is one.
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
	if _, err := config.RenderTemplate(t, config.SampleTemplateData()); err != nil {
		return nil, fmt.Errorf("%s does not render: %s", what, strings.TrimPrefix(err.Error(), "template: "))
	}
	return t, nil
}

// renderTemplate renders t with c, within the limits of
// config.RenderTemplate. The output is not escaped: the template quotes
// what its format needs (checkValue has made sure that the values hold
// only A-Z a-z 0-9 + / = - _ .). An error names the position in the
// template that failed and, for a limit, which: never more, as
// text/template's message might show a value.
func renderTemplate(t *template.Template, c sink.Credential) ([]byte, error) {
	b, err := config.RenderTemplate(t, TemplateData{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey.Reveal(),
		Secret:          c.Secret,
		Version:         c.Version,
	})
	if err != nil {
		why := "cannot render this credential"
		if errors.Is(err, config.ErrTemplateLimit) {
			why += ": " + limitOf(err)
		}
		return nil, fmt.Errorf("template%s: %s", templatePosition(err, t.Name()), why)
	}
	return b, nil
}

// limitOf returns what config says of the limit that err went past, from
// the last "template limit: " in its message on: config's own words,
// which hold no value.
func limitOf(err error) string {
	msg := err.Error()
	const mark = "template limit: "
	i := strings.LastIndex(msg, mark)
	if i < 0 {
		return "it goes past a limit of templates"
	}
	return msg[i+len(mark):]
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
