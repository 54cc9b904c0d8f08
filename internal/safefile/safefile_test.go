package safefile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rotatord/rotatord/internal/testuid"
)

// secretFile makes a root-only file holding a secret the attacker wants.
func secretFile(t *testing.T) (path string, content []byte) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "protection.key")
	content = []byte("TOP-SECRET-PROTECTION-KEY-BYTES\n")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, content
}

// wantUnsafe fails t unless err refuses the path (ErrUnsafe) and mentions
// each of words.
func wantUnsafe(t *testing.T, err error, words ...string) {
	t.Helper()
	if !errors.Is(err, ErrUnsafe) {
		t.Fatalf("err = %v, want a refusal (ErrUnsafe)", err)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err = %q, want it to mention %q", err, w)
		}
	}
}

func TestReadFileRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, info, err := ReadFile(p, Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello" || info.Size != 5 || !info.Mode.IsRegular() {
		t.Fatalf("got %q, %+v", got, info)
	}
	if _, _, err := ReadFile(filepath.Join(dir, "missing"), Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	if _, _, err := ReadFile(p, Options{Limit: 4}); err == nil || !strings.Contains(err.Error(), "larger than 4 bytes") {
		t.Fatalf("over the limit: err = %v", err)
	}
}

func TestSymlinkAtPathIsRefused(t *testing.T) {
	secret, content := secretFile(t)
	// Even in a sticky directory that root owns (like /tmp), a link the
	// attacker plants is never followed.
	sticky := testuid.TempDir(t)
	if err := os.Chmod(sticky, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(sticky, "credentials")
	testuid.Sh(t, "ln -s "+secret+" "+link)
	got, _, err := ReadFile(link, Options{})
	wantUnsafe(t, err, "symbolic link")
	if bytes.Contains(got, content) || strings.Contains(err.Error(), string(content[:10])) {
		t.Fatal("the secret file's content came out")
	}
	// A write replaces the link itself; the file it named is unchanged.
	if err := WriteFile(link, []byte("new"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(secret); !bytes.Equal(now, content) {
		t.Fatalf("the link's target changed: %q", now)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("link not replaced by a regular file: %v %v", fi, err)
	}
}

func TestSymlinkInParentIsRefused(t *testing.T) {
	base := testuid.TempDir(t)
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(base, "link", "creds")
	err := WriteFile(p, []byte("x"), WriteOptions{})
	wantUnsafe(t, err, "link is a symbolic link", real)
	if _, err := os.Stat(filepath.Join(real, "creds")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file was created through the link: %v", err)
	}
	_, _, err = ReadFile(p, Options{})
	wantUnsafe(t, err, "symbolic link")
	_, err = MkdirAll(filepath.Join(base, "link", "sub"), 0o700)
	wantUnsafe(t, err, "symbolic link")
}

func TestFIFOAndDevicesAreRefusedWithoutHanging(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, "/dev/zero", "/dev/null", dir} {
		done := make(chan error, 1)
		go func() { _, _, err := ReadFile(p, Options{}); done <- err }()
		select {
		case err := <-done:
			if p == dir {
				if err == nil {
					t.Errorf("%s: read a directory", p)
				}
				continue
			}
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: err = %v, want ErrNotRegular", p, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("ReadFile(%s) hangs", p)
		}
	}
}

func TestDirectoryOthersCanWriteIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		words []string
	}{
		{"owned by another uid", func(t *testing.T, dir string) { testuid.Chown(t, dir) }, []string{"belongs to uid 65534", "chown root"}},
		{"world-writable", func(t *testing.T, dir string) { os.Chmod(dir, 0o777) }, []string{"writable by every user", "chmod go-w"}},
		{"group-writable", func(t *testing.T, dir string) {
			os.Chown(dir, 0, testuid.Nobody)
			os.Chmod(dir, 0o770)
		}, []string{"writable by group 65534"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testuid.RequireRoot(t)
			dir := filepath.Join(testuid.TempDir(t), "d")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "sub", "f")
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, dir)
			_, _, err := ReadFile(p, Options{})
			wantUnsafe(t, err, append(tc.words, "directory "+dir)...)
			err = WriteFile(p, []byte("y"), WriteOptions{})
			wantUnsafe(t, err, tc.words...)
			if got, _ := os.ReadFile(p); string(got) != "x" {
				t.Fatalf("file written through an unsafe directory: %q", got)
			}
		})
	}
}

