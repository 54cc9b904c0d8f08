package awsfake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// DefaultAccount is the account id a Server uses unless told otherwise.
const DefaultAccount = "123456789012"

// Server is a fake AWS endpoint serving IAM and STS, and the JSON services
// added to it with Handle. It is an http.Handler.
// All its state sits behind one mutex, so it is safe for concurrent use.
// Create it with New; the zero value is also ready and uses the defaults.
type Server struct {
	account string           // set once by New; read-only afterwards
	now     func() time.Time // set once by New; read-only afterwards
	logger  *slog.Logger     // set once by New; read-only afterwards
	signer  *v4.Signer       // safe for concurrent use

	mu        sync.Mutex
	inited    bool
	closing   chan struct{} // closed by Close
	users     map[string]*user
	keys      map[string]*accessKey            // long-term keys by id
	byUser    map[string]map[string]*accessKey // the same keys by user, then id
	roles     map[string]*role
	sessions  map[string]*session // temporary credentials by key id
	added     []*service          // the services added with Handle
	keyDelay  time.Duration
	calls     map[string]int
	callLog   []CallRecord // nil unless RecordCalls
	recording bool
	throttle  float64 // fraction of calls answered Throttling at random
	rnd       *rand.Rand
	unhandled []string
	faults    map[string][]*queuedFault
	latency   map[string]time.Duration
	holds     map[string][]*Hold
	bucket    *bucket // the account-wide rate (WithAccountRate); nil: none

	closeConns bool // set once by New; read-only afterwards
	indent     bool // set once by New; read-only afterwards

	// IAM's last-used delay and credential report: see lastused.go and
	// iam_report.go.
	lastUsedDelay time.Duration
	reportTime    time.Duration
	report        *credentialReport
}

// Option configures a Server in New.
type Option func(*Server)

// WithAccount sets the AWS account id the server acts as (default
// DefaultAccount).
func WithAccount(id string) Option { return func(s *Server) { s.account = id } }

// WithClock sets the clock used for create dates, key validity delays,
// last-used dates and session expiry (default time.Now). The clock is called
// with the server's mutex held: it must not call back into the Server.
// Signatures are not checked against the clock, so a fake clock may be far
// from the time the SDK signs with.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithLogger makes the server log each call at debug level and every
// unhandled request at error level. Secrets are never logged.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.logger = l } }

// WithKeyDelay sets the initial key validity delay; see Server.SetKeyDelay.
func WithKeyDelay(d time.Duration) Option {
	return func(s *Server) { s.keyDelay = d }
}

// New returns a Server with no users, keys or roles, configured by opts.
func New(opts ...Option) *Server {
	s := &Server{}
	for _, o := range opts {
		o(s)
	}
	s.mu.Lock()
	s.initLocked()
	s.mu.Unlock()
	return s
}

// initLocked fills in defaults and allocates the maps; it makes the zero
// Server ready. s.mu must be held.
func (s *Server) initLocked() {
	if s.inited {
		return
	}
	s.inited = true
	if s.account == "" {
		s.account = DefaultAccount
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.signer = v4.NewSigner()
	s.closing = make(chan struct{})
	s.users = map[string]*user{}
	s.keys = map[string]*accessKey{}
	s.byUser = map[string]map[string]*accessKey{}
	s.roles = map[string]*role{}
	s.sessions = map[string]*session{}
	s.calls = map[string]int{}
	s.faults = map[string][]*queuedFault{}
	s.latency = map[string]time.Duration{}
	s.holds = map[string][]*Hold{}
}

// lock takes s.mu and makes sure the server is initialised. The caller
// unlocks s.mu.
func (s *Server) lock() {
	s.mu.Lock()
	s.initLocked()
}

// nowLocked returns the server's time in UTC, truncated to the second as the
// wire formats carry it. s.mu must be held.
func (s *Server) nowLocked() time.Time {
	return s.now().UTC().Truncate(time.Second)
}

// Now returns the server's time (see WithClock) in UTC, truncated to the
// second.
func (s *Server) Now() time.Time {
	s.lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

// Account returns the AWS account id the server acts as.
func (s *Server) Account() string {
	s.lock()
	defer s.mu.Unlock()
	return s.account
}

// Close releases every hold, present and future, and stops latency waits,
// so that in-flight calls finish. The server keeps answering afterwards;
// Close only makes sure nothing blocks a shutdown. It is idempotent.
func (s *Server) Close() {
	s.lock()
	defer s.mu.Unlock()
	select {
	case <-s.closing:
		return
	default:
	}
	close(s.closing)
	for _, q := range s.holds {
		for _, h := range q {
			h.Release()
		}
	}
	s.holds = map[string][]*Hold{}
}

// TB is the part of testing.TB that Start needs; *testing.T satisfies it.
type TB interface {
	Helper()
	Cleanup(func())
}

// Start runs a new Server on a loopback httptest server and returns it with
// its base URL (for BaseEndpoint). Both are closed when the test ends.
func Start(t TB, opts ...Option) (*Server, string) {
	t.Helper()
	s := New(opts...)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return s, ts.URL
}

// Serve answers requests on ln until ctx is done, then closes the server
// (see Close), shuts the listener down gracefully and returns nil. It
// returns the error that stopped serving otherwise.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Close()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// ServeLoopback serves on a free port of 127.0.0.1 until stop is called,
// for the demo and the benchmark. It returns the endpoint URL; stop waits
// for the server to shut down and returns what Serve returned.
func (s *Server) ServeLoopback() (endpoint string, stop func() error, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("awsfake: listen on loopback: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), func() error { cancel(); return <-served }, nil
}
