package smfake

import (
	"testing"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// world is a server with Secrets Manager added, as the tests use it: the server's
// methods (SeedUser, FailNext, ...) and the secrets' (Secret, SecretValue).
type world struct {
	*awsfake.Server
	*Secrets
}

// start runs a new server with Secrets Manager on loopback until the test ends.
func start(t *testing.T, opts ...awsfake.Option) (world, string) {
	t.Helper()
	s, url := awsfake.Start(t, opts...)
	return world{s, Register(s)}, url
}
