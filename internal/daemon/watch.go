package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/rotatord/rotatord/internal/safefile"
)

// debounce lets an editor's burst of events (write temp, rename, chmod)
// settle into one reload.
const debounce = 200 * time.Millisecond

// watchFile follows the configuration file and signals on the returned
// channel when its content changed. It watches the directory, not the file:
// editors replace the file by renaming a temp file over it, and Kubernetes
// swaps a ConfigMap's files through a symlink (..data), events the file's
// own watch would miss. Content is compared, so a touch is no change.
func watchFile(ctx context.Context, path string, log *slog.Logger) (<-chan struct{}, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", path, err)
	}
	if err := w.Add(filepath.Dir(path)); err != nil {
		w.Close()
		return nil, fmt.Errorf("watch %s: %w", path, err)
	}
	out := make(chan struct{}, 1)
	last := digest(path)
	go func() {
		defer w.Close()
		var timer <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-w.Events:
				if !ok {
					return
				}
				timer = time.After(debounce)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				log.Warn("watching the configuration file", "err", err)
			case <-timer:
				timer = nil
				if d := digest(path); !bytes.Equal(d, last) {
					last = d
					select {
					case out <- struct{}{}:
					default: // a reload is already signalled
					}
				}
			}
		}
	}()
	return out, nil
}

// maxWatched caps what digest reads, as config.Load caps the file.
const maxWatched = 512 << 20

// digest hashes the file's content, read as config.Load reads it (through
// safefile); nil if that fails, which Load will report.
func digest(path string) []byte {
	data, _, err := safefile.ReadFile(path, safefile.Options{Limit: maxWatched, FollowLinks: true})
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(data)
	return sum[:]
}
