// Command rotatord rotates AWS IAM access keys on a schedule and delivers
// the new keys to where applications read them. See README.md.
package main

import (
	"context"
	"fmt"
	"os"
	_ "time/tzdata" // rotation_timezone's zones, in a container without /usr/share/zoneinfo

	_ "github.com/rotatord/rotatord/internal/sink/kinds" // the sink types a configuration may name
)

func main() {
	// Before anything reads a key: no core file, no same-uid ptrace.
	if err := forbidCoreDumps(); err != nil {
		fmt.Fprintf(os.Stderr, "rotatord: refusing to run where a core dump could hold the keys: %v\n", err)
		os.Exit(exitFailed)
	}
	// The first SIGINT/SIGTERM cancels ctx; a second one exits at once.
	ctx, stop := signalContext(context.Background(), os.Stderr, os.Exit)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