func TestStickyDirectory(t *testing.T) {
	sticky := testuid.TempDir(t)
	if err := os.Chmod(sticky, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	// rotatord may create and replace its own files there.
	own := filepath.Join(sticky, "own")
	if err := WriteFile(own, []byte("a"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := ReadFile(own, Options{}); err != nil || string(got) != "a" {
		t.Fatalf("own file in a sticky directory: %q, %v", got, err)
	}
	// A file another user planted there is not read, unless that user is
	// the sink's configured owner.
	planted := filepath.Join(sticky, "planted")
	testuid.Sh(t, "echo planted > "+planted)
	_, _, err := ReadFile(planted, Options{})
	wantUnsafe(t, err, "belongs to uid 65534")
	if _, _, err := ReadFile(planted, Options{Owners: []int{testuid.Nobody}}); err != nil {
		t.Fatalf("the configured owner's file: %v", err)
	}
	// A directory another user made there is refused.
	testuid.Sh(t, "mkdir "+filepath.Join(sticky, "theirs"))
	err = WriteFile(filepath.Join(sticky, "theirs", "f"), []byte("x"), WriteOptions{})
	wantUnsafe(t, err, "belongs to uid 65534")
}

func TestStrict(t *testing.T) {
	dir := testuid.TempDir(t)
	p := filepath.Join(dir, "rotatord.yaml")
	if err := os.WriteFile(p, []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadFile(p, Options{Strict: true}); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o666)
	_, _, err := ReadFile(p, Options{Strict: true})
	wantUnsafe(t, err, "writable by every user", "chmod go-w "+p)
	os.Chmod(p, 0o640)
	testuid.Chown(t, p)
	_, _, err = ReadFile(p, Options{Strict: true})
	wantUnsafe(t, err, "belongs to uid 65534")
	// Not strict, in a directory only root writes: the owner may be anyone.
	if _, _, err := ReadFile(p, Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestHardLinkAndReserved(t *testing.T) {
	secret, content := secretFile(t)
	dir := filepath.Dir(secret)
	link := filepath.Join(dir, "credentials")
	if err := os.Link(secret, link); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadFile(link, Options{SingleLink: true})
	wantUnsafe(t, err, "has 2 names")

	var r Reserved
	if err := r.Add(secret, "protection key"); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(filepath.Join(dir, "missing"), "control socket"); err != nil || r.Len() != 1 {
		t.Fatalf("Add(missing) = %v, Len %d; want nil, 1", err, r.Len())
	}
	_, _, err = ReadFile(link, Options{Reserved: &r})
	wantUnsafe(t, err, "rotatord's own protection key")
	// The same file by another spelling of its path.
	other := filepath.Join(dir, "x", "..", "protection.key")
	err = WriteFile(other, []byte("overwritten"), WriteOptions{Reserved: &r})
	wantUnsafe(t, err, "rotatord's own protection key")
	if now, _ := os.ReadFile(secret); !bytes.Equal(now, content) {
		t.Fatalf("the protection key changed: %q", now)
	}
}

func TestWriteFile(t *testing.T) {
	dir := testuid.TempDir(t)
	p := filepath.Join(dir, "creds")
	o := WriteOptions{Perm: 0o640, Chown: true, UID: testuid.Nobody, GID: testuid.Nobody}
	if err := WriteFile(p, []byte("one"), o); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o640 || st.Uid != testuid.Nobody || st.Gid != testuid.Nobody {
		t.Fatalf("mode %v uid %d gid %d, want 0640 65534 65534", fi.Mode(), st.Uid, st.Gid)
	}
	if got := testuid.Sh(t, "cat "+p); got != "one" {
		t.Fatalf("the owner reads %q", got)
	}
	if err := WriteFile(p, []byte("two"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "two" {
		t.Fatalf("got %q", got)
	}
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, "adir"), []byte("x"), WriteOptions{}); err == nil {
		t.Fatal("replaced a directory")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary file left: %s", e.Name())
		}
	}
	if err := WriteFile(filepath.Join(dir, "nodir", "f"), []byte("x"), WriteOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing directory: err = %v, want fs.ErrNotExist", err)
	}
}

func TestMkdirAll(t *testing.T) {
	base := t.TempDir()
	p := filepath.Join(base, "a", "b")
	d, err := MkdirAll(p, 0o700)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Path() != p || !d.Info().Mode.IsDir() {
		t.Fatalf("Path %q Info %+v", d.Path(), d.Info())
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("%v %v", fi, err)
	}
	if err := d.WriteFile("f", []byte("x"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	f, _, err := d.Open("g", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, _, err := d.Open("g", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600, Options{}); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second exclusive create: %v", err)
	}
	if _, _, err := d.Open("../f", os.O_RDONLY, 0, Options{}); err == nil {
		t.Fatal("opened a name with a slash")
	}
}

func TestStat(t *testing.T) {
	secret, _ := secretFile(t)
	info, err := Stat(secret, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(secret)
	if info.Ino != fi.Sys().(*syscall.Stat_t).Ino {
		t.Fatalf("Stat ino %d, os.Stat %d", info.Ino, fi.Sys().(*syscall.Stat_t).Ino)
	}
}

func TestCheckProgram(t *testing.T) {
	got, err := CheckProgram("/bin/sh") // /bin is a link to usr/bin on merged-/usr systems
	if err != nil {
		t.Fatal(err)
	}
	if real, _ := filepath.EvalSymlinks("/bin/sh"); got != real {
		t.Fatalf("CheckProgram(/bin/sh) = %q, want %q", got, real)
	}
	dir := testuid.TempDir(t)
	prog := filepath.Join(dir, "hook")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckProgram(prog); err != nil {
		t.Fatal(err)
	}
	os.Chmod(prog, 0o777)
	_, err = CheckProgram(prog)
	wantUnsafe(t, err, "writable by every user")
	os.Chmod(prog, 0o755)

	theirs := filepath.Join(dir, "theirs")
	os.Mkdir(theirs, 0o755)
	testuid.Chown(t, theirs)
	testuid.Sh(t, "ln -s "+prog+" "+filepath.Join(theirs, "hook"))
	_, err = CheckProgram(filepath.Join(theirs, "hook"))
	wantUnsafe(t, err, "belongs to uid 65534")

	sticky := filepath.Join(dir, "tmp")
	os.Mkdir(sticky, os.ModeSticky|0o777)
	os.Chmod(sticky, os.ModeSticky|0o777)
	testuid.Sh(t, "ln -s "+prog+" "+filepath.Join(sticky, "hook"))
	_, err = CheckProgram(filepath.Join(sticky, "hook"))
	wantUnsafe(t, err, "symbolic link", "belongs to uid 65534")

	if err := os.Symlink("../hook", filepath.Join(dir, "rel")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	if err := os.Symlink("../hook", filepath.Join(dir, "sub", "rel")); err != nil {
		t.Fatal(err)
	}
	if got, err := CheckProgram(filepath.Join(dir, "sub", "rel")); err != nil || got != prog {
		t.Fatalf("relative link: %q, %v; want %q", got, err, prog)
	}
}

func TestFollowLinks(t *testing.T) {
	dir := testuid.TempDir(t)
	real := filepath.Join(dir, "..v1")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "rotatord.yaml"), []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("..v1", filepath.Join(dir, "..data"))
	os.Symlink("..data/rotatord.yaml", filepath.Join(dir, "rotatord.yaml"))
	p := filepath.Join(dir, "rotatord.yaml")
	if _, _, err := ReadFile(p, Options{Strict: true}); !errors.Is(err, ErrSymlink) {
		t.Fatalf("without FollowLinks: err = %v, want ErrSymlink", err)
	}
	got, _, err := ReadFile(p, Options{Strict: true, FollowLinks: true})
	if err != nil || string(got) != "version: 1\n" {
		t.Fatalf("through root's links: %q, %v", got, err)
	}
	info, err := Stat(p, Options{FollowLinks: true})
	if err != nil || !info.Mode.IsRegular() {
		t.Fatalf("Stat through links: %+v %v", info, err)
	}

	// A link another user made in a sticky directory is not followed.
	sticky := filepath.Join(dir, "tmp")
	os.Mkdir(sticky, 0o755)
	os.Chmod(sticky, os.ModeSticky|0o777)
	testuid.Sh(t, "ln -s "+p+" "+filepath.Join(sticky, "c.yaml"))
	_, _, err = ReadFile(filepath.Join(sticky, "c.yaml"), Options{FollowLinks: true})
	wantUnsafe(t, err, "belongs to uid 65534")

	// A loop ends.
	os.Symlink("loop2", filepath.Join(dir, "loop1"))
	os.Symlink("loop1", filepath.Join(dir, "loop2"))
	_, _, err = ReadFile(filepath.Join(dir, "loop1"), Options{FollowLinks: true})
	wantUnsafe(t, err, "more than 40 symbolic links")
	_, _, err = ReadFile(filepath.Join(dir, "loop1", "x"), Options{FollowLinks: true})
	wantUnsafe(t, err, "more than 40 symbolic links")
}

// TestReadOnlyMount: a directory others could write by its mode, on a
// read-only mount (a Kubernetes ConfigMap volume is 0777), is trusted.
func TestReadOnlyMount(t *testing.T) {
	testuid.RequireRoot(t)
	dir := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(dir, 0o777)
	os.Chmod(dir, 0o777)
	os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
	if _, _, err := ReadFile(filepath.Join(dir, "f"), Options{}); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("writable mount: err = %v, want a refusal", err)
	}
	if err := unix.Mount(dir, dir, "", unix.MS_BIND, ""); err != nil {
		t.Skipf("cannot bind-mount here: %v", err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	if err := unix.Mount("", dir, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount read-only here: %v", err)
	}
	if got, _, err := ReadFile(filepath.Join(dir, "f"), Options{Strict: true}); err != nil || string(got) != "x" {
		t.Fatalf("read-only mount: %q, %v", got, err)
	}
}

// TestReservedForgetsReplacedFiles: a reserved file replaced by rename
// frees its inode, which the file system may give to any new file; the
// set must not then refuse that file.
func TestReservedForgetsReplacedFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rotatord.yaml")
	if err := os.WriteFile(cfg, []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var r Reserved
	if err := r.Add(cfg, "configuration file"); err != nil {
		t.Fatal(err)
	}
	old, _ := Stat(cfg, Options{})
	if _, ok := r.Lookup(old.ID); !ok {
		t.Fatal("the reserved file is not found")
	}
	// Replace it, as an editor does; the old inode is free now.
	if err := WriteFile(cfg, []byte("version: 1\nworkers: 2\n"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if what, ok := r.Lookup(old.ID); ok {
		t.Fatalf("the old identity is still reserved (as %s) after its file was replaced", what)
	}
	if r.Len() != 0 {
		t.Fatalf("Len = %d after the stale identity was looked up, want 0", r.Len())
	}
}
