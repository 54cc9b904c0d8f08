package iamrotate

import (
	"errors"
	"net"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// Conditions callers branch on. Errors returned by Rotate wrap them.
var (
	// ErrUnknownKey: the user holds a second key rotatord never issued, and
	// adopt_unknown_keys is off. Nothing was deleted.
	ErrUnknownKey = errors.New("user holds an access key rotatord did not issue")
	// ErrKeyLimit: IAM refused a new key because the user holds two.
	ErrKeyLimit = errors.New("user already holds the maximum of two access keys")
	// ErrVerify: the new key never authenticated as the user; it was
	// deleted and the current key stays in use.
	ErrVerify = errors.New("new access key did not verify")
	// ErrDeliveryPending: the new key is verified but a sink lacks it; the
	// rotation stays open and both keys stay valid.
	ErrDeliveryPending = errors.New("delivery pending")
	// ErrNoKey: there is no current key to start from.
	ErrNoKey = errors.New("no current access key")
	// ErrTakenOver: the stored journal is no longer this rotation's:
	// another process (a replica that took the secret's lease over)
	// finished it or started another. Nothing was written.
	ErrTakenOver = errors.New("another process took this rotation over")
)

// apiCode returns the AWS error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus returns the HTTP status of the response that err came from, or 0.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// ambiguous reports whether a failed call may still have taken effect: no
// response, a timeout, or a server error. A 4xx answer is definite.
func ambiguous(err error) bool {
	if err == nil {
		return false
	}
	st := httpStatus(err)
	if st >= 400 && st < 500 {
		return false
	}
	return true
}

// notAuthenticatedYet reports whether err is what a key that IAM has not yet
// propagated gets: the key is unknown to the endpoint that checked it.
func notAuthenticatedYet(err error) bool {
	switch apiCode(err) {
	case "InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure", "UnrecognizedClientException":
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) || httpStatus(err) >= 500
}

// isNoSuchEntity reports whether IAM says the user or key does not exist.
func isNoSuchEntity(err error) bool {
	var nse *types.NoSuchEntityException
	return errors.As(err, &nse) || apiCode(err) == "NoSuchEntity"
}

// isLimitExceeded reports whether IAM refused for the two-key quota.
func isLimitExceeded(err error) bool {
	var le *types.LimitExceededException
	return errors.As(err, &le) || apiCode(err) == "LimitExceeded"
}

// isThrottled reports whether AWS refused the call for its rate: the call
// did nothing and may be sent again after a pause.
func isThrottled(err error) bool {
	switch apiCode(err) {
	case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException":
		return true
	}
	return false
}
