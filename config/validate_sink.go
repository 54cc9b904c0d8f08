package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// plannedSinks are sink types that DESIGN.md describes and this version
// does not implement yet.
var plannedSinks = []string{"secretsmanager", "ssm", "webhook", "command"}

// sink checks one sink of a secret.
func (k *checker) sink(s *Sink, path string) {
	switch {
	case s.Type == "":
		k.errorf(path+".type", "required; say which kind of sink this is (supported: file)")
		return
	case slices.Contains(plannedSinks, s.Type):
		k.errorf(path+".type", "%s is not supported yet (supported: file)", quote(s.Type))
		return
	case s.Type != SinkFile:
		k.errorf(path+".type", "%s is not a sink type (supported: file)", quote(s.Type))
		return
	}
	switch {
	case s.Path == "":
		k.errorf(path+".path", "required; name the file to write the credentials to")
	default:
		k.path(path+".path", s.Path)
	}
	if k.enum(path+".format", s.Format, FormatAWSCredentials, FormatEnv, FormatJSON) {
		switch {
		case s.Format != FormatAWSCredentials && s.Profile != "":
			k.errorf(path+".profile", "only applies with format: aws-credentials; remove it")
		case s.Format == FormatAWSCredentials && !profileRe.MatchString(s.Profile):
			k.errorf(path+".profile", "%s may only hold letters, digits and ._-", quote(s.Profile))
		}
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

// written is a file some sink writes, for the check that no two sinks
// write the same thing.
type written struct {
	path, format, profile string
	at                    string // the sink's field path
}

// sinkPaths checks that no two sinks write the same file, except different
// profiles of one credentials file, and that no sink overwrites a file
// rotatord reads.
func (k *checker) sinkPaths() {
	reserved := k.readFiles()
	seen := map[string][]written{}
	for i := range k.c.Secrets {
		for j, s := range k.c.Secrets[i].Sinks {
			if s.Type != SinkFile || s.Path == "" || k.failed(fmt.Sprintf("secrets[%d].sinks[%d].path", i, j)) {
				continue
			}
			at := fmt.Sprintf("secrets[%d].sinks[%d]", i, j)
			p := filepath.Clean(s.Path)
			if what, ok := reserved[p]; ok {
				k.errorf(at+".path", "is %s; a sink must not overwrite it", what)
				continue
			}
			w := written{path: p, format: s.Format, profile: s.Profile, at: at}
			k.sameFile(w, seen[p])
			seen[p] = append(seen[p], w)
		}
	}
}

// sameFile reports w when an earlier sink writes the same file in another
// format, or the same profile of it.
func (k *checker) sameFile(w written, earlier []written) {
	for _, e := range earlier {
		switch {
		case e.format != w.format:
			k.errorf(w.at+".path", "%s also writes this file, as %s; one file holds one format", k.fieldLine(e.at), e.format)
		case w.format == FormatAWSCredentials && e.profile != w.profile:
			continue
		case w.format == FormatAWSCredentials:
			k.errorf(w.at+".profile", "%s already writes profile %s of %s; use another profile or another file", k.fieldLine(e.at), quote(w.profile), shownPath(w.path))
		default:
			k.errorf(w.at+".path", "%s already writes this file; give each sink its own file", k.fieldLine(e.at))
		}
		return
	}
}

// readFiles lists the files rotatord itself reads or owns, by what they
// are.
func (k *checker) readFiles() map[string]string {
	r := map[string]string{}
	add := func(p, what string) {
		if p != "" {
			r[filepath.Clean(p)] = what
		}
	}
	add(k.c.State.Path, "the state store (state.path)")
	add(k.c.State.ProtectionKeyFile, "the protection key file")
	add(k.c.ControlSocket, "the control socket")
	add(k.c.File, "the configuration file")
	for i, t := range k.c.Targets {
		add(t.SecretAccessKeyFile, fmt.Sprintf("the secret access key file of targets[%d]", i))
	}
	for i, s := range k.c.Secrets {
		add(s.SecretAccessKeyFile, fmt.Sprintf("the secret access key file of secrets[%d]", i))
	}
	return r
}
