package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/safefile"
)

// TestReservedKeyFiles: a secret's key file, which Load only checked, is
// reserved by the identity Load found, under every spelling of its path,
// and stays reserved only while the path leads to that file.
func TestReservedKeyFiles(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "app.secret")
	if err := os.WriteFile(key, []byte("fakeSecretAccessKeyForReservedFilesTest1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kf, err := config.CheckKeyFile(key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Secrets: []config.RotatedSecret{{Name: "/team/app", SecretAccessKeyFile: key, KeyFile: kf}}}
	r := reservedFiles(cfg)
	info, err := safefile.Stat(key, safefile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if what, ok := r.Lookup(info.ID); !ok || !strings.Contains(what, "key file of secret /team/app") {
		t.Fatalf("Lookup(key file) = %q, %v; want it reserved as the secret's key file", what, ok)
	}
	link := filepath.Join(dir, "other-name")
	if err := os.Link(key, link); err != nil {
		t.Fatal(err)
	}
	if li, err := safefile.Stat(link, safefile.Options{}); err != nil || li.ID != info.ID {
		t.Fatalf("hard link: %v, %v", li, err)
	}
	if err := os.Remove(key); err != nil { // the path no longer leads to it
		t.Fatal(err)
	}
	if what, ok := r.Lookup(info.ID); ok {
		t.Errorf("Lookup after the key file was removed = %q, want not reserved", what)
	}
}
