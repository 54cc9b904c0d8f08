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

type guardKey struct{}

// WithGuard returns a context with which a rotation asks check before each
// call that changes IAM or a sink: creating, deactivating or deleting a
// key, writing a sink. A non-nil answer stops the rotation there with that
// error. The daemon checks that it still holds the secret's lease: a
// replica that paused past its lease must not delete a key that another
// replica has since made current. (Deleting a key the rotation has just
// created and failed to record is not asked: no one else knows that key.)
func WithGuard(ctx context.Context, check func() error) context.Context {
	return context.WithValue(ctx, guardKey{}, check)
}

// guard asks the check WithGuard put in ctx, if any.
func guard(ctx context.Context) error {
	if check, ok := ctx.Value(guardKey{}).(func() error); ok {
		return check()
	}
	return nil
}
