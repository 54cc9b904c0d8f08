package awsfake

import (
	"net/http"
	"sync"
	"time"
)

// The options below make the server behave like the endpoints users
// really have, rather than like the fastest one a test could want: a rate
// limit the client is not told, a connection per call, and answers of the
// size AWS sends.

// WithAccountRate makes IAM answer Throttling (HTTP 400, "Rate exceeded",
// in IAM's error XML) to every call beyond an account-wide token bucket
// of perSecond calls a second holding up to burst calls (at least 1). As
// at AWS, the rate is the account's, whatever key signs the call, and the
// client is not told it. Throttled calls are refused before they take
// effect and counted in Throttled. STS calls are not limited. perSecond
// ≤ 0 turns the limit off.
func WithAccountRate(perSecond float64, burst int) Option {
	return func(s *Server) { s.bucket = newBucket(perSecond, burst) }
}

// WithConnectionClose makes every answer carry "Connection: close", so
// that the server closes the connection after it and a client dials a new
// one for each call, as some AWS emulators and proxies do.
func WithConnectionClose() Option { return func(s *Server) { s.closeConns = true } }

// WithRealisticResponses makes IAM and STS answers the size AWS sends:
// indented XML, one element a line, as AWS writes it (the compact form is
// the same document, smaller and cheaper to parse). Every answer carries
// ResponseMetadata and its RequestId either way.
func WithRealisticResponses() Option { return func(s *Server) { s.indent = true } }

// SetAccountRate changes the account-wide rate at run time (see
// WithAccountRate); the bucket starts full.
func (s *Server) SetAccountRate(perSecond float64, burst int) {
	b := newBucket(perSecond, burst)
	s.lock()
	defer s.mu.Unlock()
	s.bucket = b
}

// Throttled returns how many calls the account-wide rate refused.
func (s *Server) Throttled() int {
	s.lock()
	defer s.mu.Unlock()
	if s.bucket == nil {
		return 0
	}
	return s.bucket.refused()
}

// overRate reports whether a call of service must be throttled by the
// account-wide rate, and takes a token if not.
func (s *Server) overRate(service string) bool {
	if service != "iam" {
		return false
	}
	s.lock()
	b := s.bucket
	s.mu.Unlock()
	return b != nil && !b.take(time.Now())
}

// endpointHeaders sets the headers every answer of this server carries.
func (s *Server) endpointHeaders(w http.ResponseWriter) {
	if s.closeConns {
		w.Header().Set("Connection", "close")
	}
}

// bucket is a token bucket on the wall clock.
type bucket struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	tokens  float64
	last    time.Time
	refusal int
}

func newBucket(perSecond float64, burst int) *bucket {
	if perSecond <= 0 {
		return nil
	}
	b := float64(max(burst, 1))
	return &bucket{rate: perSecond, burst: b, tokens: b}
}

// take takes one token at now, if there is one.
func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		b.refusal++
		return false
	}
	b.tokens--
	return true
}

func (b *bucket) refused() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refusal
}
