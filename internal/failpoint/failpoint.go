//go:build !failpoints

// Package failpoint marks the places where the crash tests stop a rotation.
// In a normal build Hit does nothing and compiles away; only a binary built
// with `-tags failpoints` can be stopped, and only when the test-only
// environment variable ROTATORD_FAILPOINT names the point.
package failpoint

// Hit marks the named point. It does nothing in a normal build.
func Hit(name string) {}
