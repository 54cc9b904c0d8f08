package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/rotatord/rotatord/config"
)

// damageFixture is a closed state file of 60 secrets (enough that the
// secrets bucket spans several leaf pages under a branch page), with what
// the tests need to know of its layout.
type damageFixture struct {
	raw      []byte // the file's bytes
	ps       int    // page size
	hwm      int    // high-water mark, in pages
	branch   int    // the secrets bucket's root: a branch page
	leaf     int    // a leaf page holding secrets
	foreignB []byte // another program's bbolt file
}

func newDamageFixture(t *testing.T) *damageFixture {
	t.Helper()
	b, path := openTemp(t)
	for i := range 60 {
		name := fmt.Sprintf("/team/s%03d", i)
		put(t, b, &Secret{Name: name, UserName: "u", Versions: []Version{{N: 1, AccessKeyID: fmt.Sprintf("AKIA%016d", i), State: Current, Value: config.SecretValue("v" + strings.Repeat("x", 40))}}})
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := &damageFixture{raw: raw}
	m0, m1 := parseMeta(raw), parseMeta(raw[parseMeta(raw).pageSize:])
	cur := m0
	if m1.txid > m0.txid {
		cur = m1
	}
	f.ps, f.hwm = int(cur.pageSize), int(cur.hwm)
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		f.branch = int(tx.Bucket(bucketSecrets).Root())
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	page := raw[f.branch*f.ps:]
	if flags := ne.Uint16(page[8:]); flags != branchPageFlag {
		t.Fatalf("fixture: the secrets bucket's root page %d has flags %#x, want a branch page", f.branch, flags)
	}
	f.leaf = int(ne.Uint64(page[pageHeaderSize+8:]))

	other := filepath.Join(t.TempDir(), "other.db")
	db, err = bolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucket([]byte("widgets"))
		if err != nil {
			return err
		}
		return bk.Put([]byte("a"), []byte("b"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if f.foreignB, err = os.ReadFile(other); err != nil {
		t.Fatal(err)
	}
	return f
}

// set returns the fixture's bytes with the byte at off set to v.
func (f *damageFixture) set(off int, v byte) []byte {
	out := bytes.Clone(f.raw)
	out[off] = v
	return out
}

// flip returns the fixture's bytes with the byte at off inverted.
func (f *damageFixture) flip(offs ...int) []byte {
	out := bytes.Clone(f.raw)
	for _, off := range offs {
		out[off] ^= 0xff
	}
	return out
}

// twoSentences matches a message with no line break and no full stop
// followed by another sentence.
var twoSentences = regexp.MustCompile(`[.!?]\s+[A-Z]|\n`)

func TestOpenRefusesUnusableFiles(t *testing.T) {
	f := newDamageFixture(t)
	ps, hwm := f.ps, f.hwm
	rnd := make([]byte, 4*ps)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	sqlite := append([]byte("SQLite format 3\x00\x10\x00\x01\x01\x00\x40\x20\x20"), make([]byte, 4*ps)...)
	leaf1 := f.leaf*ps + pageHeaderSize + elemSize // the leaf's element 1
	key1 := leaf1 + int(ne.Uint32(f.raw[leaf1+4:]))
	meta := pageHeaderSize
	tests := []struct {
		name    string
		content []byte
		want    string
	}{
		{"empty", nil, "is damaged (it is empty)"},
		{"truncated to 1 byte", f.raw[:1], "is damaged (it is truncated"},
		{"truncated to half a page", f.raw[:ps/2], "is damaged (it is truncated"},
		{"truncated to one page", f.raw[:ps], "is damaged (it is truncated"},
		{"truncated to three pages", f.raw[:3*ps], "is damaged (it is truncated"},
		{"truncated one page short of the high-water mark", f.raw[:(hwm-1)*ps], "is damaged (it is truncated"},
		{"truncated one byte short of the high-water mark", f.raw[:hwm*ps-1], "is damaged (it is truncated"},
		{"meta page 0 flipped", f.flip(meta + 40), "meta page 0: checksum mismatch"},
		{"meta page 0 magic flipped", f.flip(meta), "meta page 0: no bbolt magic number"},
		{"meta page 1 flipped", f.flip(ps + meta + 40), "meta page 1: checksum mismatch"},
		{"both meta pages flipped", f.flip(meta+16, ps+meta+16), "meta page 0: checksum mismatch"},
		{"meta page 0 header flipped", f.flip(8), "meta page 0: its page header says"},
		{"branch page id flipped", f.flip(f.branch * ps), fmt.Sprintf("page %d says it is page", f.branch)},
		{"branch page type flipped", f.flip(f.branch*ps + 8), fmt.Sprintf("page %d has type", f.branch)},
		{"branch page count flipped", f.flip(f.branch*ps + 11), fmt.Sprintf("page %d counts", f.branch)},
		{"branch child id flipped", f.flip(f.branch*ps + pageHeaderSize + 8 + 3), "outside pages 2.."},
		{"branch key position flipped", f.flip(f.branch*ps + pageHeaderSize + 2), fmt.Sprintf("page %d: element 0 lies outside the page", f.branch)},
		{"leaf overflow flipped", f.flip(f.leaf*ps + 14), fmt.Sprintf("page %d claims", f.leaf)},
		{"leaf key size flipped", f.flip(f.leaf*ps + pageHeaderSize + 8 + 2), fmt.Sprintf("page %d: element 0 lies outside the page", f.leaf)},
		{"leaf key order broken", f.set(key1, 0x01), fmt.Sprintf("page %d: key 1 is out of order", f.leaf)},
		{"random bytes", rnd, "is not a rotatord state file (not a bbolt database"},
		{"an SQLite database", sqlite, "is not a rotatord state file (not a bbolt database"},
		{"another program's bbolt file", f.foreignB, `is not a rotatord state file (a bbolt database with bucket "widgets" but no "meta")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			writeAged(t, path, tt.content)
			err := openUnchanged(t, path, testKey(1))
			if !errors.Is(err, ErrUnusable) {
				t.Fatalf("Open: got %v, want an error wrapping ErrUnusable", err)
			}
			assertRefusal(t, err, path, tt.want)
		})
	}
}

// writeAged writes a state file with an mtime in the past, so that a
// write by Open would show.
func writeAged(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

// openUnchanged opens path with key, expecting a failure, and fails the
// test if the file's bytes or mtime changed, a build file is left, or the
// lock is still held.
func openUnchanged(t *testing.T, path string, key []byte) error {
	t.Helper()
	before, _ := os.ReadFile(path)
	fi0, _ := os.Lstat(path)
	b, err := Open(path, key)
	if err == nil {
		b.Close()
		t.Fatal("Open succeeded")
	}
	after, _ := os.ReadFile(path)
	fi1, _ := os.Lstat(path)
	if !bytes.Equal(before, after) {
		t.Errorf("Open changed the file: %d bytes before, %d after", len(before), len(after))
	}
	if fi0 == nil || fi1 == nil || !fi0.ModTime().Equal(fi1.ModTime()) || fi0.Mode() != fi1.Mode() {
		t.Errorf("Open changed the file's mtime or mode: %v → %v", fi0, fi1)
	}
	if _, err := os.Lstat(buildPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open left %s: %v", buildPath(path), err)
	}
	l, lerr := acquireLock(path, "test")
	if lerr != nil {
		t.Errorf("the failed Open kept the lock: %v", lerr)
	} else {
		l.release()
	}
	return err
}

// assertRefusal checks that err is one sentence that names path, says
// want, and says what to do.
func assertRefusal(t *testing.T, err error, path, want string) {
	t.Helper()
	msg := err.Error()
	if !strings.Contains(msg, want) || !strings.Contains(msg, path) {
		t.Errorf("error %q does not name %s and say %q", msg, path, want)
	}
	if !strings.Contains(msg, `restore the state file from a backup (README, "Backups and restoring")`) {
		t.Errorf("error %q does not say to restore from a backup", msg)
	}
	if twoSentences.MatchString(msg) {
		t.Errorf("error %q is more than one sentence", msg)
	}
}

func TestOpenRefusesEmptyBboltFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	err = openUnchanged(t, path, testKey(1))
	assertRefusal(t, err, path, "an empty bbolt database")
}

func TestOpenRefusesWhatIsNotARegularFile(t *testing.T) {
	good, _ := openTemp(t)
	good.Close()
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  string
	}{
		{"symbolic link to a state file", func(t *testing.T, path string) {
			mustDo(t, os.Symlink(good.Path(), path))
		}, "a symbolic link, which rotatord does not follow"},
		{"dangling symbolic link", func(t *testing.T, path string) {
			mustDo(t, os.Symlink(filepath.Join(t.TempDir(), "elsewhere.db"), path))
		}, "a symbolic link, which rotatord does not follow"},
		{"named pipe", func(t *testing.T, path string) {
			mustDo(t, mkfifo(path))
		}, "a named pipe, not a regular file"},
		{"directory", func(t *testing.T, path string) {
			mustDo(t, os.Mkdir(path, 0o700))
		}, "a directory, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			tt.setup(t, path)
			target, _ := os.Readlink(path)
			done := make(chan error, 1)
			go func() {
				b, err := Open(path, testKey(1))
				if err == nil {
					b.Close()
				}
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Open hangs")
			}
			if !errors.Is(err, ErrUnusable) {
				t.Fatalf("Open: got %v, want an error wrapping ErrUnusable", err)
			}
			assertRefusal(t, err, path, tt.want)
			if target != "" && target != good.Path() {
				if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("Open created the link's target %s: %v", target, err)
				}
			}
		})
	}
}

func TestOpenWrongKeyLeavesFileUnchanged(t *testing.T) {
	b, path := openTemp(t)
	put(t, b, &Secret{Name: "/a", Versions: []Version{{N: 1, AccessKeyID: "AKIA1", State: Current, Value: "v"}}})
	b.Close()
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	mustDo(t, os.Chtimes(path, old, old))
	err := openUnchanged(t, path, testKey(2))
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open: got %v, want ErrWrongKey", err)
	}
	if twoSentences.MatchString(err.Error()) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q is not one sentence naming %s", err, path)
	}
}

func TestOpenCreatesOnlyWhereNoFileIs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	// The build file of an interrupted start is replaced, not used.
	mustDo(t, os.WriteFile(buildPath(path), []byte("half a store"), 0o600))
	b, err := Open(path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	put(t, b, &Secret{Name: "/a", Versions: []Version{{N: 1, AccessKeyID: "AKIA1", State: Current, Value: "v"}}})
	b.Close()
	if _, err := os.Lstat(buildPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open left %s: %v", buildPath(path), err)
	}
	// A crash between linking the new store into place and removing its
	// build file leaves a second name, which the next Open drops.
	mustDo(t, os.Link(path, buildPath(path)))
	b, err = Open(path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, err := os.Lstat(buildPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open kept the build file's second name: %v", err)
	}
	// Reopening a healthy file neither writes nor changes it.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	mustDo(t, os.Chtimes(path, old, old))
	before, _ := os.ReadFile(path)
	b, err = Open(path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := b.Get(context.Background(), "/a"); err != nil || s.Current().Value != "v" {
		t.Errorf("Get after reopen: %v", err)
	}
	b.Close()
	after, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if !bytes.Equal(before, after) || !fi.ModTime().Equal(old) {
		t.Errorf("reopening and reading a healthy file changed it")
	}
}

func mkfifo(path string) error { return unix.Mkfifo(path, 0o600) }

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
