package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockFileIsNeverFollowed(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, lock, victim string)
		want  string
	}{
		{"symbolic link", func(t *testing.T, lock, victim string) {
			mustDo(t, os.Symlink(victim, lock))
		}, "is a symbolic link, which rotatord does not follow"},
		{"dangling symbolic link", func(t *testing.T, lock, victim string) {
			mustDo(t, os.Symlink(victim+".absent", lock))
		}, "is a symbolic link, which rotatord does not follow"},
		{"hard link", func(t *testing.T, lock, victim string) {
			mustDo(t, os.Link(victim, lock))
		}, "has 2 hard links, want 1"},
		{"named pipe", func(t *testing.T, lock, _ string) {
			mustDo(t, mkfifo(lock))
		}, "is a named pipe, not a regular file"},
		{"directory", func(t *testing.T, lock, _ string) {
			mustDo(t, os.Mkdir(lock, 0o700))
		}, "open lock file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state.db")
			victim := filepath.Join(t.TempDir(), "protection.key")
			mustDo(t, os.WriteFile(victim, []byte("precious\n"), 0o600))
			tt.setup(t, path+".lock", victim)
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
				t.Fatal("Open hangs on the lock file")
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open: got %v, want %q", err, tt.want)
			}
			if got, _ := os.ReadFile(victim); string(got) != "precious\n" {
				t.Errorf("the lock file's target was changed to %q", got)
			}
			if _, err := os.Stat(victim + ".absent"); err == nil {
				t.Error("Open created the dangling link's target")
			}
			if _, err := os.Lstat(path); err == nil {
				t.Error("Open created the state file though it could not lock it")
			}
		})
	}
}
