package file

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rotatord/rotatord/internal/safefile"
	"github.com/rotatord/rotatord/internal/testuid"
)

// The attacks of issue 11 on a file sink, by a local user (uid 65534) who
// can write where the sink writes, or who is its configured owner. Each
// checks that the sink refuses, that no byte of the file the attacker aimed
// at reaches a file they can read, and that no root-only directory gains a
// file.

// allFormats is a sink of each format writing to path.
func allFormats(path string) []Config {
	return []Config{
		{Path: path, Format: FormatAWSCredentials, Profile: "app"},
		{Path: path, Format: FormatEnv},
		{Path: path, Format: FormatJSON},
		{Path: path, Format: FormatTemplate, Template: "{{.AccessKeyID}} {{.SecretAccessKey}}\n"},
	}
}

// protectionKey is a root-only file in a root-only directory: what the
// attacker wants.
func protectionKey(t *testing.T) (dir, path string, content []byte) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "protection.key")
	content = []byte("cm90YXRvcmQtcHJvdGVjdGlvbi1rZXktMzItYnl0ZXMhIQ==\n")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, path, content
}

// putAndHolds runs Put and Holds (the start-up check) on f and returns
// their errors; each must end within 10 s whatever is at the path.
func putAndHolds(t *testing.T, f *File) (putErr, holdsErr error) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		putErr = f.Put(context.Background(), testCred)
		_, holdsErr = f.Holds(context.Background(), testCred)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: Put or Holds hangs", f.path)
	}
	assertNoSecret(t, putErr)
	assertNoSecret(t, holdsErr)
	return putErr, holdsErr
}

// wantRefused fails unless err is a safefile refusal.
func wantRefused(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, safefile.ErrUnsafe) {
		t.Errorf("%s: err = %v, want a refusal", what, err)
	}
}

// sameContent fails unless path still holds want.
func sameContent(t *testing.T, path string, want []byte) {
	t.Helper()
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s changed: %q, %v", path, got, err)
	}
}

// noBytesOf fails if any regular file under dir holds a piece of secret.
func noBytesOf(t *testing.T, dir string, secret []byte) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return nil
		}
		if b, _ := os.ReadFile(p); bytes.Contains(b, secret[:16]) {
			t.Errorf("%s holds the protection key", p)
		}
		return nil
	})
}

func TestSymlinkAtSinkPath(t *testing.T) {
	keyDir, key, content := protectionKey(t)
	// A sticky directory such as /tmp: the only kind others may write that
	// a sink may still use; the attacker plants a link at the sink's name.
	tmp := testuid.TempDir(t)
	if err := os.Chmod(tmp, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	for _, c := range allFormats(filepath.Join(tmp, "credentials")) {
		t.Run(c.Format, func(t *testing.T) {
			os.Remove(c.Path)
			testuid.Sh(t, "ln -s "+key+" "+c.Path)
			c.Owner = "65534:65534"
			putErr, holdsErr := putAndHolds(t, newFile(t, c))
			if c.Format == FormatAWSCredentials {
				wantRefused(t, "Put", putErr)
			}
			wantRefused(t, "Holds", holdsErr)
			sameContent(t, key, content)
			noBytesOf(t, tmp, content)
			assertOnlyFiles(t, keyDir, "protection.key")
		})
	}
}

func TestSymlinkInSinkParent(t *testing.T) {
	keyDir, key, content := protectionKey(t)
	home := testuid.TempDir(t)
	testuid.Chown(t, home) // the consumer's own directory
	testuid.Sh(t, "ln -s "+keyDir+" "+filepath.Join(home, "aws"))
	for _, c := range allFormats(filepath.Join(home, "aws", "protection.key")) {
		t.Run(c.Format, func(t *testing.T) {
			putErr, holdsErr := putAndHolds(t, newFile(t, c))
			wantRefused(t, "Put", putErr)
			wantRefused(t, "Holds", holdsErr)
			sameContent(t, key, content)
			assertOnlyFiles(t, keyDir, "protection.key")
		})
	}
	// Even a link root made: the walk follows none.
	root := testuid.TempDir(t)
	if err := os.Symlink(keyDir, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, c := range allFormats(filepath.Join(root, "link", "new.ini")) {
		putErr, holdsErr := putAndHolds(t, newFile(t, c))
		wantRefused(t, c.Format+" Put", putErr)
		wantRefused(t, c.Format+" Holds", holdsErr)
		assertOnlyFiles(t, keyDir, "protection.key")
	}
}

func TestSinkDirectoryOfAnotherUser(t *testing.T) {
	home := testuid.TempDir(t)
	testuid.Chown(t, home)
	for _, c := range allFormats(filepath.Join(home, "credentials")) {
		t.Run(c.Format, func(t *testing.T) {
			putErr, holdsErr := putAndHolds(t, newFile(t, c))
			wantRefused(t, "Put", putErr)
			wantRefused(t, "Holds", holdsErr)
			assertOnlyFiles(t, home)
		})
	}
}

func TestFIFOAndDeviceAtSinkPath(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "credentials")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		for _, c := range allFormats(path) {
			putErr, holdsErr := putAndHolds(t, newFile(t, c))
			if c.Format == FormatAWSCredentials || path == fifo {
				wantRefused(t, path+" "+c.Format+" Put", putErr)
			}
			wantRefused(t, path+" "+c.Format+" Holds", holdsErr)
		}
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v %v", fi, err)
	}
	if fi, err := os.Stat("/dev/zero"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/zero: %v %v", fi, err)
	}
}

