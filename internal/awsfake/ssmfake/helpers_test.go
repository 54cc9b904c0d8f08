package ssmfake

import (
	"testing"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// world is a server with SSM Parameter Store added, as the tests use it: the server's
// methods (SeedUser, FailNext, ...) and the parameters' (Parameter).
type world struct {
	*awsfake.Server
	*Parameters
}

// start runs a new server with SSM Parameter Store on loopback until the test ends.
func start(t *testing.T, opts ...awsfake.Option) (world, string) {
	t.Helper()
	s, url := awsfake.Start(t, opts...)
	return world{s, Register(s)}, url
}
