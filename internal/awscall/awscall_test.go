package awscall_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rotatord/rotatord/internal/awscall"
	"github.com/rotatord/rotatord/internal/awsfake"
)

// client is an STS client of awsfake as user, with bounds applied in
// order.
func client(url string, user aws.Credentials, bounds ...time.Duration) *sts.Client {
	cfg := aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(user.AccessKeyID, user.SecretAccessKey, ""),
	}
	for _, d := range bounds {
		awscall.Bound(&cfg, d)
	}
	return sts.NewFromConfig(cfg)
}

// call makes one GetCallerIdentity that awsfake holds until the test ends,
// and returns how long it took and its error. It fails the test if the call
// is still running after a minute.
func call(t *testing.T, ctx context.Context, c *sts.Client, fake *awsfake.Server) (time.Duration, error) {
	t.Helper()
	hold := fake.Hold("GetCallerIdentity")
	t.Cleanup(hold.Release)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := c.GetCallerIdentity(ctx, nil)
		done <- err
	}()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-time.After(time.Minute):
		t.Fatal("a held call is still running after a minute: no deadline")
		return 0, nil
	}
}

// TestBoundEndsAHeldCall: a call that AWS never answers ends at the
// shortest bound with ErrTimeout, saying how long it waited, whichever order
// the bounds were added in.
func TestBoundEndsAHeldCall(t *testing.T) {
	fake, url := awsfake.Start(t)
	user := fake.SeedUser("u", false)
	for _, tc := range []struct {
		name   string
		bounds []time.Duration
	}{
		{"one bound", []time.Duration{200 * time.Millisecond}},
		{"shorter added last", []time.Duration{time.Hour, 200 * time.Millisecond}},
		{"shorter added first", []time.Duration{200 * time.Millisecond, time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			took, err := call(t, context.Background(), client(url, user, tc.bounds...), fake)
			if !errors.Is(err, awscall.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want an error wrapping ErrTimeout and DeadlineExceeded", err)
			}
			if !strings.Contains(err.Error(), "GetCallerIdentity") || !strings.Contains(err.Error(), "no answer within 200ms") {
				t.Errorf("error %q does not name the call and its 200ms bound", err)
			}
			if took < 200*time.Millisecond || took > 5*time.Second {
				t.Errorf("the call ended after %s, want about 200ms", took)
			}
		})
	}
}

// TestBoundKeepsTheCallersDeadline: a caller's earlier deadline still
// ends the call (reported as a timeout of that length), and a caller that
// cancels gets its cancellation, not a timeout.
func TestBoundKeepsTheCallersDeadline(t *testing.T) {
	fake, url := awsfake.Start(t)
	user := fake.SeedUser("u", false)
	c := client(url, user, time.Hour)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	took, err := call(t, ctx, c, fake)
	if !errors.Is(err, awscall.ErrTimeout) || took > 5*time.Second {
		t.Errorf("under a 200ms caller deadline: got %v after %s, want ErrTimeout at once", err, took)
	}
	if err != nil && strings.Contains(err.Error(), "within 1h") {
		t.Errorf("under a 200ms caller deadline, the error names the hour's bound: %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = call(t, ctx, c, fake)
	if !errors.Is(err, context.Canceled) || errors.Is(err, awscall.ErrTimeout) {
		t.Errorf("after the caller cancelled: got %v, want context.Canceled and no ErrTimeout", err)
	}
}

// TestBoundNamesItselfUnderTheSameDeadline: a caller that bounds the call
// with the same duration a moment earlier (as iamrotate does) gets the
// bound in the message, not a millisecond less.
func TestBoundNamesItselfUnderTheSameDeadline(t *testing.T) {
	fake, url := awsfake.Start(t)
	user := fake.SeedUser("u", false)
	const bound = 300 * time.Millisecond
	c := client(url, user, bound)
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	time.Sleep(5 * time.Millisecond) // the caller's deadline is set before the call starts, here by more than a rounding
	_, err := call(t, ctx, c, fake)
	if !errors.Is(err, awscall.ErrTimeout) || !strings.Contains(err.Error(), "no answer within 300ms") {
		t.Errorf("got %v, want ErrTimeout saying \"no answer within 300ms\"", err)
	}
}

// TestBoundLetsAnsweredCallsThrough: calls that AWS answers are unchanged.
func TestBoundLetsAnsweredCallsThrough(t *testing.T) {
	fake, url := awsfake.Start(t)
	user := fake.SeedUser("u", false)
	out, err := client(url, user, 5*time.Second).GetCallerIdentity(context.Background(), nil)
	if err != nil || !strings.HasSuffix(aws.ToString(out.Arn), ":user/u") {
		t.Fatalf("GetCallerIdentity = %v, %v; want user u's ARN", out, err)
	}
}
