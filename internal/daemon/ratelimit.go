package daemon

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/pace"
)

// Limiter paces one target's IAM calls: at its fixed rate_limit, or, with
// rate_limit: auto, at the rate an adaptive limiter finds (internal/pace).
// Every worker calling the target shares it, retries included.
type Limiter struct {
	fixed     *rate.Limiter // a fixed rate_limit; nil with auto
	perSecond float64       // the fixed rate_limit
	auto      *pace.Auto    // rate_limit: auto; nil otherwise
	throttled atomic.Int64  // attempts answered with a throttling error
}

// NewLimiter returns the limiter of t's rate_limit.
func NewLimiter(t *config.Target) *Limiter {
	if t.RateLimit.Auto() {
		return &Limiter{auto: pace.NewAuto(t.RateLimitMax)}
	}
	return &Limiter{fixed: newLimiter(float64(t.RateLimit)), perSecond: float64(t.RateLimit)}
}

// Rate returns the calls a second the limiter lets through now.
func (l *Limiter) Rate() float64 {
	if l.auto != nil {
		return l.auto.Rate()
	}
	return l.perSecond
}

// Throttled returns how many attempts through the limiter were answered
// with a throttling error.
func (l *Limiter) Throttled() int64 { return l.throttled.Load() }

// Auto returns the adaptive limiter of a rate_limit: auto, or nil.
func (l *Limiter) Auto() *pace.Auto { return l.auto }

// reuse returns l changed to t's rate_limit when it is of the same kind
// (fixed or auto), so that a reload keeps what the limiter has learnt and
// the calls waiting in it; otherwise a new limiter.
func (l *Limiter) reuse(t *config.Target) *Limiter {
	switch {
	case l == nil, l.auto != nil != t.RateLimit.Auto():
		return NewLimiter(t)
	case l.auto != nil:
		l.auto.SetMax(t.RateLimitMax)
	default:
		l.fixed.SetLimit(limitOf(float64(t.RateLimit)))
		l.perSecond = float64(t.RateLimit)
	}
	return l
}

// Limiters returns a new limiter for each target's rate_limit, by target
// name, as the daemon makes them: for EngineOptions.Limiters of an engine
// that runs several rotations at once outside the daemon (a bulk
// `rotatord rotate` with no daemon running).
func Limiters(cfg *config.Config) map[string]*Limiter {
	lims := make(map[string]*Limiter, len(cfg.Targets))
	for i := range cfg.Targets {
		lims[cfg.Targets[i].Name] = NewLimiter(&cfg.Targets[i])
	}
	return lims
}

// throttles tells a throttled answer as the SDK's retryer does.
var throttles = retry.IsErrorThrottles(retry.DefaultThrottles)

// iamRateLimit makes every attempt of every IAM call wait for the target's
// limiter, retries included, so that all workers together never exceed the
// target's rate_limit. It sits right after the SDK's retry middleware, and
// tells an automatic limiter how each attempt went.
func iamRateLimit(lim *Limiter) func(*middleware.Stack) error {
	m := middleware.FinalizeMiddlewareFunc("rotatord.RateLimit",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if awsmiddleware.GetServiceID(ctx) != "IAM" {
				return next.HandleFinalize(ctx, in)
			}
			var sent time.Time
			var err error
			if lim.auto == nil {
				err = lim.fixed.Wait(ctx)
			} else {
				sent, err = lim.auto.Wait(ctx)
			}
			if err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			out, md, err := next.HandleFinalize(ctx, in)
			o := outcome(err)
			if o == pace.Throttled {
				lim.throttled.Add(1)
			}
			if lim.auto != nil {
				lim.auto.Done(sent, o, time.Since(sent))
			}
			return out, md, err
		})
	return func(s *middleware.Stack) error {
		if err := s.Finalize.Insert(m, "Retry", middleware.After); err == nil {
			return nil
		}
		return s.Finalize.Add(m, middleware.After)
	}
}

// outcome is what an attempt's error says of the rate.
func outcome(err error) pace.Outcome {
	switch {
	case err == nil:
		return pace.Success
	case throttles.IsErrorThrottle(err) == aws.TrueTernary:
		return pace.Throttled
	}
	return pace.Other
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
