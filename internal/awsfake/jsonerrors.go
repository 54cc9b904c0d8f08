package awsfake

import "net/http"

// jsonDialect maps the codes the shared code uses (awsQuery's spelling, as
// IAM and STS send them) to what awsJson services send for the same
// condition. A status of 0 keeps the original one.
var jsonDialect = map[string]struct {
	code   string
	status int
}{
	"MissingAuthenticationToken": {"MissingAuthenticationTokenException", http.StatusBadRequest},
	"IncompleteSignature":        {"IncompleteSignatureException", http.StatusBadRequest},
	"InvalidClientTokenId":       {"UnrecognizedClientException", http.StatusBadRequest},
	"SignatureDoesNotMatch":      {"InvalidSignatureException", http.StatusBadRequest},
	"ExpiredToken":               {"ExpiredTokenException", http.StatusBadRequest},
	"AccessDenied":               {"AccessDeniedException", http.StatusBadRequest},
	"ValidationError":            {"ValidationException", http.StatusBadRequest},
	"Throttling":                 {"ThrottlingException", 0},
}

// dialect rewrites e, made by code shared with the query protocols, into
// the awsJson services' spelling: a wrong secret is InvalidSignatureException
// and an unknown key UnrecognizedClientException, both with status 400, as
// Secrets Manager and SSM answer; the ServiceFailure fault becomes the
// service's own internal error (InternalServiceError, InternalServerError).
func (p jsonProtocol) dialect(e *Error) *Error {
	if d, ok := jsonDialect[e.Code]; ok {
		out := &Error{e.Status, d.code, e.Message}
		if d.status != 0 {
			out.Status = d.status
		}
		return out
	}
	if e.Code == "ServiceFailure" && p.internalError != "" {
		return &Error{e.Status, p.internalError, e.Message}
	}
	return e
}
