package control

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rotatord/rotatord/internal/netcap"
)

// DefaultShutdownTimeout is how long Serve lets running requests finish
// once its context ends, before it cancels them.
const DefaultShutdownTimeout = 5 * time.Second

// The control socket's limits: a CLI command connects, sends one request at
// once and reads the answer, so a connection that waits longer than these
// is not one.
const (
	// MaxConns is the most connections the socket holds open. At the cap,
	// the one that waited longest for a request (new and silent, or idle
	// between requests) is closed to make room, so that `rotatord list`
	// still gets through a flood.
	MaxConns = 64
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout = 5 * time.Second
	// RequestTimeout bounds reading a whole request. The work it asks for
	// is not bounded here: a rotate runs as long as its rotation, and
	// every request's context ends when its client goes away (the client
	// has its own timeout).
	RequestTimeout = 30 * time.Second
	// AnswerTimeout bounds writing an answer.
	AnswerTimeout = 30 * time.Second
	// IdleTimeout closes a connection that sends no next request.
	IdleTimeout = 30 * time.Second
)

// Server serves a Reader and an Operator on a unix socket. Listen creates it with its
// socket already bound (mode 0600); Serve answers requests until its context
// ends; Close stops at once. Either way the socket file is removed, and no
// Reader or Operator method runs any more once Serve or Close has returned.
type Server struct {
	// ShutdownTimeout bounds the graceful part of Serve's shutdown; zero
	// means DefaultShutdownTimeout. Set it before Serve.
	ShutdownTimeout time.Duration

	path string
	r    Reader
	o    Operator
	log  *slog.Logger
	ln   *netcap.Listener
	info fs.FileInfo // the socket file we made, to remove only that one
	srv  *http.Server
	// cancelReqs cancels every request's context: the forced stop.
	cancelReqs context.CancelFunc

	mu      sync.Mutex
	stopped bool           // no new request may call r or o
	running sync.WaitGroup // requests calling r or o

	cleanOnce sync.Once
	cleanErr  error
}

// Listen binds the control socket at path, mode 0600 from the moment it
// exists there, creating its directory (0700) if missing. A socket left by
// a daemon that is gone is replaced; a socket some process answers on is an
// error ("another rotatord is serving on PATH", or, when the process is
// neither root's nor this user's, one that says another user listens
// there). Clients can connect once Listen returns; requests are answered
// once Serve runs, within the limits above. A nil log discards. ctx only
// bounds Listen itself. r answers list, status and history; o rotate and
// reveal.
func Listen(ctx context.Context, path string, r Reader, o Operator, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ul, info, err := listenPrivate(ctx, path)
	if err != nil {
		return nil, err
	}
	ln := netcap.New(ul, MaxConns, "control socket "+path, log)
	reqCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{path: path, r: r, o: o, log: log, ln: ln, info: info, cancelReqs: cancel}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       RequestTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    8 << 10,
		ConnState:         ln.ConnState,
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Serve answers requests until ctx ends, then shuts down: it stops
// accepting, lets running requests finish for up to ShutdownTimeout,
// cancels the contexts of those still running, waits for them, and removes
// the socket file. It returns nil after a shutdown by ctx or Close.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.shutdown(ctx)
		err = <-errc
	}
	s.stop()
	if cerr := s.cleanup(); err == nil || errors.Is(err, http.ErrServerClosed) {
		err = cerr
	} else {
		err = fmt.Errorf("control socket %s: serve: %w", s.path, err)
	}
	return err
}

// shutdown is the graceful stop, bounded by ShutdownTimeout.
func (s *Server) shutdown(ctx context.Context) {
	grace := s.ShutdownTimeout
	if grace <= 0 {
		grace = DefaultShutdownTimeout
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		s.log.Warn("control socket: requests still running after the grace period; cancelling them",
			"grace", grace, "err", err)
		s.cancelReqs()
		_ = s.srv.Close()
	}
}

// Close stops the server at once: it closes the socket and every
// connection, cancels running requests, waits for them to return, and
// removes the socket file. It may be called with or without Serve.
func (s *Server) Close() error {
	s.cancelReqs()
	_ = s.srv.Close()
	_ = s.ln.Close()
	s.stop()
	return s.cleanup()
}

// stop keeps new requests away from r and o and waits for the running
// ones to return.
func (s *Server) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.running.Wait()
}

// cleanup releases the request contexts and the socket file, once.
func (s *Server) cleanup() error {
	s.cleanOnce.Do(func() {
		s.cancelReqs()
		_ = s.ln.Close()
		s.cleanErr = removeSocket(s.path, s.info)
	})
	return s.cleanErr
}

// enter admits a request to r or o; it reports false once stopping.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	s.running.Add(1)
	return true
}
