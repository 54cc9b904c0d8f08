package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

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

// readExisting returns the contents of path, or nil if it does not exist.
// Its errors name the path only, never the contents.
func readExisting(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// writeAtomic replaces path with data: a temporary file in the same
// directory (created 0600) is written, synced, given its owner (if o is
// non-nil) and mode, and renamed over path; then the directory is synced.
// On failure the temporary file is removed and path is left as it was.
// Errors say which step failed; they never contain data.
func writeAtomic(path string, data []byte, mode os.FileMode, o *owner) (err error) {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("parent directory %s does not exist", dir)
	} else if err != nil {
		return fmt.Errorf("parent directory: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("parent %s is not a directory", dir)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			_ = tmp.Close() // may already be closed
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write temporary file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync temporary file: %w", err)
	}
	if o != nil {
		if err := tmp.Chown(o.uid, o.gid); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	// An explicit chmod, unlike the mode given at creation, ignores the umask.
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	renamed = true
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}
