package awsfake

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBody bounds the request bodies the server reads.
const maxBody = 1 << 20

// handler performs one action for an authenticated caller and returns its
// result (nil for actions without output) or an *Error. Handlers run
// with s.mu held.
type handler func(s *Server, c *Call) (any, *Error)

// service is one AWS service the server speaks for: its SigV4 signing
// name, its protocol and its actions. IAM and STS are built in (services);
// Handle adds the JSON services.
type service struct {
	signingName string // the service in the SigV4 credential scope
	proto       protocol
	actions     map[string]handler
}

// services are the services every Server speaks for.
var services = []*service{iamService, stsService}

// route finds the service and action r asks for. scope is the service name
// from the credential scope, "" if the request is unsigned. A request no
// service understands gets a nil service.
func (s *Server) route(r *http.Request, body []byte, scope string) (*service, string, url.Values) {
	s.lock()
	added := s.added
	s.mu.Unlock()
	for _, list := range [2][]*service{services, added} {
		for _, svc := range list {
			if scope != "" && svc.signingName != scope {
				continue
			}
			if action, params, ok := svc.proto.decode(r, body); ok {
				return svc, action, params
			}
		}
	}
	return nil, "", nil
}

// unroutable answers a request no service understands, in the protocol it
// looks like, and names it "service:Action" for Unhandled.
func unroutable(r *http.Request, body []byte, scope string) (string, protocol, *Error) {
	svc, action := scope, ""
	var p protocol
	var aerr *Error
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		prefix, a, _ := strings.Cut(t, ".")
		if svc == "" {
			svc = prefix
		}
		action, p = a, jsonProtocol{}
		aerr = p.unknownAction(t)
	} else {
		params, _ := url.ParseQuery(string(body))
		action, p = params.Get("Action"), queryProtocol{}
		if action == "" {
			action = r.Method + " " + r.URL.Path
		}
		aerr = queryProtocol{version: params.Get("Version")}.unknownAction(action)
	}
	if svc == "" {
		svc = "unsigned"
	}
	return svc + ":" + action, p, aerr
}

// ServeHTTP answers one AWS API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	s.endpointHeaders(w)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		_, p, _ := unroutable(r, nil, "")
		p.writeError(w, ValidationError("cannot read request body: "+err.Error()), requestID)
		return
	}
	var auth authHeader
	var authErr *Error
	if h := r.Header.Get("Authorization"); h == "" {
		authErr = errMissingAuth()
	} else {
		auth, authErr = parseAuthorization(h)
	}

	svc, action, params := s.route(r, body, auth.service)
	if svc == nil {
		name, p, aerr := unroutable(r, body, auth.service)
		s.recordUnhandled(name)
		p.writeError(w, aerr, requestID)
		return
	}
	h, ok := svc.actions[action]
	if !ok {
		s.recordUnhandled(svc.signingName + ":" + action)
		svc.proto.writeError(w, svc.proto.unknownAction(action), requestID)
		return
	}

	throttled := s.overRate(svc.signingName)
	s.countCall(svc.signingName, action, auth.keyID, throttled)
	if throttled {
		s.logCall(action, auth.keyID, Throttling.Code)
		Throttling.answer(w, svc.proto, requestID)
		return
	}
	if !s.delay(r, action) {
		return // the client went away during the latency
	}
	if hold := s.takeHold(action); hold != nil {
		defer hold.finish()
		hold.wait(s.closingChan())
	}
	f := s.takeFault(action)
	if f != nil && !f.After {
		s.logCall(action, auth.keyID, f.code())
		f.answer(w, svc.proto, requestID)
		return
	}

	result, aerr := s.perform(r, h, auth, authErr, &Call{action: action, params: params, body: body})
	if f != nil {
		s.logCall(action, auth.keyID, f.code())
		f.answer(w, svc.proto, requestID)
		return
	}
	if aerr != nil {
		s.logCall(action, auth.keyID, aerr.Code)
		svc.proto.writeError(w, aerr, requestID)
		return
	}
	s.logCall(action, auth.keyID, "")
	if qp, ok := svc.proto.(queryProtocol); ok && s.indent {
		qp.encodeResult(w, action, requestID, result, true)
		return
	}
	svc.proto.writeResult(w, action, requestID, result)
}

// perform authenticates the request and runs the action's handler on c
// under s.mu. It fills in c's caller and time.
func (s *Server) perform(r *http.Request, h handler, auth authHeader, authErr *Error, c *Call) (any, *Error) {
	if authErr != nil {
		return nil, authErr
	}
	caller, now, aerr := s.authenticate(r, c.body, auth)
	if aerr != nil {
		return nil, aerr
	}
	defer s.mu.Unlock() // held since authenticate succeeded
	c.caller, c.now, c.region, c.account = caller, now, auth.region, s.account
	return h(s, c)
}

// recordUnhandled remembers and logs a request the server cannot answer.
func (s *Server) recordUnhandled(name string) {
	s.lock()
	s.unhandled = append(s.unhandled, name)
	logger := s.logger
	s.mu.Unlock()
	logger.Error("awsfake: unhandled request", "action", name)
}

// Unhandled returns the requests the server could not answer because it
// does not implement their service or action, as "service:Action", oldest
// first. A test asserts it is empty.
func (s *Server) Unhandled() []string {
	s.lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unhandled...)
}

func (s *Server) countCall(service, action, keyID string, throttled bool) {
	s.lock()
	s.calls[action]++
	if s.recording {
		s.callLog = append(s.callLog, CallRecord{Service: service, Action: action, KeyID: keyID, At: time.Now(), Throttled: throttled})
	}
	s.mu.Unlock()
}

// CallRecord is one received call, stamped with the wall clock (not the
// server's clock) when it arrived: what a rate limit is measured against.
type CallRecord struct {
	Service string // "iam", "sts"
	Action  string
	KeyID   string // the access key id that signed it (as claimed, checked or not)
	At      time.Time
	// Throttled: the account-wide rate (WithAccountRate) refused it.
	Throttled bool
}

// RecordCalls starts (or stops) recording every call's arrival in
// CallLog.
func (s *Server) RecordCalls(on bool) {
	s.lock()
	defer s.mu.Unlock()
	s.recording = on
}

// CallLog returns the calls recorded since RecordCalls(true), in arrival
// order.
func (s *Server) CallLog() []CallRecord {
	s.lock()
	defer s.mu.Unlock()
	return append([]CallRecord(nil), s.callLog...)
}

// Calls returns how many requests for action (e.g. "CreateAccessKey") the
// server has received, whatever their outcome (faults and authentication
// failures included). Only implemented actions are counted, by name across
// services; see Unhandled for the others.
func (s *Server) Calls(action string) int {
	s.lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

func (s *Server) closingChan() <-chan struct{} {
	s.lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *Server) logCall(action, keyID, code string) {
	s.lock()
	logger := s.logger
	s.mu.Unlock()
	if code == "" {
		code = "OK"
	}
	logger.Debug("awsfake: call", "action", action, "access_key_id", keyID, "result", code)
}
