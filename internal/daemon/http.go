package daemon

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rotatord/rotatord/internal/netcap"
)

// The limits of the HTTP listener (listen). A scrape or a probe sends one
// small request and reads a small answer, so each limit is generous for
// them and short for a client that holds a connection without using it.
const (
	// MaxHTTPConns is the most connections the listener holds open. At the
	// cap, the one that waited longest for a request (new and silent, or
	// idle between keep-alive requests) is closed to make room, so that a
	// scrape still gets through a flood.
	MaxHTTPConns = 256
	// HTTPReadHeaderTimeout bounds reading a request's headers.
	HTTPReadHeaderTimeout = 5 * time.Second
	// HTTPReadTimeout bounds reading a whole request.
	HTTPReadTimeout = 10 * time.Second
	// HTTPWriteTimeout bounds a request from its headers to the end of
	// the answer.
	HTTPWriteTimeout = 30 * time.Second
	// HTTPIdleTimeout closes a keep-alive connection that sends no next
	// request (Prometheus scrapes every 15 s to 1 min).
	HTTPIdleTimeout = 90 * time.Second
	// HTTPMaxHeaderBytes bounds a request's headers.
	HTTPMaxHeaderBytes = 8 << 10
)

// serveHTTP serves httpHandler on ln, within the limits above, until the
// returned server is closed.
func (d *Daemon) serveHTTP(ln net.Listener) *http.Server {
	capped := netcap.New(ln, MaxHTTPConns, "http listener", d.log)
	srv := &http.Server{
		Handler:           d.httpHandler(),
		ReadHeaderTimeout: HTTPReadHeaderTimeout,
		ReadTimeout:       HTTPReadTimeout,
		WriteTimeout:      HTTPWriteTimeout,
		IdleTimeout:       HTTPIdleTimeout,
		MaxHeaderBytes:    HTTPMaxHeaderBytes,
		ConnState:         capped.ConnState,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	go func() { _ = srv.Serve(capped) }()
	return srv
}

// httpHandler serves /metrics, /healthz (the process answers) and /readyz
// (started: store open, configuration loaded, secrets scheduled).
func (d *Daemon) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !d.Ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}
