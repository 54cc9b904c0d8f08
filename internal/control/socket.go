package control

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rotatord/rotatord/internal/safefile"
)

// probeTimeout bounds the dial that tells a live socket from a stale one.
const probeTimeout = 2 * time.Second

// listenPrivate binds a unix socket at path that nobody but this user (and
// root) can connect to at any moment.
//
// The socket is bound inside a fresh directory of mode 0700 (os.MkdirTemp)
// next to path, chmod'ed to 0600 there, and only then hard-linked to path.
// While its mode is still what the umask made it, no other user can reach
// it: connecting needs search permission on every directory of the path.
// link(2) never replaces an existing file, so a daemon starting at the same
// moment cannot be silently displaced. The process-wide umask is left alone.
//
// It returns the listener (which does not unlink on Close; see
// removeSocket) and the socket file's identity at path.
func listenPrivate(ctx context.Context, path string) (*net.UnixListener, fs.FileInfo, error) {
	// The directory is made or opened through safefile: no link on the
	// way, and no directory another user can write but a sticky one (where
	// another user may still take the name first: validate warns, and
	// clearStale and the client's peer check catch it). Below it the
	// socket's names are used by path: nobody else can swap them.
	dir := filepath.Dir(path)
	d, err := safefile.MkdirAll(dir, 0o700)
	if err != nil {
		return nil, nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	d.Close()
	if err := clearStale(ctx, path); err != nil {
		return nil, nil, err
	}
	tmpDir, err := os.MkdirTemp(dir, ".rc")
	if err != nil {
		return nil, nil, fmt.Errorf("control socket %s: create private directory: %w", path, err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, nil, fmt.Errorf("control socket %s: listen: %w", path, err)
	}
	ln.SetUnlinkOnClose(false)
	fail := func(format string, err error) (*net.UnixListener, fs.FileInfo, error) {
		_ = ln.Close()
		return nil, nil, fmt.Errorf("control socket %s: "+format, path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // in our own 0700 directory
		return fail("chmod 0600: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fail("another process created it while this one started: %w", err)
		}
		return fail("move into place: %w", err)
	}
	info, err := os.Lstat(path)
	if err != nil {
		return fail("stat: %w", err)
	}
	return ln, info, nil
}

// clearStale makes way for a new socket at path: nothing there is fine; a
// socket nobody answers on (connection refused) is removed; a socket that
// answers, or a file that is not a socket, is an error, which says whether
// the process answering is another user's.
func clearStale(ctx context.Context, path string) error {
	before, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if before.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control socket %s: a file that is not a socket is in the way", path)
	}
	live, p, err := probe(ctx, path)
	if err != nil {
		return fmt.Errorf("control socket %s: check for a running daemon: %w", path, err)
	}
	if live {
		if !p.trusted(os.Geteuid()) {
			return fmt.Errorf("control socket %s: a process of another user (uid %d, pid %d) listens there, not a rotatord "+
				"of this user or root: it may be impersonating the daemon; stop it, remove the socket, and set "+
				"control_socket to a directory only root (or rotatord's user) can write", path, p.UID, p.PID)
		}
		return fmt.Errorf("another rotatord is serving on %s (pid %d)", path, p.PID)
	}
	// Remove the file we probed, not one that replaced it meanwhile.
	if now, err := os.Lstat(path); err == nil && !os.SameFile(before, now) {
		return fmt.Errorf("control socket %s: replaced by another process while this one started", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("control socket %s: remove stale socket: %w", path, err)
	}
	return nil
}

// probe reports whether something accepts connections on the socket at
// path, and who: false (and no error) when the file is missing or nobody
// listens.
func probe(ctx context.Context, path string) (bool, peer, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		defer c.Close()
		p, err := peerOf(c)
		if err != nil {
			return true, peer{}, fmt.Errorf("cannot tell who listens (SO_PEERCRED): %w", err)
		}
		return true, p, nil
	}
	if isNoDaemon(err) {
		return false, peer{}, nil
	}
	return false, peer{}, err
}

// isNoDaemon tells the dial errors that mean "no daemon here": the socket
// file is missing, or nobody listens on it.
func isNoDaemon(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)
}

// removeSocket removes the socket file at path if it is still the one
// described by info, so that a daemon never removes its successor's socket.
func removeSocket(path string, info fs.FileInfo) error {
	now, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if !os.SameFile(info, now) {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("control socket %s: remove: %w", path, err)
	}
	return nil
}
