package config

import (
	"os"
	"path/filepath"
	"strconv"
)

// reservedFile is a file rotatord itself reads or keeps, which no sink
// may write.
type reservedFile struct {
	path  string // as the configuration holds it (relative ones resolved against its directory)
	what  string // such as "the protection key file", "a secret access key file"
	field string // the field that names it, such as state.protection_key_file; "" for the configuration
}

// reserved holds rotatord's own files by their cleaned absolute path, so
// that /etc/rotatord/protection.key, protection.key (next to the
// configuration) and /etc/x/../rotatord/protection.key are one file. The
// run-time check compares device and inode as well; this one catches what
// can be seen in the file.
type reserved struct {
	cwd   string
	files map[string]reservedFile
}

// absolute returns p cleaned and made absolute against the working
// directory, as the kernel resolves it: the configuration's own relative
// paths are already relative to its directory, which may itself be
// relative.
func (r *reserved) absolute(p string) string {
	if !filepath.IsAbs(p) && r.cwd != "" {
		p = filepath.Join(r.cwd, p)
	}
	return filepath.Clean(p)
}

// add reserves the file p (if set) as what; field names where the
// configuration sets it (empty: the file itself).
func (r *reserved) add(k *checker, p, what, field string) {
	if p == "" || (field != "" && k.failed(field)) {
		return
	}
	key := r.absolute(p)
	if _, dup := r.files[key]; !dup {
		r.files[key] = reservedFile{path: filepath.Clean(p), what: what, field: field}
	}
}

// lookup returns the reserved file at p, if p is one.
func (r *reserved) lookup(p string) (reservedFile, bool) {
	f, ok := r.files[r.absolute(p)]
	return f, ok
}

// reservedFiles lists the files rotatord itself reads or keeps: the
// configuration, the state file and its lock, the protection key file,
// the control socket, and every file a *_file field names (secret access
// keys, webhook URLs, HMAC secrets, bearer tokens, CA certificates, client
// certificates and keys, templates).
func (k *checker) reservedFiles() *reserved {
	cwd, _ := os.Getwd() // "" leaves relative paths relative: still cleaned
	n := 8 + len(k.c.Targets)
	for i := range k.c.Secrets {
		if k.c.Secrets[i].SecretAccessKeyFile != "" {
			n++
		}
	}
	r := &reserved{cwd: cwd, files: make(map[string]reservedFile, n)} // no rehashing for 100,000 key files
	c := k.c
	r.add(k, c.File, "the configuration file", "")
	if c.State.Path != "" {
		r.add(k, c.State.Path, "the state store", "state.path")
		r.add(k, c.State.Path+".lock", "the state store's lock file", "state.path")
	}
	r.add(k, c.State.ProtectionKeyFile, "the protection key file", "state.protection_key_file")
	r.add(k, c.ControlSocket, "the control socket", "control_socket")
	for i, t := range c.Targets {
		at := indexPath("targets", i)
		r.add(k, t.SecretAccessKeyFile, "a secret access key file", at+".secret_access_key_file")
	}
	for i := range c.Secrets {
		s := &c.Secrets[i]
		if s.SecretAccessKeyFile != "" {
			at := indexPath("secrets", i)
			r.add(k, s.SecretAccessKeyFile, "a secret access key file", at+".secret_access_key_file")
		}
		for j := range s.Sinks {
			for _, f := range s.Sinks[j].Files() {
				if f.Reads != "" && *f.Path != "" {
					r.add(k, *f.Path, f.Reads, sinkAt(i, j)+"."+f.Field)
				}
			}
		}
	}
	for i, n := range c.Notify {
		at := indexPath("notify", i)
		r.add(k, n.URLFile, "a webhook URL file", at+".url_file")
		r.add(k, n.HMACSecretFile, "an HMAC secret file", at+".hmac_secret_file")
	}
	return r
}

// overwrites reports the sink at path (a secrets[i].sinks[j]) when its
// file p is one of rotatord's own, and says so.
func (k *checker) overwrites(r *reserved, path, p string) bool {
	f, ok := r.lookup(p)
	if !ok {
		return false
	}
	what := f.what
	if f.field != "" { // its line only now: finding it may mean decoding a secret again
		what += " (" + f.field + ", line " + strconv.Itoa(k.at(f.field).Line) + ")"
	}
	k.errorf(path+".path", "would overwrite %s, %s; a sink must never write a file rotatord itself reads or keeps: choose another path",
		shownPath(f.path), what)
	return true
}
