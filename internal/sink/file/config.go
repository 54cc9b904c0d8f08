package file

import (
	"path/filepath"
	"strings"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

// Type is the sink type of a file sink: type: file.
const Type = "file"

// The formats of a file sink.
const (
	FormatAWSCredentials = "aws-credentials"
	FormatEnv            = "env"
	FormatJSON           = "json"
	FormatTemplate       = "template"
)

// Defaults of a file sink.
const (
	DefaultProfile = "default"
	DefaultMode    = 0o600
)

var (
	_ config.SinkSpec     = (*Config)(nil)
	_ config.SinkResolver = (*Config)(nil)
	_ config.SinkFiler    = (*Config)(nil)
	_ config.LocalSink    = (*Config)(nil)
	_ sink.Spec           = (*Config)(nil)
)

// Config is a file sink's configuration. Path may not be one of rotatord's
// own files (the configuration, the state file and its .lock, the
// protection key, the control socket, any file a *_file field names),
// compared as cleaned absolute paths; Profile applies to format:
// aws-credentials; Template or TemplateFile to format: template (a Go
// text/template; Load reads TemplateFile into Template).
type Config struct {
	Path         string          `yaml:"path"`
	Format       string          `yaml:"format"`
	Profile      string          `yaml:"profile"`
	Mode         config.FileMode `yaml:"mode"`
	Owner        string          `yaml:"owner"`
	Template     string          `yaml:"template"`
	TemplateFile string          `yaml:"template_file"`
}

// NewConfig returns an empty Config, for config.RegisterSink.
func NewConfig() config.SinkSpec { return new(Config) }

// SinkDefaults implements config.SinkSpec: format aws-credentials, its
// profile default, mode 0600.
func (c *Config) SinkDefaults(d *config.SinkChecker) {
	if c.Format == "" && !d.Given("format") { // format: "" is checked as given
		c.Format = FormatAWSCredentials
	}
	if c.Format == FormatAWSCredentials && c.Profile == "" && !d.Given("profile") {
		c.Profile = DefaultProfile
	}
	if !d.Given("mode") {
		c.Mode = DefaultMode
	}
}

// SinkFiles implements config.SinkFiler.
func (c *Config) SinkFiles() []config.NamedFile {
	return []config.NamedFile{
		{Field: "path", Path: &c.Path},
		{Field: "template_file", Path: &c.TemplateFile, Reads: "a template file"},
	}
}

// WrittenFile implements config.LocalSink: the file, in its format, and
// the profile of an aws-credentials file.
func (c *Config) WrittenFile() config.WrittenFile {
	w := config.WrittenFile{Path: c.Path, Format: c.Format}
	if c.Format == FormatAWSCredentials {
		w.Profile = c.Profile
	}
	return w
}

// ResolveSink implements config.SinkResolver: it reads template_file into
// Template and checks it as an inline template is checked. The template
// holds placeholders, not secrets: it is not kept private.
func (c *Config) ResolveSink(r *config.SinkRefs) {
	const field = "template_file"
	if c.Format != FormatTemplate || c.TemplateFile == "" || r.Failed(field) {
		return
	}
	text, ok := r.Read(field, c.TemplateFile, "template", "create it with the template, or fix the path", false)
	if !ok {
		return
	}
	if msg := config.CheckTemplate(text); msg != "" {
		r.Errorf(field, "%s %s", config.ShownPath(c.TemplateFile), msg)
		return
	}
	c.Template = text
}

// SinkID implements sink.Spec: "file:" + path + "#" + profile for format
// aws-credentials, such as "file:/run/rotatord/deployer.ini#deployer"
// (defaults applied), "file:" + path for the other formats. The path is
// cleaned, and '%' and '#' in it escaped as %25 and %23.
func (c *Config) SinkID() string {
	path := c.Path
	if path != "" {
		path = filepath.Clean(path)
	}
	path = fileEscaper.Replace(path)
	format := c.Format
	if format == "" {
		format = FormatAWSCredentials
	}
	if format != FormatAWSCredentials {
		return "file:" + path
	}
	profile := c.Profile
	if profile == "" {
		profile = DefaultProfile
	}
	return "file:" + path + "#" + profile
}

var fileEscaper = strings.NewReplacer("%", "%25", "#", "%23")

// Build implements sink.Spec: New, refusing rotatord's own files.
func (c *Config) Build(d sink.Deps) (sink.Sink, error) {
	return New(*c, WithReserved(d.Reserved))
}
