package file

import (
	"regexp"
	"strings"

	"github.com/rotatord/rotatord/config"
)

var ownerPartRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*\$?$`)

// CheckSink implements config.SinkSpec.
func (c *Config) CheckSink(k *config.SinkChecker) {
	switch {
	case c.Path == "" && k.Given("path"):
		k.Errorf("path", "is empty; name the file to write the credentials to")
	case c.Path == "":
		k.Errorf("path", "required; name the file to write the credentials to")
	default:
		k.Path("path", c.Path)
	}
	if k.Enum("format", c.Format, FormatAWSCredentials, FormatEnv, FormatJSON, FormatTemplate) {
		switch {
		case c.Format != FormatAWSCredentials && c.Profile != "":
			k.Errorf("profile", "only applies with format: aws-credentials; remove it")
		case c.Format == FormatAWSCredentials && !profileName(c.Profile):
			k.Errorf("profile", "%s may only hold letters, digits and ._-", config.Quote(c.Profile))
		}
		c.checkTemplate(k)
	}
	switch m := uint32(c.Mode); {
	case m > 0o777:
		k.Errorf("mode", "0%o is out of range; a file mode is at most 0777, such as 0600", m)
	case m&0o044 != 0:
		k.Warnf("mode", "%04o lets %s read the secret access key; use 0600 unless that is intended", m, config.Readers(m))
	}
	if c.Owner != "" && !validOwner(c.Owner) {
		k.Errorf("owner", "%s is not user, user:group or uid:gid", config.Quote(c.Owner))
	}
}

// checkTemplate checks template and template_file against format. An
// inline template must pass config.CheckTemplate: parse, stay within the
// limits of a template, and render the sample data; Load reads and checks
// template_file.
func (c *Config) checkTemplate(k *config.SinkChecker) {
	inline := c.Template != "" || k.Given("template") || k.Failed("template")
	file := c.TemplateFile != "" || k.Failed("template_file")
	if c.Format != FormatTemplate {
		for _, f := range []struct {
			name string
			on   bool
		}{{"template", inline}, {"template_file", file}} {
			if f.on {
				k.Errorf(f.name, "only applies with format: template; set format: template, or remove %s", f.name)
			}
		}
		return
	}
	switch {
	case inline && file:
		k.Errorf("template_file", "set either template or template_file, not both")
	case !inline && !file:
		k.Errorf("format", "template needs the template itself: set template_file to the file that holds it, or write it in template")
	case file:
		k.Path("template_file", c.TemplateFile)
	case c.Template == "" && !k.Failed("template"):
		k.Errorf("template", "is empty; write the template, such as \"AWS_ACCESS_KEY_ID={{.AccessKeyID}}\"")
	case c.Template != "":
		if msg := config.CheckTemplate(c.Template); msg != "" {
			k.Errorf("template", "%s", msg)
		}
	}
}

// profileName reports whether s is a profile name: letters, digits and
// ._-, at least one.
func profileName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '.', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

func validOwner(o string) bool {
	user, group, hasGroup := strings.Cut(o, ":")
	return ownerPartRe.MatchString(user) && (!hasGroup || ownerPartRe.MatchString(group))
}

// ProfileName reports whether s may be a file sink's profile: letters,
// digits and ._-, at least one (`rotatord adopt` checks a {user} template
// with it before it writes one sink per user).
func ProfileName(s string) bool { return profileName(s) }
