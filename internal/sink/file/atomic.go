package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/rotatord/rotatord/internal/safefile"
)

// maxFile caps what the sink reads of an existing file: a shared
// credentials file with thousands of profiles is far smaller.
const maxFile = 4 << 20

// locks serializes the read-modify-write of each path within the process:
// two secrets may write two profiles of one credentials file at once, and
// neither update may be lost. Keys are absolute, cleaned paths; entries are
// never removed (there is one per configured path).
var locks sync.Map // string → chan struct{} (a mutex that ctx can abandon)

// lockPath takes the process-wide lock of path, or gives up when ctx ends.
// The caller must call the returned function to release it.
func lockPath(ctx context.Context, path string) (unlock func(), err error) {
	v, _ := locks.LoadOrStore(path, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// openDir opens the sink file's directory through safefile: no symbolic
// link on the way, no directory that others can write. The file is then
// read and replaced relative to it, never by path.
func (f *File) openDir() (*safefile.Dir, error) {
	d, err := safefile.OpenDir(filepath.Dir(f.path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("parent directory %s does not exist; create it (root-owned, writable only by root) first", filepath.Dir(f.path))
	}
	return d, err
}

// readOptions are the checks on an existing file before the sink reads it:
// a regular file with no other name (a hard link to the protection key
// would hand that key out), not one of rotatord's own files, and in a
// sticky directory one that root, rotatord or the sink's owner made.
func (f *File) readOptions() safefile.Options {
	o := safefile.Options{Limit: maxFile, SingleLink: true, Reserved: f.reserved}
	if f.owner != nil {
		o.Owners = []int{f.owner.uid}
	}
	return o
}

// readExisting returns the contents of the file, or nil if it does not
// exist. Its errors name the path only, never the contents.
func (f *File) readExisting(d *safefile.Dir) ([]byte, error) {
	b, _, err := d.ReadFile(filepath.Base(f.path), f.readOptions())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// checkExisting refuses what the sink must not replace without reading it:
// anything at the path but a regular file (a symbolic link that someone
// planted, a FIFO, a device), or one of rotatord's own files.
func (f *File) checkExisting(d *safefile.Dir) error {
	info, err := d.Lstat(filepath.Base(f.path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !info.Mode.IsRegular() {
		return &safefile.Error{Path: f.path, Msg: "is not a regular file; the sink writes only regular files: remove what is there", Kind: safefile.ErrNotRegular}
	}
	if what, ok := f.reserved.Lookup(info.ID); ok {
		return &safefile.Error{Path: f.path, Msg: "is rotatord's own " + what + "; a sink must never overwrite it: name another path"}
	}
	return nil
}

// write replaces the file with data, atomically, in d: see
// safefile.Dir.WriteFile. The new file gets the sink's mode, and its owner
// if one is configured, through its descriptor.
func (f *File) write(d *safefile.Dir, data []byte) error {
	o := safefile.WriteOptions{Perm: f.mode, Reserved: f.reserved}
	if f.owner != nil {
		o.Chown, o.UID, o.GID = true, f.owner.uid, f.owner.gid
	}
	return d.WriteFile(filepath.Base(f.path), data, o)
}
