package awsfake

import (
	"encoding/json"
	"net/http"
	"time"
)

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
func (p jsonProtocol) dialect(e *apiError) *apiError {
	if d, ok := jsonDialect[e.code]; ok {
		out := &apiError{e.status, d.code, e.message}
		if d.status != 0 {
			out.status = d.status
		}
		return out
	}
	if e.code == "ServiceFailure" && p.internalError != "" {
		return &apiError{e.status, p.internalError, e.message}
	}
	return e
}

// decodeInput unmarshals a JSON protocol request body into v. An empty
// body counts as {}.
func decodeInput(c *call, v any) *apiError {
	if len(c.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected."}
	}
	return nil
}

// epoch is a timestamp as the awsJson protocols carry it: seconds since
// the Unix epoch, as a JSON number.
func epoch(t time.Time) int64 { return t.Unix() }

// regionOf is the region a call was signed for, which goes into the ARNs
// of what it creates.
func regionOf(c *call) string {
	if c.region == "" {
		return "us-east-1"
	}
	return c.region
}

// owner names the principal that created a secret or parameter: its user,
// or its role for a session. A non-admin principal may only touch what
// its own owner name created.
func (p principal) owner() string {
	if p.user != nil {
		return "user/" + p.user.name
	}
	return "role/" + p.session.role.Name
}

// mayUse reports whether the caller may act on something owner created:
// admins on everything, others on their own.
func (c *call) mayUse(owner string) bool {
	return c.caller.admin() || c.caller.owner() == owner
}
