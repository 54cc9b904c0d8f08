//go:build failpoints

// Package failpoint marks the places where the crash tests stop a rotation.
// This build is armed: when ROTATORD_FAILPOINT names a point, Hit prints
// "failpoint NAME reached" on stderr and blocks forever, so that the test can
// SIGKILL the process exactly there.
package failpoint

import (
	"fmt"
	"os"
	"time"
)

// Env is the environment variable that arms one point.
const Env = "ROTATORD_FAILPOINT"

// Hit blocks forever if name is the armed point.
func Hit(name string) {
	if os.Getenv(Env) != name {
		return
	}
	fmt.Fprintf(os.Stderr, "failpoint %s reached\n", name)
	_ = os.Stderr.Sync()
	for { // sleeping, unlike select{}, never trips the deadlock detector
		time.Sleep(time.Hour)
	}
}
