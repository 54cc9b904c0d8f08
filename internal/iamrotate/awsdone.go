package iamrotate

import "context"

type awsDoneKey struct{}

// WithAWSDone returns a context with which Rotate calls done once the
// rotation has made its last AWS call, before the commit that records its
// end: what is left touches only the store. A worker pool can start its
// next rotation then. done is called at most once, and not at all when a
// rotation fails or stops earlier.
func WithAWSDone(ctx context.Context, done func()) context.Context {
	return context.WithValue(ctx, awsDoneKey{}, done)
}

// AWSDone calls the function WithAWSDone put in ctx, if any. Rotate calls
// it after a rotation's last AWS call.
func AWSDone(ctx context.Context) {
	if done, ok := ctx.Value(awsDoneKey{}).(func()); ok {
		done()
	}
}
