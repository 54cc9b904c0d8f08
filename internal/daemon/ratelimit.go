package daemon

import (
	"context"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/rotatord/rotatord/config"
)

// Limiters returns a new limiter for each target's rate_limit, by target
// name, as the daemon makes them: for EngineOptions.Limiters of an engine
// that runs several rotations at once outside the daemon (a bulk
// `rotatord rotate` with no daemon running).
func Limiters(cfg *config.Config) map[string]*rate.Limiter {
	lims := make(map[string]*rate.Limiter, len(cfg.Targets))
	for _, t := range cfg.Targets {
		lims[t.Name] = newLimiter(t.RateLimit)
	}
	return lims
}

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

// jitterMargin keeps the sending rate 2% under rate_limit: calls leave
// evenly spaced, but reach AWS with varying delays, and a call that travels
// 20 ms faster than the one before it would otherwise make one second count
// one call too many at AWS's end.
const jitterMargin = 0.98

// newLimiter allows perSecond calls a second (less the jitter margin), one
// at a time: a burst would let a second's calls start at once.
func newLimiter(perSecond float64) *rate.Limiter {
	return rate.NewLimiter(limitOf(perSecond), 1)
}

func limitOf(perSecond float64) rate.Limit { return rate.Limit(perSecond * jitterMargin) }
