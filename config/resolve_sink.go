package config

import (
	"fmt"
	"reflect"
)

// maxTextFile is the largest template or certificate file Load reads.
const maxTextFile = 1 << 20

// sinks resolves the references of every sink whose kind has some
// (SinkResolver): a webhook's URL, HMAC secret, bearer token and TLS
// files, a file sink's template_file, a command's program.
func (r *resolver) sinks() {
	for i := range r.c.Secrets {
		for j := range r.c.Secrets[i].Sinks {
			if s, ok := r.c.Secrets[i].Sinks[j].Spec.(SinkResolver); ok {
				s.ResolveSink(&SinkRefs{r: r, path: fmt.Sprintf("secrets[%d].sinks[%d]", i, j)})
			}
		}
	}
}

// notify resolves the URL and HMAC secret of every notify webhook.
func (r *resolver) notify() {
	for i := range r.c.Notify {
		n, path := &r.c.Notify[i], indexPath("notify", i)
		r.url(path, &n.URL, n.URLFile, n.URLEnv)
		r.ref(path, hmacRef, &n.HMACSecret, n.HMACSecretFile, n.HMACSecretEnv)
	}
}

// url resolves a webhook URL from its file or variable and checks it as
// validation checks an inline one, never showing it.
func (r *resolver) url(path string, dst *SecretValue, file, env string) {
	if !r.ref(path, urlRef, dst, file, env) {
		return
	}
	p, where := path+".url_file", "the file"
	if file == "" {
		p, where = path+".url_env", "environment variable "+env
	}
	if problem := urlProblem(dst.Reveal()); problem != "" && !r.failed(p) {
		r.errorf(p, "the URL in %s %s", where, problem)
	}
}

// SinkRefs is what a sink kind's ResolveSink sees of Load: reading the
// secrets and files its fields refer to, reporting at their positions.
// Field paths are relative to the sink, as SinkChecker's are.
type SinkRefs struct {
	r    *resolver
	path string // secrets[i].sinks[j]
}

func (s *SinkRefs) at(field string) string { return s.path + "." + field }

// Errorf reports a problem with field.
func (s *SinkRefs) Errorf(field, format string, args ...any) {
	s.r.errorf(s.at(field), format, args...)
}

// Failed reports whether field already has an error: Load reads nothing
// that validation refused.
func (s *SinkRefs) Failed(field string) bool { return s.r.failed(s.at(field)) }

// URL resolves a webhook URL from url_file or url_env into dst, and checks
// it as SinkChecker.URL checks an inline one.
func (s *SinkRefs) URL(dst *SecretValue, file, env string) { s.r.url(s.path, dst, file, env) }

// Secret resolves the secret of field (such as "hmac_secret") from its
// _file or _env sibling into dst, and reports whether it did; what names
// it in messages ("the HMAC secret"), noun in short ("secret"). The file
// must be private to rotatord's user, or it is warned about.
func (s *SinkRefs) Secret(field, what, noun string, dst *SecretValue, file, env string) bool {
	return s.r.ref(s.path, secretKind{field, what, noun}, dst, file, env)
}

// Read reads a text file (a template, a certificate) of at most 1 MiB that
// field names, reporting at field why it cannot; noun names what it holds
// ("template") and hint what to do when the file cannot be opened. A
// private file is warned about when group or others can read it.
func (s *SinkRefs) Read(field, file, noun, hint string, private bool) (string, bool) {
	text, info, ok := s.r.read(s.at(field), file, noun, hint, maxTextFile)
	if ok && private {
		s.r.private(s.at(field), file, info)
	}
	return text, ok
}

// Program refuses a program (argv[0]) that someone other than root could
// change (safefile.CheckProgram), reporting at field.
func (s *SinkRefs) Program(field string, argv []string) { s.r.program(s.at(field), argv) }

// SafeErr formats err as ": err" for a message, or "" when some word of
// it looks like a secret key.
func SafeErr(err error) string { return safeErr(err) }

// namedSecret is a SecretValue field of a sink spec.
type namedSecret struct {
	name string
	s    SecretValue
}

// inlineSecrets lists the SecretValue fields of a sink spec, for the warning
// about secrets written inline in a file others can read.
func inlineSecrets(spec SinkSpec) []namedSecret {
	if spec == nil {
		return nil
	}
	v := reflect.ValueOf(spec).Elem()
	var out []namedSecret
	for _, f := range fieldsOf(v.Type()) {
		if fv := v.Field(f.index); fv.Type() == secretType {
			out = append(out, namedSecret{name: f.name, s: fv.Interface().(SecretValue)})
		}
	}
	return out
}

// unresolvedSpec returns a copy of spec with every value that Load read
// from a _file or _env sibling cleared (a SecretValue, a template), as the file
// gave it.
func unresolvedSpec(spec SinkSpec) SinkSpec {
	if spec == nil {
		return nil
	}
	old := reflect.ValueOf(spec)
	cp := reflect.New(old.Type().Elem())
	cp.Elem().Set(old.Elem())
	v := cp.Elem()
	for _, f := range fieldsOf(v.Type()) {
		if fv := v.Field(f.index); fv.Kind() == reflect.String && (sibling(v, f.name+"_file") != "" || sibling(v, f.name+"_env") != "") {
			fv.SetString("")
		}
	}
	return cp.Interface().(SinkSpec)
}
