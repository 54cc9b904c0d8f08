// Package awscall bounds every AWS API call rotatord makes. A peer that
// accepts a connection and never answers (a stuck proxy, a firewall that
// drops packets, a hung endpoint) would otherwise hold a worker, a lease
// renewal or a shutdown forever: the SDK's HTTP client has no overall
// timeout of its own.
//
// Bound adds a middleware to an aws.Config: each operation, its retries
// included, runs under a deadline, and a call that reaches it fails with an
// error wrapping ErrTimeout that says how long it waited. Every client
// rotatord builds (IAM, STS, Secrets Manager, SSM, DynamoDB) gets it.
package awscall

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
)

// DefaultTimeout bounds one AWS call, its SDK retries included, unless a
// shorter bound applies. AWS answers in well under a second; 30 s leaves
// room for throttling back-off and a slow network while still freeing a
// worker held by a silent peer.
const DefaultTimeout = 30 * time.Second

// ErrTimeout is wrapped by the error of a call that got no answer before
// its deadline. The error also wraps context.DeadlineExceeded.
var ErrTimeout = errors.New("AWS call timed out")

// middlewareID names the middleware in the SDK's stack.
const middlewareID = "rotatord.CallTimeout"

// Bound makes every call through clients built from cfg end by d (when d
// is not positive, DefaultTimeout), retries included. Bounds add up to the
// shortest: a config bounded twice keeps the smaller d, and a caller's
// earlier deadline still applies. cfg's APIOptions slice is not shared
// with copies made before the call.
func Bound(cfg *aws.Config, d time.Duration) {
	if d <= 0 {
		d = DefaultTimeout
	}
	cfg.APIOptions = append(slices.Clip(cfg.APIOptions), func(s *middleware.Stack) error {
		if m, ok := s.Initialize.Get(middlewareID); ok {
			if have, ok := m.(timeout); ok && have.d <= d {
				return nil
			}
			_, err := s.Initialize.Swap(middlewareID, timeout{d})
			return err
		}
		// First in the stack, so that it covers everything after it:
		// credential retrieval (an assumed role's STS call), signing,
		// every retry and the reading of the answer.
		return s.Initialize.Add(timeout{d}, middleware.Before)
	})
}

// timeout is the middleware: it runs the rest of the call under a deadline
// d from now.
type timeout struct{ d time.Duration }

func (timeout) ID() string { return middlewareID }

func (m timeout) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, m.d)
	defer cancel()
	out, md, err := next.HandleInitialize(ctx, in)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// Our deadline or an earlier one of the caller's: either way the
		// call had that long and got no answer.
		// A caller that bounds the call with the same duration (iamrotate
		// does) set its deadline a moment before start: that is this
		// bound, not a shorter one, so the message says the bound itself
		// rather than 299ms on a busy machine.
		waited := m.d
		if dl, ok := ctx.Deadline(); ok && start.Add(m.d).Sub(dl) > m.d/10 {
			waited = dl.Sub(start)
		}
		err = fmt.Errorf("%w: no answer within %s; check that the endpoint is reachable and answers: %w",
			ErrTimeout, waited.Round(time.Millisecond), err)
	}
	return out, md, err
}
