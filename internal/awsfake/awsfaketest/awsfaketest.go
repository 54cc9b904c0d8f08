// Package awsfaketest runs an awsfake.Server with every service rotatord
// talks to: IAM and STS (built into awsfake), Secrets Manager (smfake),
// SSM Parameter Store (ssmfake) and DynamoDB (dynamodbfake). It is for
// tests and the benchmark: the rotatord binary must not import it, nor
// the service packages, so that it ships IAM and STS only (for `rotatord
// demo`).
package awsfaketest

import (
	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/awsfake/dynamodbfake"
	"github.com/rotatord/rotatord/internal/awsfake/smfake"
	"github.com/rotatord/rotatord/internal/awsfake/ssmfake"
)

// Server is an awsfake.Server with all services added. Its methods are
// the server's (SeedUser, FailNext, Unhandled, ...) and the services'
// direct helpers: Secret and SecretValue, Parameter, Table and
// ExpireItems.
type Server struct {
	*awsfake.Server
	*smfake.Secrets
	*ssmfake.Parameters
	*dynamodbfake.Tables
}

// New returns a Server configured by opts, with all services added.
func New(opts ...awsfake.Option) *Server { return withAll(awsfake.New(opts...)) }

// Start runs a new Server on a loopback httptest server and returns it
// with its base URL (for BaseEndpoint), as awsfake.Start does. Both are
// closed when the test ends.
func Start(t awsfake.TB, opts ...awsfake.Option) (*Server, string) {
	t.Helper()
	s, url := awsfake.Start(t, opts...)
	return withAll(s), url
}

// withAll adds every service to s, which has answered no request yet.
func withAll(s *awsfake.Server) *Server {
	return &Server{
		Server:     s,
		Secrets:    smfake.Register(s),
		Parameters: ssmfake.Register(s),
		Tables:     dynamodbfake.Register(s),
	}
}
