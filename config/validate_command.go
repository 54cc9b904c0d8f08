package config

import (
	"path/filepath"
	"strings"
	"time"
)

// commandSink checks a sink of type command: an argv whose program is an
// absolute path (the daemon runs it without a shell and without PATH).
func (k *checker) commandSink(s *Sink, path string) {
	p := path + ".command"
	if len(s.Command) == 0 {
		if !k.failed(p) {
			k.errorf(p, "required; give the program and its arguments as a list, such as [/usr/bin/systemctl, reload, app]")
		}
	} else {
		for i, a := range s.Command {
			if ip := indexPath(p, i); a == "" && !k.failed(ip) {
				k.errorf(ip, "is empty; remove it, or write the argument")
			}
		}
		k.program(p+"[0]", s.Command[0])
	}
	k.durationRange(path+".timeout", s.Timeout, time.Second, time.Hour, "1s..1h")
}

// program checks a command's program: an absolute path, written apart
// from its arguments.
func (k *checker) program(path, prog string) {
	if prog == "" || !k.path(path, prog) {
		return
	}
	if filepath.IsAbs(prog) {
		if strings.ContainsAny(prog, " \t") && !looksSecret(prog) {
			k.warnf(path, "%s holds spaces; if they separate arguments, write the program and each argument as its own entry, such as [/usr/bin/systemctl, reload, app]", quote(prog))
		}
		return
	}
	switch {
	case looksSecret(prog):
		k.errorf(path, "is not an absolute path; write the full path of the program, e.g. /usr/bin/systemctl")
	case strings.ContainsAny(prog, " \t"):
		k.errorf(path, "%s holds spaces; write the program and each argument as its own entry, such as [/usr/bin/systemctl, reload, app]", quote(prog))
	case strings.Contains(prog, "/"):
		ex := filepath.Join(filepath.Dir(k.c.File), prog)
		if !filepath.IsAbs(ex) {
			ex = "/usr/local/bin/" + filepath.Base(prog)
		}
		k.errorf(path, "%s is not an absolute path; write the full path, e.g. %s", quote(prog), ex)
	default:
		k.errorf(path, "%s is not an absolute path; write the full path, e.g. /usr/bin/%s (`command -v %s` prints it)", quote(prog), prog, prog)
	}
}
