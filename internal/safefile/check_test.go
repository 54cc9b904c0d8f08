package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCheckerAgreesWithReadFile: for each kind of path, Check refuses
// what ReadFile refuses, with the same error, and accepts what ReadFile
// reads, with the identity ReadFile sees, without opening the file.
func TestCheckerAgreesWithReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("k\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("ok", 0o600)
	write("readable", 0o644)
	write("writable", 0o666)
	write("no-owner-read", 0o200) // not readable by its bits alone: faccessat decides
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ok", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(open, "k"), []byte("k\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{Strict: true, FollowLinks: true}, {Strict: true}} {
		ck := NewChecker(o)
		for _, name := range []string{"ok", "readable", "writable", "no-owner-read", "fifo", "dir", "link", "missing", "open/k", "ok/x"} {
			p := filepath.Join(dir, name)
			info, err := ck.Check(p)
			_, rinfo, rerr := ReadFile(p, o)
			switch {
			case (err == nil) != (rerr == nil):
				t.Errorf("%s (follow %v): Check err = %v, ReadFile err = %v", name, o.FollowLinks, err, rerr)
			case err != nil && err.Error() != rerr.Error():
				t.Errorf("%s (follow %v): Check err = %q, ReadFile err = %q", name, o.FollowLinks, err, rerr)
			case err != nil && errors.Is(rerr, fs.ErrNotExist) != errors.Is(err, fs.ErrNotExist):
				t.Errorf("%s: Check err %v and ReadFile err %v disagree on fs.ErrNotExist", name, err, rerr)
			case err == nil && info.ID != rinfo.ID:
				t.Errorf("%s: Check ID %v, ReadFile ID %v", name, info.ID, rinfo.ID)
			}
		}
		ck.Close()
	}
}
