package daemon

import (
	"context"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// iamRateLimit makes every attempt of every IAM call wait for the target's
// limiter, retries included, so that all workers together never exceed the
// target's rate_limit. It sits right after the SDK's retry middleware.
func iamRateLimit(lim *rate.Limiter) func(*middleware.Stack) error {
	m := middleware.FinalizeMiddlewareFunc("rotatord.RateLimit",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if awsmiddleware.GetServiceID(ctx) == "IAM" {
				if err := lim.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
			}
			return next.HandleFinalize(ctx, in)
		})
	return func(s *middleware.Stack) error {
		if err := s.Finalize.Insert(m, "Retry", middleware.After); err == nil {
			return nil
		}
		return s.Finalize.Add(m, middleware.After)
	}
}

// newLimiter allows perSecond calls a second, one at a time: a burst would
// let a second's calls start at once and exceed the rate over any window
// shorter than a second.
func newLimiter(perSecond float64) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(perSecond), 1)
}
