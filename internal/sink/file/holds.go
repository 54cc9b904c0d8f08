package file

import (
	"bytes"
	"context"

	"github.com/rotatord/rotatord/internal/sink"
)

// Holds reports whether the file already holds c exactly as Put would write
// it. A missing file (a tmpfs after a reboot, a new pod's emptyDir) holds
// nothing. Errors never contain the file's contents.
func (f *File) Holds(ctx context.Context, c sink.Credential) (bool, error) {
	unlock, err := lockPath(ctx, f.path)
	if err != nil {
		return false, f.errorf("%w", err)
	}
	defer unlock()
	d, err := f.openDir()
	if err != nil {
		return false, f.errorf("%w", err)
	}
	defer d.Close()
	old, err := f.readExisting(d)
	if err != nil {
		return false, f.errorf("read: %w", err)
	}
	if old == nil {
		return false, nil
	}
	base := old
	if f.format != FormatAWSCredentials {
		base = nil
	}
	want, err := f.render(base, c)
	if err != nil {
		return false, f.errorf("%w", err)
	}
	return bytes.Equal(old, want), nil
}