func TestHardLinkToOwnFile(t *testing.T) {
	dir, key, content := protectionKey(t)
	link := filepath.Join(dir, "credentials")
	if err := os.Link(key, link); err != nil {
		t.Fatal(err)
	}
	var r safefile.Reserved
	if err := r.Add(key, "protection key"); err != nil {
		t.Fatal(err)
	}
	for _, c := range allFormats(link) {
		f, err := New(c, WithReserved(&r))
		if err != nil {
			t.Fatal(err)
		}
		putErr, holdsErr := putAndHolds(t, f)
		wantRefused(t, c.Format+" Put", putErr)
		wantRefused(t, c.Format+" Holds", holdsErr)
		sameContent(t, key, content)
	}
	// Without the reservation a read still refuses a file with two names.
	_, err := newFile(t, Config{Path: link}).Holds(context.Background(), testCred)
	wantRefused(t, "Holds without reservation", err)
	// And the reserved file by another spelling of its path.
	c := Config{Path: filepath.Join(dir, ".", "x", "..", "protection.key"), Format: FormatEnv}
	f, err := New(c, WithReserved(&r))
	if err != nil {
		t.Fatal(err)
	}
	wantRefused(t, "Put over the protection key", f.Put(context.Background(), testCred))
	sameContent(t, key, content)
}

func TestOwnerMayNotRedirect(t *testing.T) {
	// The sink's owner owns the file, not the directory: they can change
	// the file's contents (theirs to see) but cannot swap it for a link.
	dir := testuid.TempDir(t)
	c := Config{Path: filepath.Join(dir, "credentials"), Owner: "65534:65534", Profile: "app"}
	f := newFile(t, c)
	if err := f.Put(context.Background(), testCred); err != nil {
		t.Fatal(err)
	}
	testuid.Sh(t, "printf '[other]\\naws_access_key_id = X\\n' >> "+c.Path)
	out, err := testuid.Command(t.Context(), "/bin/sh", "-c", "ln -sf /etc/shadow "+c.Path).CombinedOutput()
	if err == nil {
		t.Fatalf("the owner replaced the file in a root-owned directory: %s", out)
	}
	if err := f.Put(context.Background(), testCred); err != nil {
		t.Fatal(err)
	}
	if got := testuid.Sh(t, "cat "+c.Path); !bytes.Contains([]byte(got), []byte("[other]")) {
		t.Fatalf("the owner's own profile was lost: %q", got)
	}
}
