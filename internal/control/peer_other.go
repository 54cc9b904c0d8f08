//go:build !linux

package control

import (
	"fmt"
	"runtime"
)

// peerCred cannot read a socket's peer here: the client refuses every
// socket rather than trust one it cannot check.
func peerCred(int) (peer, error) {
	return peer{}, fmt.Errorf("peer credentials are not supported on %s", runtime.GOOS)
}
