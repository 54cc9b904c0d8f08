package awsfake

import (
	"fmt"
	"net/http"
)

// Error is an error answer: an HTTP status and the code and message the
// protocol puts in the body. Code is spelt as IAM and STS send it; the
// JSON services translate the shared ones (ValidationError,
// AccessDenied, ...) into their own dialect when they answer.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// The messages below are the ones AWS sends for the same conditions.

func errMissingAuth() *Error {
	return &Error{http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"}
}

func errIncompleteSignature(why string) *Error {
	return &Error{http.StatusBadRequest, "IncompleteSignature", why}
}

func errInvalidClientTokenID() *Error {
	return &Error{http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."}
}

func errSignatureDoesNotMatch() *Error {
	return &Error{http.StatusForbidden, "SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided. " +
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
}

func errExpiredToken() *Error {
	return &Error{http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired"}
}

// errAccessDenied is the answer to a principal that lacks the permission
// for action (e.g. "iam:CreateAccessKey") on resource (e.g. "user alice").
func errAccessDenied(callerARN, action, resource string) *Error {
	return &Error{http.StatusForbidden, "AccessDenied", fmt.Sprintf(
		"User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action",
		callerARN, action, resource, action)}
}

func errNoSuchUser(name string) *Error {
	return &Error{http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The user with name %s cannot be found.", name)}
}

func errNoSuchKey(id string) *Error {
	return &Error{http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The Access Key with id %s cannot be found.", id)}
}

func errUserExists(name string) *Error {
	return &Error{http.StatusConflict, "EntityAlreadyExists", fmt.Sprintf("User with name %s already exists.", name)}
}

func errKeyLimit() *Error {
	return &Error{http.StatusConflict, "LimitExceeded", fmt.Sprintf("Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser)}
}

// ValidationError is the answer to a request whose input breaks a rule;
// the JSON services send it as ValidationException.
func ValidationError(msg string) *Error {
	return &Error{http.StatusBadRequest, "ValidationError", msg}
}

// MissingParam is what AWS answers when a required parameter is absent
// (the SDK checks this first, so only hand-made requests see it).
func MissingParam(name string) *Error {
	return ValidationError(fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name)))
}

func errInternal(err error) *Error {
	return &Error{http.StatusInternalServerError, "InternalFailure", "awsfake: " + err.Error()}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}
