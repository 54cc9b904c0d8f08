package awstest

import (
	"errors"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Code returns the API error code of err, or "" if err is nil or not an
// API error.
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Message returns the API error message of err, or "" if err is nil or
// not an API error.
func Message(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// WantCode fails the test at once unless err is an API error with code.
func WantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := Code(err); got != code {
		t.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
}

// IsType reports whether err's chain holds an error of type T, such as
// *types.NoSuchEntityException: the SDK decoded the code into its type.
func IsType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// HTTPStatus returns the HTTP status of the response that err came with,
// or 0 if there was none (a dropped connection, or err is nil).
func HTTPStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
