package state

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// buildPath names the file a new store is built in, beside the state file
// at path: hidden, and named so that no one takes it for a backup.
func buildPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".rotatord-new")
}

// createFile creates a new state file at path, where none exists, so that
// it appears complete or not at all: it builds the store (bbolt's pages,
// rotatord's buckets and meta, synced) in buildPath(path), created
// exclusively, then links it to path, which fails if path exists
// meanwhile. A build file left by an interrupted start is removed first:
// the caller holds the lock, so no other rotatord is building it.
func createFile(path string, sl *Sealer, now func() time.Time) error {
	tmp := buildPath(path)
	if err := unix.Unlink(tmp); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("create state file %s: remove %s: %w", path, tmp, err)
	}
	db, err := openBolt(tmp, fileStamp{}, createNew)
	if err != nil {
		return fmt.Errorf("create state file %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error { return createMeta(tx, sl, now) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = linkNew(tmp, path)
	}
	_ = unix.Unlink(tmp)
	if err != nil {
		return fmt.Errorf("create state file %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// linkNew gives the file at tmp the name path, failing if path exists: a
// hard link, or where the file system has none, a rename that does not
// replace.
func linkNew(tmp, path string) error {
	err := unix.Link(tmp, path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return errors.New("another program created it meanwhile; find out which, then try again")
	}
	if rerr := renameNoReplace(tmp, path); rerr != nil {
		return fmt.Errorf("link %s: %w; rename: %w", tmp, err, rerr)
	}
	return nil
}
