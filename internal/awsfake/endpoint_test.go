package awsfake

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

// TestAccountRate: beyond the bucket, IAM answers Throttling as IAM does,
// whatever key signs, and the SDK's retryer sees a throttle; STS is not
// limited.
func TestAccountRate(t *testing.T) {
	// A bucket of 3 that refills once a day: exactly 3 calls pass.
	s, url := Start(t, WithAccountRate(1.0/86400, 3))
	a := awstest.IAM(url, s.SeedUser("admin", true))
	b := awstest.IAM(url, s.SeedUser("other-admin", true))
	for i, c := range []*iam.Client{a, b, a} {
		if _, err := c.ListUsers(t.Context(), &iam.ListUsersInput{}); err != nil {
			t.Fatalf("call %d within the burst: %v", i, err)
		}
	}
	_, err := b.ListUsers(t.Context(), &iam.ListUsersInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want an API error", err)
	}
	if ae.ErrorCode() != "Throttling" || ae.ErrorMessage() != "Rate exceeded" {
		t.Errorf("got %s: %s, want Throttling: Rate exceeded", ae.ErrorCode(), ae.ErrorMessage())
	}
	if got := awstest.HTTPStatus(err); got != http.StatusBadRequest {
		t.Errorf("got status %d, want 400", got)
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Errorf("the SDK's retryer does not take %v for throttling", err)
	}
	if got := s.Throttled(); got != 1 {
		t.Errorf("Throttled() = %d, want 1", got)
	}
	if _, err := awstest.STS(url, s.SeedUser("carol", false)).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("STS is not limited by IAM's rate: %v", err)
	}
	s.SetAccountRate(0, 0)
	if _, err := a.ListUsers(t.Context(), &iam.ListUsersInput{}); err != nil {
		t.Errorf("with the rate off: %v", err)
	}
}

// TestConnectionClose: every answer closes its connection, so each call
// dials a new one.
func TestConnectionClose(t *testing.T) {
	for _, closing := range []bool{false, true} {
		var opts []Option
		if closing {
			opts = append(opts, WithConnectionClose())
		}
		s, url := Start(t, opts...)
		c := awstest.IAM(url, s.SeedUser("admin", true))
		var reused atomic.Int32
		ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) {
				if i.Reused {
					reused.Add(1)
				}
			},
		})
		for range 4 {
			if _, err := c.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := reused.Load() == 0, closing; got != want {
			t.Errorf("close=%v: %d of 4 calls reused a connection", closing, reused.Load())
		}
	}
}

// TestRealisticResponses: the indented answer is the same document,
// larger, with its RequestId, and the SDK reads it.
func TestRealisticResponses(t *testing.T) {
	sizes := map[bool]int{}
	for _, real := range []bool{false, true} {
		var opts []Option
		if real {
			opts = append(opts, WithRealisticResponses())
		}
		s := New(opts...)
		admin := s.SeedUser("admin", true)
		body := captureBody(t, s, admin)
		sizes[real] = len(body)
		if !bytes.Contains(body, []byte("<RequestId>")) || !bytes.Contains(body, []byte("<UserName>admin</UserName>")) {
			t.Errorf("realistic=%v: answer lacks its RequestId or user:\n%s", real, body)
		}
		if got := bytes.Contains(body, []byte("\n    <User>")); got != real {
			t.Errorf("realistic=%v: indented %v:\n%s", real, got, body)
		}
		ts := httptest.NewServer(s)
		out, err := awstest.IAM(ts.URL, admin).GetUser(t.Context(), &iam.GetUserInput{})
		ts.Close()
		if err != nil || aws.ToString(out.User.UserName) != "admin" {
			t.Errorf("realistic=%v: GetUser got %v, %v", real, out, err)
		}
	}
	if sizes[true] <= sizes[false] {
		t.Errorf("realistic answer %d bytes, compact %d: want larger", sizes[true], sizes[false])
	}
}

// captureBody returns the body of a GetUser answer of s, signed by c.
func captureBody(t *testing.T, s *Server, c aws.Credentials) []byte {
	t.Helper()
	var body []byte
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		body = rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = io.Copy(w, bytes.NewReader(body))
	}))
	defer ts.Close()
	if _, err := awstest.IAM(ts.URL, c).GetUser(context.Background(), &iam.GetUserInput{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(body), "<GetUserResponse") {
		t.Fatalf("answer:\n%s", body)
	}
	return body
}
