package config

import (
	"path/filepath"
	"strconv"
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
		for j := range k.c.Secrets[i].Sinks {
			l, ok := k.c.Secrets[i].Sinks[j].Spec.(LocalSink)
			if !ok {
				continue
			}
			f := l.WrittenFile()
			if f.Path == "" {
				continue
			}
			w := written{format: f.Format, profile: f.Profile, secret: i, sink: j}
			if len(k.seen) > 0 && k.failed(w.at()+".path") {
				continue
			}
			if k.overwrites(reserved, w.at(), f.Path) {
				continue
			}
			w.path = filepath.Clean(f.Path)
			p := reserved.absolute(f.Path)
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
// format, or the same profile of it (a file whose format has profiles:
// WrittenFile.Profile), or the same file without profiles.
func (k *checker) sameFile(w written, earlier []written) {
	for _, e := range earlier {
		switch {
		case e.format != w.format:
			k.errorf(w.at()+".path", "%s also writes this file, as %s; one file holds one format", k.fieldLine(e.at()), e.format)
		case w.profile != "" && e.profile != w.profile:
			continue
		case w.profile != "":
			k.errorf(w.at()+".profile", "%s already writes profile %s of %s; use another profile or another file", k.fieldLine(e.at()), quote(w.profile), shownPath(w.path))
		default:
			k.errorf(w.at()+".path", "%s already writes this file; give each sink its own file", k.fieldLine(e.at()))
		}
		return
	}
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
			ds, ok := s.Spec.(SinkDestinations)
			if !ok {
				continue
			}
			for _, d := range ds.Destinations() {
				d.Key = s.Type + "\x00" + d.Key
				seen := local
				if d.Global {
					seen = global
				}
				first, dup := seen[d.Key]
				switch {
				case k.failed(at + "." + d.Field):
				case !dup:
					seen[d.Key] = at
				case first != at:
					k.errorf(at+"."+d.Field, "%s already %s; remove one of the two sinks", k.fieldLine(first), d.What)
				}
			}
		}
	}
}
