//go:build unix

package edit

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/rotatord/rotatord/internal/safefile"
)

// sameOwner gives the file or directory at path (one an edit made, under
// the configuration's trusted directory: see File) the owner and group of
// like (the configuration file), so that a daemon running as that user can
// read what an edit made as root. When only root could change the owner,
// matching the group is enough.
func sameOwner(path string, like fs.FileInfo) error {
	want, ok := like.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	info, err := os.Lstat(path)
	if err != nil {
		return err
	}
	got, ok := info.Sys().(*syscall.Stat_t)
	if !ok || (got.Uid == want.Uid && got.Gid == want.Gid) {
		return nil
	}
	if os.Lchown(path, int(want.Uid), int(want.Gid)) == nil {
		return nil
	}
	if got.Gid == want.Gid {
		return nil
	}
	if err := os.Lchown(path, -1, int(want.Gid)); err != nil {
		return fmt.Errorf("cannot give %s the group of the configuration file (gid %d): %w", path, want.Gid, err)
	}
	return nil
}

// sameFile reports whether info (from Lstat) describes the file that
// safefile read as s.
func sameFile(info fs.FileInfo, s safefile.Info) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && uint64(st.Dev) == s.Dev && st.Ino == s.Ino
}
