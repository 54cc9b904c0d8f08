//go:build !linux

package main

// forbidCoreDumps does nothing outside Linux: rotatord's hardening against
// core dumps (prctl PR_SET_DUMPABLE, RLIMIT_CORE) is Linux's. Elsewhere,
// turn core dumps off for the service (ulimit -c 0).
func forbidCoreDumps() error { return nil }
