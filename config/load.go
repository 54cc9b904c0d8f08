package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rotatord/rotatord/internal/safefile"
)

// LoadOptions changes how LoadWith reaches the world outside the file.
type LoadOptions struct {
	// LookupEnv looks up an environment variable for the *_env fields; nil
	// means os.LookupEnv.
	LookupEnv func(key string) (string, bool)
	// Previous is the configuration loaded from the same file before, for
	// a reload: a secret whose text is unchanged, in a file whose text
	// outside the secrets is unchanged, is taken from it rather than
	// decoded and checked again. The result is the same as without it.
	Previous *Config
}

// Load reads the configuration file at path, parses and validates it as
// Parse does, then resolves every secret reference: each *_file is read
// and trimmed of trailing white space, each *_env looked up, and the
// protection key decoded into State.ProtectionKey. A webhook URL read so
// is checked as an inline one is; a file sink's template_file is read
// into Template and parsed; a webhook's ca_file, cert_file and key_file
// must hold PEM certificates and the certificate's key. It adds warnings
// about who can read the files that hold secrets.
//
// On failure the error is Errors, holding every problem in the file and
// every reference that could not be resolved, sorted by line and column;
// the *Config then holds only File and Warnings.
func Load(path string) (*Config, error) { return LoadWith(path, LoadOptions{}) }

// LoadWith is Load with options.
func LoadWith(path string, o LoadOptions) (*Config, error) {
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	data, info, err := readConfig(path)
	var unsafe *safefile.Error
	switch {
	case errors.As(err, &unsafe) && sameAbs(unsafe.Path, path):
		return &Config{File: path}, Errors{{File: path, Msg: "refused: the file " + unsafe.Msg}}
	case errors.As(err, &unsafe):
		return &Config{File: path}, Errors{{File: path, Msg: "refused: " + err.Error()}}
	case err != nil:
		return &Config{File: path}, Errors{{File: path, Msg: "cannot read the file: " + err.Error()}}
	}
	c, col := parseWith(path, data, o.Previous)
	r := &resolver{collector: col, c: c, lookup: lookup}
	r.resolve()
	if info.Mode().Perm()&0o044 != 0 {
		r.inlineWarnings(info.Mode().Perm())
	}
	return finish(c, col)
}

// maxConfigFile caps the configuration file: 100,000 secrets with a sink
// each take about 30 MB.
const maxConfigFile = 512 << 20

// readConfig reads the file and its mode, strictly (see safefile): a
// configuration that another user could change, or that lies in a
// directory another user could write, is code that rotatord would run as
// root. Its error leaves out the path, which every message names already,
// unless the path is what the error is about.
func readConfig(path string) ([]byte, fs.FileInfo, error) {
	data, info, err := safefile.ReadFile(path, safefile.Options{Limit: maxConfigFile, Strict: true, FollowLinks: true})
	if err == nil {
		return data, fileInfo{info}, nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err
	}
	return nil, nil, err
}

// inlineWarnings warns about each inline secret in a configuration file
// that group or others can read.
func (r *resolver) inlineWarnings(mode fs.FileMode) {
	warn := func(path, field string, s SecretValue) {
		p := joinPath(path, field)
		if s != "" && s != Redacted && r.given(p) {
			r.warnf(p, "is written inline in a file that %s can read (mode %04o); move it to %s_file, or chmod 600 %s",
				readers(uint32(mode)), uint32(mode), field, r.c.File)
		}
	}
	for i, t := range r.c.Targets {
		warn(indexPath("targets", i), "secret_access_key", t.SecretAccessKey)
	}
	for i, s := range r.c.Secrets {
		warn(indexPath("secrets", i), "secret_access_key", s.SecretAccessKey)
		for j, k := range s.Sinks {
			path := indexPath(indexPath("secrets", i)+".sinks", j)
			for _, f := range inlineSecrets(k.Spec) {
				warn(path, f.name, f.s)
			}
		}
	}
	for i, n := range r.c.Notify {
		warn(indexPath("notify", i), "url", n.URL)
		warn(indexPath("notify", i), "hmac_secret", n.HMACSecret)
	}
}

// sameAbs reports whether two paths are one once made absolute.
func sameAbs(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	return errA == nil && errB == nil && a == b
}
