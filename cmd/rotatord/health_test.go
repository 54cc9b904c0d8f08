package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealth: rotatord health exits 0 when /healthz (or /readyz with
// --ready) answers 200, 1 on any other answer or none, and 2 on a bad
// --listen; a wildcard host is asked on loopback.
func TestHealth(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			_, _ = w.Write([]byte("ok\n"))
		case "/readyz":
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := closed.Addr().String()
	closed.Close()

	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"healthy", []string{"--listen", addr}, exitOK, "http://" + addr + "/healthz: ok\n", ""},
		{"wildcard host", []string{"--listen", "0.0.0.0:" + port}, exitOK, "http://127.0.0.1:" + port + "/healthz: ok\n", ""},
		{"not ready", []string{"--listen", addr, "--ready"}, exitFailed, "", "/readyz answered 503 Service Unavailable"},
		{"nothing listens", []string{"--listen", gone}, exitFailed, "", "no answer from rotatord at http://" + gone + "/healthz"},
		{"bad address", []string{"--listen", "9464"}, exitUsage, "", "give HOST:PORT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"health"}, tt.args...), nil, &stdout, &stderr)
			if code != tt.code || stdout.String() != tt.stdout || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, stderr containing %q", code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
