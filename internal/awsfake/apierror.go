package awsfake

import (
	"fmt"
	"net/http"
)

// apiError is an error answer: an HTTP status and the code and message
// the protocol puts in the body.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// The messages below are the ones AWS sends for the same conditions.

func errMissingAuth() *apiError {
	return &apiError{http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"}
}

func errIncompleteSignature(why string) *apiError {
	return &apiError{http.StatusBadRequest, "IncompleteSignature", why}
}

func errInvalidClientTokenID() *apiError {
	return &apiError{http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."}
}

func errSignatureDoesNotMatch() *apiError {
	return &apiError{http.StatusForbidden, "SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided. " +
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
}

func errExpiredToken() *apiError {
	return &apiError{http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired"}
}

// errAccessDenied is the answer to a principal that lacks the permission
// for action (e.g. "iam:CreateAccessKey") on resource (e.g. "user alice").
func errAccessDenied(callerARN, action, resource string) *apiError {
	return &apiError{http.StatusForbidden, "AccessDenied", fmt.Sprintf(
		"User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action",
		callerARN, action, resource, action)}
}

func errNoSuchUser(name string) *apiError {
	return &apiError{http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The user with name %s cannot be found.", name)}
}

func errNoSuchKey(id string) *apiError {
	return &apiError{http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The Access Key with id %s cannot be found.", id)}
}

func errUserExists(name string) *apiError {
	return &apiError{http.StatusConflict, "EntityAlreadyExists", fmt.Sprintf("User with name %s already exists.", name)}
}

func errKeyLimit() *apiError {
	return &apiError{http.StatusConflict, "LimitExceeded", fmt.Sprintf("Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser)}
}

func errValidation(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationError", msg}
}

// errMissingParam is what AWS answers when a required parameter is absent
// (the SDK checks this first, so only hand-made requests see it).
func errMissingParam(name string) *apiError {
	return errValidation(fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name)))
}

func errInternal(err error) *apiError {
	return &apiError{http.StatusInternalServerError, "InternalFailure", "awsfake: " + err.Error()}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}
