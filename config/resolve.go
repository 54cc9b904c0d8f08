package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/rotatord/rotatord/internal/safefile"
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
		r.ref(indexPath("targets", i), accessKeyRef, &t.SecretAccessKey, t.SecretAccessKeyFile, t.SecretAccessKeyEnv)
	}
	r.keyFiles()
	for i := range r.c.Secrets {
		if s := &r.c.Secrets[i]; s.KeyFile == nil {
			r.ref(indexPath("secrets", i), accessKeyRef, &s.SecretAccessKey, "", s.SecretAccessKeyEnv)
		}
	}
	r.sinks()
	r.notify()
	r.controlSocket()
}

// secretKind names a kind of secret for the messages about its reference.
type secretKind struct {
	field string // the inline field; its references add _file and _env
	what  string // "the secret access key"
	noun  string // "key"
}

var (
	accessKeyRef = secretKind{"secret_access_key", "the secret access key", "key"}
	urlRef       = secretKind{"url", "the webhook URL", "URL"}
	hmacRef      = secretKind{"hmac_secret", "the HMAC secret", "secret"}
	bearerRef    = secretKind{"bearer_token", "the bearer token", "token"}
)

// ref resolves the secret of kind sk under path from its file or variable
// into dst, and reports whether it did.
func (r *resolver) ref(path string, sk secretKind, dst *SecretValue, file, env string) bool {
	if p := joinPath(path, sk.field+"_file"); file != "" && !r.failed(p) {
		if v, ok := r.readFile(p, file, sk.noun, "write "+sk.what+" into it, or fix the path"); ok {
			*dst = SecretValue(r.single(p, v, "the file", sk.what))
			return true
		}
	}
	if p := joinPath(path, sk.field+"_env"); env != "" && !r.failed(p) {
		if v, ok := r.env(p, env); ok {
			*dst = SecretValue(r.single(p, v, "environment variable "+env, sk.what))
			return true
		}
	}
	return false
}

// single checks that a secret is one line and returns it.
func (r *resolver) single(path, v, where, what string) string {
	if strings.ContainsAny(v, "\r\n") {
		r.errorf(path, "%s holds more than one line; it must hold only %s", where, what)
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
		v, ok = r.readFile(path, st.ProtectionKeyFile, "key", hint)
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
		st.ProtectionKey = SecretValue(key)
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

// readFile reads a file that holds one secret (a noun such as "key"),
// trimmed of trailing white space, and warns when group or others can
// read it. hint says what to do when the file cannot be opened.
func (r *resolver) readFile(path, file, noun, hint string) (string, bool) {
	data, info, ok := r.read(path, file, noun, hint, maxSecretFile)
	if !ok {
		return "", false
	}
	r.private(path, file, info)
	return strings.TrimRight(data, " \t\r\n"), true
}

// private warns when group or others can read the secret file at path.
func (r *resolver) private(path, file string, info fs.FileInfo) {
	if m := info.Mode().Perm(); m&0o044 != 0 {
		r.warnf(path, "%s is readable by %s (mode %04o); chmod 600 %s", shownPath(file), readers(uint32(m)), uint32(m), shownPath(file))
	}
}

// read reads a file that holds a noun ("key", "template"), at most limit
// bytes and not only white space, reporting at path why it cannot. The
// file is read through safefile, strictly: rotatord trusts what it holds,
// so a symbolic link on the way, anything but a regular file, or a file or
// directory that another user could write is refused.
func (r *resolver) read(path, file, noun, hint string, limit int64) (string, fs.FileInfo, bool) {
	data, info, err := safefile.ReadFile(file, safefile.Options{Limit: limit, Strict: true, FollowLinks: true})
	if err == nil && strings.TrimSpace(string(data)) == "" {
		err = errEmpty
	}
	if err != nil {
		r.errorf(path, "%s", fileProblem(file, noun, hint, limit, err))
		return "", nil, false
	}
	return string(data), fileInfo{info}, true
}

// errEmpty: a file holds nothing but white space.
var errEmpty = errors.New("empty file")

// fileProblem says why the file that holds a noun ("key") cannot be read
// (err, from safefile, or errEmpty), and what to do; hint says what when
// it cannot be opened. It never shows a path that looks like a secret.
func fileProblem(file, noun, hint string, limit int64, err error) string {
	var unsafe *safefile.Error
	switch {
	case errors.Is(err, errEmpty):
		return fmt.Sprintf("%s is empty; write the %s into it", shownPath(file), noun)
	case errors.Is(err, safefile.ErrTooLarge):
		return fmt.Sprintf("%s is larger than %d KiB; it must hold only the %s", shownPath(file), limit>>10, noun)
	case errors.Is(err, safefile.ErrIsDir):
		return fmt.Sprintf("%s is a directory; name the file that holds the %s", shownPath(file), noun)
	case errors.As(err, &unsafe):
		if looksSecret(file) {
			return shownPath(file) + "; rotatord trusts only files that nobody but root can change"
		}
		return err.Error()
	}
	if looksSecret(file) {
		hint = "put the key in a file and name that file here"
	}
	return pathErr(err, file) + "; " + hint
}

// fileInfo is a safefile.Info as an fs.FileInfo, for the mode checks.
type fileInfo struct{ safefile.Info }

func (fi fileInfo) Name() string       { return "" }
func (fi fileInfo) Size() int64        { return fi.Info.Size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.Info.Mode }
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return fi.Info.Mode.IsDir() }
func (fi fileInfo) Sys() any           { return nil }

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
