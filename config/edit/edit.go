package edit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/safefile"
)

// Result is what File did.
type Result struct {
	// Config is the configuration as written, loaded and validated as
	// config.LoadWith does; its Warnings are the new file's warnings. When
	// the edit was invalid it holds only File and Warnings, as LoadWith's
	// does.
	Config *config.Config
	// Wrote lists the secret files the edit created or replaced.
	Wrote []string
	// Removed lists the secret files the edit removed.
	Removed []string
}

// Document is a configuration file being edited by File: its YAML node
// tree, which keeps the file's comments and the order of its keys. Its
// methods change only the nodes they name, and write secret files only
// through Entry.SetSecretKey. A Document is valid only during the function
// that File calls.
type Document struct {
	file string      // the configuration file
	dir  string      // its directory, against which relative paths resolve
	info fs.FileInfo // the file's mode and owner, which new files take
	top  *yaml.Node  // the document's top-level mapping

	created []string // secret files this edit created, removed if it fails
	dirs    []string // directories it created, removed if it fails
	staged  []staged // replacements of existing secret files
	remove  []string // secret files to remove once the file is replaced
}

// staged is a new secret file, written beside the one it replaces once the
// configuration is replaced.
type staged struct{ tmp, dst string }

// File changes the configuration file at path with fn, atomically and
// only into a valid configuration:
//
//  1. it parses the file into a node tree and calls fn with it; if fn
//     fails, File returns fn's error (unwrapped) and nothing changes;
//  2. it encodes the tree with 2-space indentation and puts back what
//     yaml.v3 drops from untouched lines: blank lines and the spacing
//     before line comments (restoreLayout), only when doing so leaves the
//     data unchanged;
//  3. it writes the text to a temporary file beside path, with path's mode
//     and owner, and loads it with config.LoadWith(tmp, o): every field,
//     rule and secret reference is checked, secret files included;
//  4. if that fails, it removes the temporary file and every secret file
//     the edit wrote, and returns the config.Errors, which name path (not
//     the temporary file) and the lines and columns of the edited text;
//  5. otherwise it syncs the file, renames it over path (failing instead if
//     path changed since it was read), syncs the directory, and only then
//     moves replaced secret files into place and removes the secret files
//     that removed entries used.
//
// A daemon that watches path sees one rename to a valid file. Neither a
// secret value nor the text of the file's secrets ever appears in an
// error. path must be a regular file, not a symbolic link, since the
// rename would replace the link.
//
// The file is read through safefile, strictly and without following a
// link: so the configuration's directory, and every one above it, is one
// that only root (or rotatord's user) can write. The temporary file, the
// key files and their directories under it are then made by path, with
// os: nobody else can swap an entry in such a directory, and
// config.LoadWith of the result checks every file it names strictly again.
func File(path string, o config.LoadOptions, fn func(*Document) error) (*Result, error) {
	data, sinfo, err := safefile.ReadFile(path, safefile.Options{Limit: config.MaxFileSize, Strict: true})
	switch {
	case errors.Is(err, safefile.ErrSymlink):
		return nil, fmt.Errorf("%w; edit the file it points to (give its path with -c)", err)
	case err != nil:
		return nil, err
	}
	info, err := os.Lstat(path) // the same file: its directories are trusted
	if err != nil {
		return nil, err
	}
	if !sameFile(info, sinfo) {
		return nil, fmt.Errorf("%s changed while it was being read; run the command again", path)
	}
	root, err := config.ReadDocument(data)
	if err != nil || (root != nil && len(root.Content) > 0 && root.Content[0].Kind != yaml.MappingNode) {
		_, perr := config.Parse(path, data) // reports the problem at its position
		return nil, firstErr(perr, err, errors.New("the file is not a YAML mapping"))
	}
	if root == nil || len(root.Content) == 0 {
		root = &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	d := &Document{file: path, dir: filepath.Dir(path), info: info, top: root.Content[0]}
	committed := false
	defer func() {
		if !committed {
			d.rollback()
		}
	}()
	if err := fn(d); err != nil {
		return nil, err
	}
	out, err := encode(root)
	if err != nil {
		return nil, err
	}
	tmp, err := d.writeTemp(restoreLayout(data, out))
	if err != nil {
		return nil, err
	}
	defer func() {
		if !committed {
			os.Remove(tmp)
		}
	}()
	cfg, err := config.LoadWith(tmp, o)
	relabel(cfg, err, tmp, path)
	res := &Result{Config: cfg}
	if err != nil {
		return res, err
	}
	if now, _, err := safefile.ReadFile(path, safefile.Options{Limit: config.MaxFileSize, Strict: true}); err != nil || !bytes.Equal(now, data) {
		return res, fmt.Errorf("%s changed while it was being edited; nothing was changed, run the command again", path)
	}
	if err := os.Rename(tmp, path); err != nil {
		return res, err
	}
	committed = true
	res.Wrote = d.created
	return res, d.finish(res)
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// encode writes the document with 2-space indentation.
func encode(root *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeTemp writes data to a new file beside the configuration, with its
// mode and owner, synced to disk.
func (d *Document) writeTemp(data []byte) (string, error) {
	f, err := os.CreateTemp(d.dir, "."+filepath.Base(d.file)+".edit-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	err = f.Chmod(d.info.Mode().Perm())
	if err == nil {
		err = sameOwner(name, d.info)
	}
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// relabel makes the result of loading tmp name path instead.
func relabel(c *config.Config, err error, tmp, path string) {
	fix := func(es config.Errors) {
		for _, e := range es {
			if e.File == tmp {
				e.File = path
			}
			e.Msg = strings.ReplaceAll(e.Msg, tmp, path)
		}
	}
	if c != nil {
		c.File = path
		fix(c.Warnings)
	}
	var es config.Errors
	if errors.As(err, &es) {
		fix(es)
	}
}

// finish runs after the configuration was replaced: it syncs the
// directory, moves replaced secret files into place and removes the
// secret files of removed entries.
func (d *Document) finish(res *Result) error {
	var errs []error
	if err := syncDir(d.dir); err != nil {
		errs = append(errs, fmt.Errorf("the configuration was changed, but syncing its directory failed: %w", err))
	}
	for _, s := range d.staged {
		if err := os.Rename(s.tmp, s.dst); err != nil {
			os.Remove(s.tmp)
			errs = append(errs, fmt.Errorf("the configuration was changed, but the new key could not be moved to %s: %w", s.dst, err))
			continue
		}
		res.Wrote = append(res.Wrote, s.dst)
		errs = append(errs, syncDir(filepath.Dir(s.dst)))
	}
	for _, p := range d.remove {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("the configuration was changed, but %s could not be removed: %w", p, err))
			continue
		}
		res.Removed = append(res.Removed, p)
		d.removeEmptyDirs(filepath.Dir(p))
	}
	return errors.Join(errs...)
}

// rollback removes every file and directory a failed edit wrote.
func (d *Document) rollback() {
	for _, s := range d.staged {
		os.Remove(s.tmp)
	}
	for _, p := range d.created {
		os.Remove(p)
	}
	for i := len(d.dirs) - 1; i >= 0; i-- {
		os.Remove(d.dirs[i])
	}
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir) // under the configuration's trusted directory: see File
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
