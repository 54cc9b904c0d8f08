package control

import "golang.org/x/sys/unix"

// peerCred reads SO_PEERCRED of the connected unix socket fd.
func peerCred(fd int) (peer, error) {
	u, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return peer{}, err
	}
	return peer{UID: u.Uid, PID: u.Pid}, nil
}
