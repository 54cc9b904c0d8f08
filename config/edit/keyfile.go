package edit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/safefile"
)

// SetSecretKey writes value, a secret access key, to the entry's key file,
// points secret_access_key_file at it (relative to the configuration's
// directory) and removes secret_access_key and secret_access_key_env. It
// returns the key file's path. value is trimmed of trailing white space and
// must be one non-empty line; no error ever shows it.
//
// The key file is named after the entry, beside the configuration:
//
//	<config dir>/secrets/<name>.secret   a rotated secret; the folders of its
//	                                     name are directories, so /team-a/ci/deployer
//	                                     is secrets/team-a/ci/deployer.secret
//	<config dir>/targets/<name>.secret   a target
//
// It is created with mode 0600 (new directories 0700) and the owner of
// the configuration file. An existing file is never overwritten silently:
// one that already holds value is used as it is; the one this entry uses
// already is replaced once the configuration is (and kept if the edit
// fails); any other is an error. If the edit fails, every file and
// directory it created is removed.
func (e *Entry) SetSecretKey(value string) (string, error) {
	value = strings.TrimRight(value, " \t\r\n")
	switch {
	case value == "":
		return "", errors.New("the secret access key is empty")
	case strings.ContainsAny(value, "\r\n"):
		return "", errors.New("the secret access key holds more than one line; give only the key")
	}
	d := e.doc
	p, err := keyFile(d.dir, e.list, e.name)
	if err != nil {
		return "", err
	}
	if err := d.writeKey(e, p, value); err != nil {
		return "", err
	}
	rel, err := filepath.Rel(d.dir, p)
	if err != nil {
		return "", err
	}
	e.unset("secret_access_key")
	e.unset("secret_access_key_env")
	return p, e.Set("secret_access_key_file", filepath.ToSlash(rel))
}

// keyFile is where SetSecretKey writes the key of an entry of list named
// name (canonical for secrets). The name is checked first: it becomes a
// path.
func keyFile(dir, list, name string) (string, error) {
	if list == "targets" {
		if err := config.CheckTargetName(name); err != nil {
			return "", err
		}
		return filepath.Join(dir, "targets", name+".secret"), nil
	}
	if err := config.CheckSecretName(name); err != nil {
		return "", err
	}
	return filepath.Join(dir, "secrets", filepath.FromSlash(name[1:])+".secret"), nil
}

// writeKey creates p holding value, or stages its replacement when e uses
// p already, or leaves it when it holds value already.
func (d *Document) writeKey(e *Entry, p, value string) error {
	info, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := d.mkdirs(filepath.Dir(p)); err != nil {
			return err
		}
		// O_EXCL under the configuration's trusted directory: see File.
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return err
		}
		d.created = append(d.created, p)
		if err := fill(f, value, d.info); err != nil {
			return err
		}
		return syncDir(filepath.Dir(p))
	case err != nil:
		return err
	case !info.Mode().IsRegular():
		return fmt.Errorf("%s exists and is not a regular file; move it away first", p)
	}
	old, err := readSmall(p)
	if err != nil {
		return err
	}
	if strings.TrimRight(old, " \t\r\n") == value {
		return nil
	}
	if own, ok := e.ownKeyFile(); !ok || own != p {
		return fmt.Errorf("%s exists and holds another key, and %s does not use it; it is never overwritten: move it away first", p, e.name)
	}
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".new-*")
	if err != nil {
		return err
	}
	if err := fill(f, value, d.info); err != nil {
		os.Remove(f.Name())
		return err
	}
	d.staged = append(d.staged, staged{tmp: f.Name(), dst: p})
	return nil
}

// fill writes value and a newline to the new file f with mode 0600 and the
// owner of like, syncs and closes it.
func fill(f *os.File, value string, like fs.FileInfo) error {
	err := f.Chmod(0o600)
	if err == nil {
		err = sameOwner(f.Name(), like)
	}
	if err == nil {
		_, err = io.WriteString(f, value+"\n")
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readSmall reads a file that should hold one key.
func readSmall(p string) (string, error) {
	b, _, err := safefile.ReadFile(p, safefile.Options{Limit: config.MaxSecretFileSize, Strict: true})
	return string(b), err
}

// mkdirs creates the missing directories up to dir, mode 0700 and the
// configuration's owner, remembering them for rollback.
func (d *Document) mkdirs(dir string) error {
	var missing []string
	for p := dir; p != d.dir; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, p)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		p := missing[i]
		if err := os.Mkdir(p, 0o700); err != nil {
			return err
		}
		d.dirs = append(d.dirs, p)
		if err := sameOwner(p, d.info); err != nil {
			return err
		}
		if err := syncDir(filepath.Dir(p)); err != nil {
			return err
		}
	}
	return nil
}

// removeEmptyDirs removes dir and its parents while they are empty, up to
// and excluding <config dir>/secrets and <config dir>/targets.
func (d *Document) removeEmptyDirs(dir string) {
	for up := filepath.Dir(dir); up != d.dir && up != dir; dir, up = up, filepath.Dir(up) {
		if os.Remove(dir) != nil {
			return
		}
	}
}

// ownKeyFile returns the key file the entry uses if rotatord named it
// (see SetSecretKey).
func (e *Entry) ownKeyFile() (string, bool) {
	v := e.value("secret_access_key_file")
	if v == nil {
		return "", false
	}
	p, err := keyFile(e.doc.dir, e.list, e.name)
	if err != nil || e.doc.resolve(v.Value) != p {
		return "", false
	}
	return p, true
}

// keyFileUsed reports whether an entry of the document uses the key file
// p.
func (d *Document) keyFileUsed(p string) bool {
	for _, list := range []string{"targets", "secrets"} {
		seq := mapValue(d.top, list)
		if seq == nil {
			continue
		}
		for _, item := range seq.Content {
			if item.Kind != yaml.MappingNode {
				continue
			}
			if v := mapValue(item, "secret_access_key_file"); v != nil && v.Kind == yaml.ScalarNode && d.resolve(v.Value) == p {
				return true
			}
		}
	}
	return false
}
