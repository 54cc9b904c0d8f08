package control

import (
	"errors"
	"fmt"
	"net"
	"os"
)

// ErrUntrusted: the process listening on the control socket is neither
// root nor the client's own user, so its answers (a revealed key above
// all) cannot be trusted: anyone who can write the socket's directory can
// put a socket there that answers like the daemon.
var ErrUntrusted = errors.New("the control socket is served by another user")

// peer is who listens on a unix socket, as the kernel recorded it when
// that process called listen(2) (SO_PEERCRED): it cannot be forged.
type peer struct {
	UID uint32
	PID int32
}

// peerOf returns who serves the other end of the connected unix socket c.
func peerOf(c net.Conn) (peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return peer{}, fmt.Errorf("not a unix socket connection (%T)", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return peer{}, err
	}
	var p peer
	var perr error
	if err := raw.Control(func(fd uintptr) { p, perr = peerCred(int(fd)) }); err != nil {
		return peer{}, err
	}
	return p, perr
}

// trusted reports whether a socket served by p may be believed by a
// process running as uid self: root's, or self's own.
func (p peer) trusted(self int) bool {
	return p.UID == 0 || int64(p.UID) == int64(self)
}

// verifyPeer checks, before anything is sent on c, that the control
// socket at path is served by root or by this process's user. The error
// wraps ErrUntrusted and says what to do.
func verifyPeer(c net.Conn, path string) error {
	p, err := peerOf(c)
	if err != nil {
		return fmt.Errorf("control socket %s: cannot tell who serves it (SO_PEERCRED): %w; refusing to use it", path, err)
	}
	return checkPeer(path, p, os.Geteuid())
}

// checkPeer is verifyPeer's decision, for a process running as uid self.
func checkPeer(path string, p peer, self int) error {
	if p.trusted(self) {
		return nil
	}
	return &untrustedError{path: path, peer: p, self: self}
}

// untrustedError is a control socket served by another user. It wraps
// ErrUntrusted.
type untrustedError struct {
	path string
	peer peer
	self int
}

func (e *untrustedError) Error() string {
	want := "root"
	if e.self != 0 {
		want = fmt.Sprintf("root or uid %d (you)", e.self)
	}
	return fmt.Sprintf("control socket %s is served by uid %d (pid %d), not by %s: refusing to talk to it, "+
		"since another user's process could answer with a forged key; find out who made it (ls -l %s), "+
		"stop that process, remove the socket, and set control_socket to a directory only root "+
		"(or rotatord's user) can write", e.path, e.peer.UID, e.peer.PID, want, e.path)
}

func (e *untrustedError) Unwrap() error { return ErrUntrusted }
