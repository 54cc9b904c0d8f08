package config

import (
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/rotatord/rotatord/internal/safefile"
)

// controlSocket warns when another user could take the control socket's
// name: its directory (or, if that is not made yet, the nearest one that
// is) is one that others can write, even a sticky one like /tmp. Such a
// user can bind a socket there first, so that the daemon does not start,
// and answer the CLI in its place; the CLI refuses a server that is not
// root or the CLI's own user, but the name is still theirs to take.
func (r *resolver) controlSocket() {
	const path = "control_socket"
	sock := r.c.ControlSocket
	if sock == "" || r.failed(path) || !filepath.IsAbs(sock) {
		return
	}
	for dir := filepath.Dir(sock); ; dir = filepath.Dir(dir) {
		d, err := safefile.OpenDir(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist) && dir != "/":
			continue // rotatord makes the missing directories, mode 0700
		case errors.Is(err, safefile.ErrUnsafe):
			r.warnf(path, "%v; another user could take the control socket's name: put it in a directory only root can write, such as %s", err, DefaultControlSocket)
		case err == nil:
			if d.Info().OthersMayWrite() {
				r.warnf(path, "%s is in %s, which other users can write (mode %04o); one of them could take the name first: put it in a directory only root can write, such as %s", sock, dir, d.Info().Mode.Perm(), DefaultControlSocket)
			}
			d.Close()
		}
		return
	}
}
