package config

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/rotatord/rotatord/internal/safefile"
)

// keyFiles checks every secret's secret_access_key_file without reading it
// (see KeyFile), and sets the secret's KeyFile. Each directory is walked
// once for all the files in it, and each file costs one or two system
// calls (see safefile.Checker), on every CPU: 100,000 secrets with a key
// file each take about a fifth longer to load than without. A problem many files share (a directory that
// others can write, key files that others can read) is reported at the
// first secret, with how many more share it.
func (r *resolver) keyFiles() {
	failed := map[int]bool{} // secrets whose key file field has an error already
	for key := range r.seen {
		if i, ok := secretItem(key); ok && key == joinPath(indexPath("secrets", i), "secret_access_key_file") {
			failed[i] = true
		}
	}
	cwd, _ := os.Getwd() // once: filepath.Abs would ask for each relative path
	workers := make([]*safefile.Checker, min(runtime.GOMAXPROCS(0), 8))
	for w := range workers {
		workers[w] = safefile.NewChecker(keyFileOptions)
		defer workers[w].Close()
	}
	var files []KeyFile // one allocation for every secret's KeyFile
	g := repeats{}
	// A block at a time: the checks of 100,000 secrets at once would add
	// 10 MB to the peak of Load, which this step is at.
	checks := make([]keyCheck, min(len(r.c.Secrets), keyBlock))
	for lo := 0; lo < len(r.c.Secrets); lo += keyBlock {
		block := checks[:min(keyBlock, len(r.c.Secrets)-lo)]
		for j := range block {
			file, c := r.c.Secrets[lo+j].SecretAccessKeyFile, &block[j]
			*c = keyCheck{abs: file}
			if file != "" && !filepath.IsAbs(file) && cwd != "" {
				c.abs = filepath.Join(cwd, file)
			}
		}
		checkKeyFiles(workers, block)
		for j := range block {
			i, c, s := lo+j, &block[j], &r.c.Secrets[lo+j]
			if c.abs == "" || failed[i] { // failed: such as a path with a newline in it, checked in vain
				continue
			}
			file, dir := s.SecretAccessKeyFile, filepath.Dir(c.abs)
			path := func() string { return joinPath(indexPath("secrets", i), "secret_access_key_file") }
			if c.err != nil {
				msg := fileProblem(file, "key", "write the secret access key into it, or fix the path", maxSecretFile, c.err)
				cause := strings.ReplaceAll(strings.ReplaceAll(msg, c.abs, ""), file, "")
				g.report(r, false, path(), dir+"\x00"+cause, filepath.Dir(file), msg)
				continue
			}
			if m := uint32(c.info.Mode.Perm()); m&0o044 != 0 {
				msg := fmt.Sprintf("%s is readable by %s (mode %04o); chmod 600 %s", shownPath(file), readers(m), m, shownPath(file))
				g.report(r, true, path(), dir+"\x00"+strconv.Itoa(int(m)), filepath.Dir(file), msg)
			}
			if files == nil {
				files = make([]KeyFile, len(r.c.Secrets)-i)
			}
			f := &files[len(files)-(len(r.c.Secrets)-i)]
			*f = KeyFile{path: c.abs, id: c.info.ID}
			s.KeyFile = f
		}
	}
	g.finish()
}

// keyBlock is how many secrets' key files keyFiles checks at a time.
const keyBlock = 4096

// keyCheck is one secret's key file to check (abs, "" for none), and what
// the check found.
type keyCheck struct {
	abs  string
	info safefile.Info
	err  error
}

// checkKeyFiles checks the files of checks, a contiguous share of them on
// each worker, a Checker each.
func checkKeyFiles(workers []*safefile.Checker, checks []keyCheck) {
	var wg sync.WaitGroup
	for w, ck := range workers {
		part := checks[w*len(checks)/len(workers) : (w+1)*len(checks)/len(workers)]
		wg.Go(func() {
			for i := range part {
				c := &part[i]
				if c.abs == "" {
					continue
				}
				if c.info, c.err = ck.Check(c.abs); c.err == nil {
					c.err = sizeProblem(c.info)
				}
			}
		})
	}
	wg.Wait()
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
// dir is the directory to name, as the file names it.
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
