package config

import (
	"strings"
)

// sink checks one sink of a secret by its type. The decoder has already
// rejected fields that do not apply to the type.
func (k *checker) sink(s *Sink, path string) {
	switch s.Type {
	case "":
		k.errorf(path+".type", "required; say which kind of sink this is (supported: %s)", strings.Join(sinkTypes, ", "))
	case SinkFile:
		k.fileSink(s, path)
	case SinkSecretsManager:
		k.secretsManagerSink(s, path)
	case SinkSSM:
		k.ssmSink(s, path)
	case SinkWebhook:
		k.webhookSink(s, path)
	case SinkCommand:
		k.commandSink(s, path)
	default:
		if c := closest(s.Type, sinkTypes); c != "" {
			k.errorf(path+".type", "%s is not a sink type (did you mean %s?)", quote(s.Type), c)
		} else {
			k.errorf(path+".type", "%s is not a sink type (supported: %s)", quote(s.Type), strings.Join(sinkTypes, ", "))
		}
	}
}

// fileSink checks a sink of type file.
func (k *checker) fileSink(s *Sink, path string) {
	switch {
	case s.Path == "":
		k.errorf(path+".path", "required; name the file to write the credentials to")
	default:
		k.path(path+".path", s.Path)
	}
	if k.enum(path+".format", s.Format, FormatAWSCredentials, FormatEnv, FormatJSON, FormatTemplate) {
		switch {
		case s.Format != FormatAWSCredentials && s.Profile != "":
			k.errorf(path+".profile", "only applies with format: aws-credentials; remove it")
		case s.Format == FormatAWSCredentials && !profileRe.MatchString(s.Profile):
			k.errorf(path+".profile", "%s may only hold letters, digits and ._-", quote(s.Profile))
		}
		k.template(s, path)
	}
	switch m := uint32(s.Mode); {
	case m > 0o777:
		k.errorf(path+".mode", "0%o is out of range; a file mode is at most 0777, such as 0600", m)
	case m&0o044 != 0:
		k.warnf(path+".mode", "%04o lets %s read the secret access key; use 0600 unless that is intended", m, readers(m))
	}
	if s.Owner != "" && !validOwner(s.Owner) {
		k.errorf(path+".owner", "%s is not user, user:group or uid:gid", quote(s.Owner))
	}
}

// template checks template and template_file against format. An inline
// template must pass checkTemplateText: parse, stay within the limits of
// a template, and render the sample data; Load reads and checks
// template_file.
func (k *checker) template(s *Sink, path string) {
	inline := s.Template != "" || k.given(path+".template") || k.failed(path+".template")
	file := s.TemplateFile != "" || k.failed(path+".template_file")
	if s.Format != FormatTemplate {
		for _, f := range []struct {
			name string
			on   bool
		}{{"template", inline}, {"template_file", file}} {
			if f.on {
				k.errorf(path+"."+f.name, "only applies with format: template; set format: template, or remove %s", f.name)
			}
		}
		return
	}
	switch {
	case inline && file:
		k.errorf(path+".template_file", "set either template or template_file, not both")
	case !inline && !file:
		k.errorf(path+".format", "template needs the template itself: set template_file to the file that holds it, or write it in template")
	case file:
		k.path(path+".template_file", s.TemplateFile)
	case s.Template == "" && !k.failed(path+".template"):
		k.errorf(path+".template", "is empty; write the template, such as \"AWS_ACCESS_KEY_ID={{.AccessKeyID}}\"")
	case s.Template != "":
		if msg := checkTemplateText(s.Template); msg != "" {
			k.errorf(path+".template", "%s", msg)
		}
	}
}

// readers names who besides the owner may read a file of mode m.
func readers(m uint32) string {
	switch {
	case m&0o044 == 0o044:
		return "group and others"
	case m&0o040 != 0:
		return "its group"
	}
	return "others"
}

func validOwner(o string) bool {
	user, group, hasGroup := strings.Cut(o, ":")
	return ownerPartRe.MatchString(user) && (!hasGroup || ownerPartRe.MatchString(group))
}
