package config

import (
	"path/filepath"
	"strconv"
	"strings"
)

// written is a file some sink writes, for the check that no two sinks
// write the same thing.
type written struct {
	path, format, profile string
	secret, sink          int // secrets[secret].sinks[sink]
}

func (w written) at() string { return sinkAt(w.secret, w.sink) }

// sinkPaths checks that no two sinks write the same file, except different
// profiles of one credentials file, and that no sink overwrites a file
// rotatord reads.
func (k *checker) sinkPaths() {
	reserved := k.reservedFiles()
	seen := make(map[string][]written, len(k.c.Secrets))
	for i := range k.c.Secrets {
		for j, s := range k.c.Secrets[i].Sinks {
			if s.Type != SinkFile || s.Path == "" {
				continue
			}
			w := written{format: s.Format, profile: s.Profile, secret: i, sink: j}
			if len(k.seen) > 0 && k.failed(w.at()+".path") {
				continue
			}
			if k.overwrites(reserved, w.at(), s.Path) {
				continue
			}
			w.path = filepath.Clean(s.Path)
			p := reserved.absolute(s.Path)
			k.sameFile(w, seen[p])
			seen[p] = append(seen[p], w)
		}
	}
}

// sinkAt is the path of secrets[i].sinks[j].
func sinkAt(i, j int) string {
	return "secrets[" + strconv.Itoa(i) + "].sinks[" + strconv.Itoa(j) + "]"
}

// sameFile reports w when an earlier sink writes the same file in another
// format, or the same profile of it.
func (k *checker) sameFile(w written, earlier []written) {
	for _, e := range earlier {
		switch {
		case e.format != w.format:
			k.errorf(w.at()+".path", "%s also writes this file, as %s; one file holds one format", k.fieldLine(e.at()), e.format)
		case w.format == FormatAWSCredentials && e.profile != w.profile:
			continue
		case w.format == FormatAWSCredentials:
			k.errorf(w.at()+".profile", "%s already writes profile %s of %s; use another profile or another file", k.fieldLine(e.at()), quote(w.profile), shownPath(w.path))
		default:
			k.errorf(w.at()+".path", "%s already writes this file; give each sink its own file", k.fieldLine(e.at()))
		}
		return
	}
}

// destination is where a sink other than a file delivers, for the check
// that no two sinks deliver to the same place.
type destination struct {
	key    string // what is delivered to, in a form that compares
	field  string // the field that names it
	what   string // such as `writes parameter "/x" of target prod`; never a secret
	global bool   // compared across all secrets, not only within one
}

// destinations lists where s delivers. Secrets Manager secrets and SSM
// parameters hold one value, so two secrets must not share one; a webhook
// or command may serve several secrets, but not twice the same one.
func destinations(s *Sink) []destination {
	var ds []destination
	switch s.Type {
	case SinkSecretsManager:
		if s.SecretID != "" {
			ds = append(ds, destination{"sm\x00" + s.Target + "\x00" + s.SecretID, "secret_id",
				"writes secret " + quote(s.SecretID) + " of target " + s.Target, true})
		}
	case SinkSSM:
		for _, f := range []struct{ name, v string }{{"name", s.Name}, {"id_parameter", s.IDParameter}, {"secret_parameter", s.SecretParameter}} {
			if f.v != "" {
				ds = append(ds, destination{"ssm\x00" + s.Target + "\x00" + f.v, f.name,
					"writes parameter " + quote(f.v) + " of target " + s.Target, true})
			}
		}
	case SinkWebhook:
		switch {
		case s.URL != "":
			ds = append(ds, destination{"url\x00" + s.URL.Reveal(), "url", "delivers to this url", false})
		case s.URLFile != "":
			ds = append(ds, destination{"url_file\x00" + filepath.Clean(s.URLFile), "url_file", "delivers to the url in this file", false})
		case s.URLEnv != "":
			ds = append(ds, destination{"url_env\x00" + s.URLEnv, "url_env", "delivers to the url in this variable", false})
		}
	case SinkCommand:
		if len(s.Command) > 0 {
			ds = append(ds, destination{"command\x00" + strings.Join(s.Command, "\x00"), "command", "runs this command", false})
		}
	}
	return ds
}

// destinations checks that no two sinks other than files deliver to the
// same place (sinkPaths checks files).
func (k *checker) destinations() {
	global := map[string]string{}
	for i := range k.c.Secrets {
		local := map[string]string{}
		for j := range k.c.Secrets[i].Sinks {
			s, at := &k.c.Secrets[i].Sinks[j], sinkAt(i, j)
			if k.failed(at) {
				continue
			}
			for _, d := range destinations(s) {
				seen := local
				if d.global {
					seen = global
				}
				first, dup := seen[d.key]
				switch {
				case k.failed(at + "." + d.field):
				case !dup:
					seen[d.key] = at
				case first != at:
					k.errorf(at+"."+d.field, "%s already %s; remove one of the two sinks", k.fieldLine(first), d.what)
				}
			}
		}
	}
}
