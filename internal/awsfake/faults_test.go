package awsfake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		code       string // "" for a dropped connection
		status     int
		typed      func(error) bool
		tookEffect bool // whether the key was created anyway
	}{
		{"throttling", Throttling, "Throttling", 400, nil, false},
		{"service failure", ServiceFailure, "ServiceFailure", 500, awstest.IsType[*types.ServiceFailureException], false},
		{"service failure after effect", ServiceFailure.AfterEffect(), "ServiceFailure", 500, awstest.IsType[*types.ServiceFailureException], true},
		{"custom 503", Fault{Status: 503, Code: "ServiceUnavailable", Message: "try later"}, "ServiceUnavailable", 503, nil, false},
		{"dropped before effect", Drop, "", 0, awstest.IsType[*smithyhttp.RequestSendError], false},
		{"dropped after effect", Drop.AfterEffect(), "", 0, awstest.IsType[*smithyhttp.RequestSendError], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, url := Start(t)
			c := awstest.IAM(url, s.SeedUser("admin", true))
			if err := s.AddUser("alice", false); err != nil {
				t.Fatal(err)
			}
			before := len(s.Keys("alice"))
			s.FailNext("CreateAccessKey", 1, tt.fault)

			_, err := c.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
			if err == nil {
				t.Fatal("got success, want the fault")
			}
			awstest.WantCode(t, err, tt.code)
			if got := awstest.HTTPStatus(err); got != tt.status {
				t.Errorf("got HTTP status %d, want %d (%v)", got, tt.status, err)
			}
			if tt.typed != nil && !tt.typed(err) {
				t.Errorf("got %v, want the SDK's typed error", err)
			}
			want := before
			if tt.tookEffect {
				want++
			}
			if got := len(s.Keys("alice")); got != want {
				t.Errorf("alice has %d keys after the fault, want %d", got, want)
			}

			// The fault is spent: the next call goes through.
			if _, err := c.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String("alice")}); err != nil {
				t.Errorf("second call: %v", err)
			}
			if got := s.Calls("CreateAccessKey"); got != 2 {
				t.Errorf("Calls = %d, want 2", got)
			}
		})
	}
}

func TestFailNextCountsAndQueues(t *testing.T) {
	s, url := Start(t)
	c := awstest.STS(url, s.SeedUser("alice", false))
	s.FailNext("GetCallerIdentity", 2, Throttling)
	s.FailNext("GetCallerIdentity", 1, ServiceFailure)
	var got []string
	for range 4 {
		_, err := c.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		got = append(got, awstest.Code(err))
	}
	want := []string{"Throttling", "Throttling", "ServiceFailure", ""}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got codes %q, want %q", got, want)
		}
	}
	if n := s.Calls("GetCallerIdentity"); n != 4 {
		t.Errorf("Calls = %d, want 4", n)
	}
	if n := s.Calls("AssumeRole"); n != 0 {
		t.Errorf("Calls(AssumeRole) = %d, want 0", n)
	}
}

func TestLatency(t *testing.T) {
	s, url := Start(t)
	c := awstest.IAM(url, s.SeedUser("admin", true))

	s.SetLatency("GetUser", 20*time.Millisecond)
	start := time.Now()
	if _, err := c.GetUser(t.Context(), &iam.GetUserInput{}); err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("call took %v, want at least the 20ms latency", d)
	}

	// A client that gives up during the latency leaves no effect behind.
	s.SetLatency("CreateAccessKey", time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the client's deadline", err)
	}
	if n := len(s.Keys("admin")); n != 1 {
		t.Errorf("admin has %d keys, want 1: the delayed call took effect", n)
	}
}

func TestHoldTakesEffectAfterClientLeft(t *testing.T) {
	s, url := Start(t)
	c := awstest.IAM(url, s.SeedUser("admin", true))
	h := s.Hold("CreateAccessKey")

	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
		errc <- err
	}()
	<-h.Reached()
	if n := len(s.Keys("admin")); n != 1 {
		t.Fatalf("admin has %d keys while held, want 1", n)
	}
	cancel() // the client dies with the call open
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	h.Release()
	<-h.Done()
	if n := len(s.Keys("admin")); n != 2 {
		t.Errorf("admin has %d keys after release, want 2", n)
	}
}

func TestCloseReleasesHolds(t *testing.T) {
	s, url := Start(t)
	c := awstest.STS(url, s.SeedUser("alice", false))
	h := s.Hold("GetCallerIdentity")
	errc := make(chan error, 1)
	go func() {
		_, err := c.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		errc <- err
	}()
	<-h.Reached()
	s.Close()
	if err := <-errc; err != nil {
		t.Fatalf("held call after Close: %v", err)
	}
	// Later holds do not block.
	s.Hold("GetCallerIdentity")
	if _, err := c.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("call after Close: %v", err)
	}
}

// TestThrottleRandomlyAndCallLog: about the given fraction of calls is
// throttled, and every call is logged with its arrival time.
func TestThrottleRandomlyAndCallLog(t *testing.T) {
	s, url := Start(t)
	k := s.SeedUser("u", true)
	s.RecordCalls(true)
	s.ThrottleRandomly(0.3, 1)
	c := awstest.IAM(url, k)
	throttled := 0
	const n = 400
	for range n {
		_, err := c.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{})
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "Throttling" {
			throttled++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if throttled < n*20/100 || throttled > n*40/100 {
		t.Errorf("%d of %d calls throttled, want about 30%%", throttled, n)
	}
	log := s.CallLog()
	if len(log) != n {
		t.Fatalf("call log holds %d calls, want %d", len(log), n)
	}
	for i, r := range log {
		if r.Service != "iam" || r.Action != "ListAccessKeys" || r.At.IsZero() || i > 0 && r.At.Before(log[i-1].At) {
			t.Fatalf("call %d logged as %+v", i, r)
		}
	}
}
