// Package awstest is what tests need to talk to internal/awsfake through
// the real aws-sdk-go-v2 clients: an SDK config built explicitly (static
// credentials, never the environment, no retries), a client of each
// service the fake serves, a settable clock for awsfake.WithClock,
// helpers that read an API error (code, message, HTTP status, type) and
// a hand-signed awsJson request.
//
// It imports the SDK only, not awsfake, so that awsfake's own tests can
// use it as well as those of its service packages. It is for tests: no
// product code imports it, and the rotatord binary must not link it
// (awsfake's TestProductLinksNoServiceFakes checks that).
package awstest
