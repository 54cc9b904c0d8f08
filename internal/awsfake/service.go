package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Call is one authenticated request as a handler sees it.
type Call struct {
	action  string
	params  url.Values // query protocols' input
	body    []byte     // JSON protocols' input
	caller  principal
	region  string // from the credential scope
	now     time.Time
	account string
}

// Action is the action the call asks for, e.g. "PutParameter".
func (c *Call) Action() string { return c.action }

// Now is the server's time of the call (see WithClock), in UTC and
// truncated to the second.
func (c *Call) Now() time.Time { return c.now }

// Account is the AWS account id the server acts as.
func (c *Call) Account() string { return c.account }

// Region is the region the call was signed for, which goes into the ARNs
// of what it creates ("us-east-1" if the credential scope had none).
func (c *Call) Region() string {
	if c.region == "" {
		return "us-east-1"
	}
	return c.region
}

// Decode unmarshals the JSON request body into v. An empty body counts as
// {}; a body that is not a JSON object of v's shape is the
// SerializationException AWS answers.
func (c *Call) Decode(v any) *Error {
	if len(c.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return &Error{http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected."}
	}
	return nil
}

// Owner names the caller as the owner of what it creates: its user
// ("user/NAME"), or its role for a session ("role/NAME").
func (c *Call) Owner() string { return c.caller.owner() }

// MayUse reports whether the caller may act on something owner (an Owner
// value) created: admins on everything, others on their own.
func (c *Call) MayUse(owner string) bool {
	return c.caller.admin() || c.caller.owner() == owner
}

// Denied is the answer to a caller that lacks the permission for action
// (e.g. "ssm:GetParameter") on resource (an ARN).
func (c *Call) Denied(action, resource string) *Error {
	return errAccessDenied(c.caller.arn(c.account), action, resource)
}

// owner names the principal that created a secret, parameter or table:
// its user, or its role for a session.
func (p principal) owner() string {
	if p.user != nil {
		return "user/" + p.user.name
	}
	return "role/" + p.session.role.Name
}

// Handler performs one action of a service added with Handle for an
// authenticated caller, and returns its result (encoded with
// encoding/json; nil is an action without output) or an error answer.
// The handlers of one Server run one at a time, under its mutex: a
// handler must not call the Server's methods.
type Handler func(c *Call) (any, *Error)

// Service is an AWS service that speaks awsJson (the action in
// X-Amz-Target, JSON bodies both ways), for Handle. The server does the
// rest as for IAM and STS: SigV4, faults, latency, holds, call counts and
// Unhandled.
type Service struct {
	// SigningName is the service in the SigV4 credential scope, e.g. "ssm".
	SigningName string
	// TargetPrefix is what X-Amz-Target carries before ".Action", e.g.
	// "AmazonSSM".
	TargetPrefix string
	// ContentType is that of the answers (default
	// "application/x-amz-json-1.1").
	ContentType string
	// MessageKey is the error body's message member as the service spells
	// it: "Message" (Secrets Manager) or "message" (the default).
	MessageKey string
	// InternalError is the service's code for its own failures, which the
	// ServiceFailure fault becomes (default: ServiceFailure stays).
	InternalError string
	// ErrorBody, if set, builds the JSON body of an error answer, already
	// in the JSON dialect, instead of __type and MessageKey.
	ErrorBody func(e *Error) any
	// Checksum puts the CRC32 of each answer's body in X-Amz-Crc32, as
	// DynamoDB does.
	Checksum bool
	// Actions are the actions the service implements, by name; any other
	// fails loudly (see Unhandled).
	Actions map[string]Handler
}

// Handle adds svc to the server. It panics if a service with the same
// signing name or target prefix is there already. Add services before the
// server answers requests for them.
func (s *Server) Handle(svc Service) {
	if svc.SigningName == "" || svc.TargetPrefix == "" {
		panic("awsfake: Handle: a service needs a signing name and a target prefix")
	}
	actions := make(map[string]handler, len(svc.Actions))
	for name, h := range svc.Actions {
		actions[name] = func(_ *Server, c *Call) (any, *Error) { return h(c) }
	}
	added := &service{
		signingName: svc.SigningName,
		proto: jsonProtocol{targetPrefix: svc.TargetPrefix, contentType: svc.ContentType,
			messageKey: svc.MessageKey, internalError: svc.InternalError,
			errorBody: svc.ErrorBody, checksum: svc.Checksum},
		actions: actions,
	}
	s.lock()
	defer s.mu.Unlock()
	for _, o := range slices.Concat(services, s.added) {
		if p, ok := o.proto.(jsonProtocol); o.signingName == svc.SigningName || ok && p.targetPrefix == svc.TargetPrefix {
			panic(fmt.Sprintf("awsfake: Handle: service %s (%s) added twice", svc.SigningName, svc.TargetPrefix))
		}
	}
	s.added = append(s.added, added)
}
