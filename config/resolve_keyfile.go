package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rotatord/rotatord/internal/safefile"
)

// keyFiles checks every secret's secret_access_key_file without reading it
// (see KeyFile), and sets the secret's KeyFile. Each directory is walked
// once for all the files in it, and each file costs two system calls, so
// that 100,000 secrets with a key file each validate in well under a
// second. A problem many files share (a directory that others can write,
// key files that others can read) is reported at the first secret, with
// how many more share it.
func (r *resolver) keyFiles() {
	ck := safefile.NewChecker(keyFileOptions)
	defer ck.Close()
	g := repeats{}
	for i := range r.c.Secrets {
		s := &r.c.Secrets[i]
		path := joinPath(indexPath("secrets", i), "secret_access_key_file")
		file := s.SecretAccessKeyFile
		if file == "" || r.failed(path) {
			continue
		}
		info, err := ck.Check(file)
		if err == nil {
			err = sizeProblem(info)
		}
		dir := safefile.DirOf(file)
		if err != nil {
			msg := fileProblem(file, "key", "write the secret access key into it, or fix the path", maxSecretFile, err)
			g.report(r, false, path, dir+"\x00"+strings.ReplaceAll(msg, file, ""), dir, msg)
			continue
		}
		if m := uint32(info.Mode.Perm()); m&0o044 != 0 {
			msg := fmt.Sprintf("%s is readable by %s (mode %04o); chmod 600 %s", shownPath(file), readers(m), m, shownPath(file))
			g.report(r, true, path, dir+"\x00"+strconv.Itoa(int(m)), dir, msg)
		}
		s.KeyFile = &KeyFile{path: file, id: info.ID}
	}
	g.finish()
}

// repeats reports a problem that many secrets share once, at the first
// secret that has it, and counts the others, keyed by cause.
type repeats map[string]*repeat

// repeat is the report of one cause and how many more secrets share it.
type repeat struct {
	e    *Error
	warn bool
	dir  string
	more int
}

// report reports msg at path, unless a secret before reported the same
// key (a cause): then it only counts it, and marks an error's path failed.
func (g repeats) report(r *resolver, warn bool, path, key, dir, msg string) {
	if rp, ok := g[key]; ok {
		rp.more++
		if !warn {
			r.seen[path] = true
		}
		return
	}
	rp := &repeat{warn: warn, dir: dir}
	if warn {
		r.warnf(path, "%s", msg)
		rp.e = r.warns[len(r.warns)-1]
	} else {
		r.errorf(path, "%s", msg)
		rp.e = r.errs[len(r.errs)-1]
	}
	g[key] = rp
}

// finish adds to each report how many more secrets share its cause.
func (g repeats) finish() {
	for _, rp := range g {
		more := thousands(rp.more) + " more secrets name key files"
		if rp.more == 1 {
			more = "1 more secret names a key file"
		}
		switch {
		case rp.more == 0:
		case rp.warn:
			rp.e.Msg += fmt.Sprintf(" (and %s in %s with the same mode: chmod 600 them too)", more, shownPath(rp.dir))
		default:
			rp.e.Msg += fmt.Sprintf(" (and %s in %s with the same problem)", more, shownPath(rp.dir))
		}
	}
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
