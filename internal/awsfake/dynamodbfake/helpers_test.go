package dynamodbfake

import (
	"testing"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// world is a server with DynamoDB added, as the tests use it: the server's
// methods (SeedUser, FailNext, ...) and the tables' (Table, ExpireItems).
type world struct {
	*awsfake.Server
	*Tables
}

// start runs a new server with DynamoDB on loopback until the test ends.
func start(t *testing.T, opts ...awsfake.Option) (world, string) {
	t.Helper()
	s, url := awsfake.Start(t, opts...)
	return world{s, Register(s)}, url
}
