package ssmfake

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
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

// fakeClock is a settable clock for awsfake.WithClock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sdkConfig builds an SDK config explicitly, never from the environment.
func sdkConfig(c aws.Credentials) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func after(f awsfake.Fault) awsfake.Fault {
	f.After = true
	return f
}
