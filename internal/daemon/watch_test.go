package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWatchFile: an editor's write-temp-and-rename and a Kubernetes
// ConfigMap's symlink swap both signal; a touch that changes nothing does
// not.
func TestWatchFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The ConfigMap layout: rotatord.yaml -> ..data/rotatord.yaml, ..data -> ..v1.
	if err := os.Mkdir(filepath.Join(dir, "..v1"), 0o700); err != nil {
		t.Fatal(err)
	}
	write("..v1/rotatord.yaml", "version: 1\n")
	must(t, os.Symlink("..v1", filepath.Join(dir, "..data")))
	must(t, os.Symlink("..data/rotatord.yaml", filepath.Join(dir, "rotatord.yaml")))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed, err := watchFile(ctx, filepath.Join(dir, "rotatord.yaml"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	expect := func(what string, want bool) {
		t.Helper()
		select {
		case <-changed:
			if !want {
				t.Fatalf("%s: signalled a change", what)
			}
		case <-time.After(5 * debounce):
			if want {
				t.Fatalf("%s: no change signalled", what)
			}
		}
	}
	// Swap the symlink as the kubelet does.
	must(t, os.Mkdir(filepath.Join(dir, "..v2"), 0o700))
	write("..v2/rotatord.yaml", "version: 1\nworkers: 2\n")
	must(t, os.Symlink("..v2", filepath.Join(dir, "..data_tmp")))
	must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	expect("symlink swap", true)

	// A touch with the same content.
	now := time.Now()
	must(t, os.Chtimes(filepath.Join(dir, "..v2/rotatord.yaml"), now, now))
	write("unrelated.txt", "x")
	expect("unchanged content", false)

	// An editor: write a temp file, rename it over the (now plain) file.
	must(t, os.Remove(filepath.Join(dir, "rotatord.yaml")))
	write(".rotatord.yaml.swp", "version: 1\nworkers: 3\n")
	must(t, os.Rename(filepath.Join(dir, ".rotatord.yaml.swp"), filepath.Join(dir, "rotatord.yaml")))
	expect("write-temp-and-rename", true)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
