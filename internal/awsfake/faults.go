package awsfake

import (
	"math/rand"
	"net/http"
	"sync"
	"time"
)

// Fault is an injected failure of one call; see Server.FailNext.
type Fault struct {
	// Status is the HTTP status of the error answer (default 500).
	Status int
	// Code is the error code in the answer (default "ServiceFailure").
	Code string
	// Message is the error message in the answer.
	Message string
	// After lets the action take effect first; only then is its answer
	// replaced by the fault (a key is created, but the client sees an
	// error or a dropped connection).
	After bool
	// Drop closes the connection without any answer instead of sending
	// Status, Code and Message.
	Drop bool
}

// Common faults. Use one's AfterEffect (or copy it and set After) to fail
// after the action took effect.
var (
	// Throttling is IAM's and STS's answer to too many requests; Secrets
	// Manager and SSM send it as ThrottlingException.
	Throttling = Fault{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"}
	// ServiceFailure is IAM's internal error; Secrets Manager and SSM
	// send it as their own (InternalServiceError, InternalServerError).
	ServiceFailure = Fault{Status: http.StatusInternalServerError, Code: "ServiceFailure",
		Message: "Request processing has failed because of an unknown error, exception or failure."}
	// Drop closes the connection without an answer.
	Drop = Fault{Drop: true}
)

// AfterEffect returns f with After set: the action takes effect, then its
// answer is replaced by f.
func (f Fault) AfterEffect() Fault {
	f.After = true
	return f
}

func (f Fault) code() string {
	if f.Drop {
		return "(dropped)"
	}
	if f.Code == "" {
		return "ServiceFailure"
	}
	return f.Code
}

// answer sends the fault as the response, or drops the connection.
func (f Fault) answer(w http.ResponseWriter, p protocol, requestID string) {
	if f.Drop {
		// net/http closes the connection (HTTP/1) or resets the stream
		// (HTTP/2) without an answer and without logging.
		panic(http.ErrAbortHandler)
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	p.writeError(w, &Error{Status: status, Code: f.code(), Message: f.Message}, requestID)
}

type queuedFault struct {
	Fault
	left int
}

// FailNext makes the next n calls of action (e.g. "CreateAccessKey") fail
// with f, whatever their credentials. Faults queue up: a second FailNext for
// the same action applies after the first one's n calls.
func (s *Server) FailNext(action string, n int, f Fault) {
	if n <= 0 {
		return
	}
	s.lock()
	defer s.mu.Unlock()
	s.faults[action] = append(s.faults[action], &queuedFault{Fault: f, left: n})
}

// ThrottleRandomly answers the given fraction (0..1) of all later calls
// with Throttling, before they take effect, chosen by a random source with
// the given seed (so a failing test can be replayed). Queued faults
// (FailNext) come first.
func (s *Server) ThrottleRandomly(fraction float64, seed int64) {
	s.lock()
	defer s.mu.Unlock()
	s.throttle = fraction
	s.rnd = rand.New(rand.NewSource(seed))
}

// takeFault consumes one call's worth of the first fault queued for action,
// or draws a random throttle.
func (s *Server) takeFault(action string) *Fault {
	s.lock()
	defer s.mu.Unlock()
	q := s.faults[action]
	if len(q) == 0 {
		if s.throttle > 0 && s.rnd.Float64() < s.throttle {
			f := Throttling
			return &f
		}
		return nil
	}
	f := q[0].Fault
	if q[0].left--; q[0].left == 0 {
		s.faults[action] = q[1:]
	}
	return &f
}

// SetLatency delays every later call of action by d before it is handled
// (0 removes the delay). A call whose client gives up during the delay
// never takes effect.
func (s *Server) SetLatency(action string, d time.Duration) {
	s.lock()
	defer s.mu.Unlock()
	s.latency[action] = d
}

// delay waits out action's latency. It reports false if the client went
// away meanwhile.
func (s *Server) delay(r *http.Request, action string) bool {
	s.lock()
	d, closing := s.latency[action], s.closing
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-closing:
	case <-r.Context().Done():
		return false
	}
	return true
}

// Hold pauses one call of an action at the server until it is released.
// The call then proceeds and takes effect even if its client has gone
// away, as a request that reached AWS does. Create one with Server.Hold.
type Hold struct {
	reached, release, done chan struct{}
	reachOnce, relOnce     sync.Once
	doneOnce               sync.Once
}

// Hold makes the next call of action that is not already held wait until
// the returned Hold is released (or the server is closed).
func (s *Server) Hold(action string) *Hold {
	h := &Hold{reached: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{})}
	s.lock()
	defer s.mu.Unlock()
	select {
	case <-s.closing:
		h.Release()
	default:
	}
	s.holds[action] = append(s.holds[action], h)
	return h
}

// Reached is closed when a call arrives at the hold.
func (h *Hold) Reached() <-chan struct{} { return h.reached }

// Release lets the held call proceed. It is idempotent and may come
// before the call arrives, which then is not held at all.
func (h *Hold) Release() { h.relOnce.Do(func() { close(h.release) }) }

// Done is closed once the held call has been handled and answered (or its
// connection dropped).
func (h *Hold) Done() <-chan struct{} { return h.done }

func (s *Server) takeHold(action string) *Hold {
	s.lock()
	defer s.mu.Unlock()
	q := s.holds[action]
	if len(q) == 0 {
		return nil
	}
	s.holds[action] = q[1:]
	return q[0]
}

func (h *Hold) wait(closing <-chan struct{}) {
	h.reachOnce.Do(func() { close(h.reached) })
	select {
	case <-h.release:
	case <-closing:
	}
}

func (h *Hold) finish() { h.doneOnce.Do(func() { close(h.done) }) }
