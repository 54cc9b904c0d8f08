package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// maxSecretFile is the largest secret file Load reads: a secret access key
// is 40 characters, a protection key 44.
const maxSecretFile = 64 << 10

// resolver reads the secrets the configuration refers to.
type resolver struct {
	*collector
	c      *Config
	lookup func(string) (string, bool)
}

// resolve fills in every secret reference whose field has no error yet.
func (r *resolver) resolve() {
	r.protectionKey()
	for i := range r.c.Targets {
		t := &r.c.Targets[i]
		r.secret(indexPath("targets", i), &t.SecretAccessKey, t.SecretAccessKeyFile, t.SecretAccessKeyEnv)
	}
	for i := range r.c.Secrets {
		s := &r.c.Secrets[i]
		r.secret(indexPath("secrets", i), &s.SecretAccessKey, s.SecretAccessKeyFile, s.SecretAccessKeyEnv)
	}
}

// secret resolves one secret access key from its file or variable.
func (r *resolver) secret(path string, dst *Secret, file, env string) {
	if p := path + ".secret_access_key_file"; file != "" && !r.failed(p) {
		if v, ok := r.readFile(p, file, "write the secret access key into it, or fix the path"); ok {
			*dst = Secret(r.single(p, v, "the file"))
		}
	}
	if p := path + ".secret_access_key_env"; env != "" && !r.failed(p) {
		if v, ok := r.env(p, env); ok {
			*dst = Secret(r.single(p, v, "environment variable "+env))
		}
	}
}

// single checks that a secret access key is one line and returns it.
func (r *resolver) single(path, v, where string) string {
	if strings.ContainsAny(v, "\r\n") {
		r.errorf(path, "%s holds more than one line; it must hold only the secret access key", where)
	}
	return v
}

// protectionKey resolves state.protection_key_file or _env into
// State.ProtectionKey.
func (r *resolver) protectionKey() {
	st := &r.c.State
	var v, path, from, fix string
	var ok bool
	switch {
	case st.ProtectionKeyEnv != "":
		path = "state.protection_key_env"
		if r.failed(path) || r.failed("state.protection_key_file") {
			return
		}
		v, ok = r.env(path, st.ProtectionKeyEnv)
		from, fix = "environment variable "+st.ProtectionKeyEnv, "`rotatord keygen` or `openssl rand -base64 32`"
	case st.ProtectionKeyFile != "":
		path = "state.protection_key_file"
		if r.failed(path) {
			return
		}
		fix = "`rotatord keygen -o " + st.ProtectionKeyFile + "`"
		hint := "create one with " + fix
		if !r.given(path) {
			hint += ", or set state.protection_key_file"
		}
		v, ok = r.readFile(path, st.ProtectionKeyFile, hint)
		from = st.ProtectionKeyFile
	}
	if !ok {
		return
	}
	key, err := base64.StdEncoding.DecodeString(v)
	switch {
	case err != nil:
		r.errorf(path, "%s is not base64 (%v); make a key with %s", from, err, fix)
	case len(key) != 32:
		r.errorf(path, "%s holds %d bytes after base64 decoding, want 32; make a key with %s", from, len(key), fix)
	default:
		st.ProtectionKey = Secret(key)
	}
}

// env looks up a variable, reporting it when unset or empty.
func (r *resolver) env(path, name string) (string, bool) {
	v, ok := r.lookup(name)
	switch {
	case !ok:
		r.errorf(path, "environment variable %s is not set; set it in rotatord's environment (systemd: Environment= or EnvironmentFile=)", name)
	case strings.TrimSpace(v) == "":
		r.errorf(path, "environment variable %s is empty", name)
	default:
		return strings.TrimRight(v, " \t\r\n"), true
	}
	return "", false
}

// readFile reads a file that holds one secret, trimmed of trailing white
// space, and warns when group or others can read it. hint says what to do
// when the file cannot be opened.
func (r *resolver) readFile(path, file, hint string) (string, bool) {
	f, err := os.Open(file)
	if err != nil {
		if looksSecret(file) {
			hint = "put the key in a file and name that file here"
		}
		r.errorf(path, "%s; %s", pathErr(err, file), hint)
		return "", false
	}
	defer f.Close()
	info, err := f.Stat()
	if err == nil && info.IsDir() {
		r.errorf(path, "%s is a directory; name the file that holds the key", shownPath(file))
		return "", false
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	switch {
	case err != nil:
		r.errorf(path, "%s", pathErr(err, file))
	case len(data) > maxSecretFile:
		r.errorf(path, "%s is larger than 64 KiB; it must hold only the key", shownPath(file))
	case strings.TrimSpace(string(data)) == "":
		r.errorf(path, "%s is empty; write the key into it", shownPath(file))
	default:
		if m := info.Mode().Perm(); m&0o044 != 0 {
			r.warnf(path, "%s is readable by %s (mode %04o); chmod 600 %s", shownPath(file), readers(uint32(m)), uint32(m), shownPath(file))
		}
		return strings.TrimRight(string(data), " \t\r\n"), true
	}
	return "", false
}

// shownPath is file, unless it looks like a secret pasted where a path
// belongs.
func shownPath(file string) string {
	if looksSecret(file) {
		return "(a path that ends in what looks like a secret key)"
	}
	return file
}

// pathErr formats an error about file without ever showing a path that
// looks like a secret.
func pathErr(err error, file string) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s %s: %v", pe.Op, shownPath(file), pe.Err)
	}
	return strings.ReplaceAll(err.Error(), file, shownPath(file))
}
