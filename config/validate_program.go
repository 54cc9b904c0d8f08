package config

import (
	"path/filepath"
	"strings"
)

// program checks a program that a sink runs (SinkChecker.Program): an
// absolute path, written apart from its arguments.
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
