package dynamodbfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
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

// errCode returns the API error code of err, or "" if err is nil or not
// an API error.
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wantCode fails the test unless err is an API error with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := errCode(err); got != code {
		t.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
}

// errMessage returns the API error message of err, or "".
func errMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
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

// signedJSONRequest builds a SigV4-signed awsJson request, as the Secrets
// Manager or SSM clients send.
func signedJSONRequest(t *testing.T, url string, creds aws.Credentials, service, target string) *http.Request {
	t.Helper()
	body := []byte(`{"SecretId":"x"}`)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}
