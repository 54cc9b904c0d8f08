package control

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSocketMode(t *testing.T) {
	path := filepath.Join(filepath.Dir(sockPath(t)), "a", "b", "r.sock")
	srv, err := listenFake(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Type(); got != fs.ModeSocket {
		t.Errorf("got file type %v, want a socket", got)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("got socket mode %#o, want 0600", got)
	}
	for _, d := range []string{filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
		di, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := di.Mode().Perm(); got&0o077 != 0 {
			t.Errorf("%s: got mode %#o, want 0700 or narrower", d, got)
		}
	}
	// Nothing is left of the private directory the socket was bound in.
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("got %d entries beside the socket's, want only the socket", len(entries)-1)
	}
}

// staleSocket leaves a socket file at path that nobody listens on.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
}

func TestDialNoDaemon(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"missing", func(*testing.T, string) {}},
		{"stale", staleSocket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := sockPath(t)
			tt.setup(t, path)
			_, err := Dial(t.Context(), path)
			if !errors.Is(err, ErrNoDaemon) {
				t.Errorf("got %v, want ErrNoDaemon", err)
			}
		})
	}
}

func TestListenOverExisting(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, path string)
		wantErr string // "" for success
	}{
		{"stale socket", staleSocket, ""},
		{"live server", func(t *testing.T, path string) {
			srv, err := listenFake(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
		}, "another rotatord is serving on "},
		{"regular file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "a file that is not a socket is in the way"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := sockPath(t)
			tt.setup(t, path)
			before, _ := os.Lstat(path)
			srv, err := listenFake(t.Context(), path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				srv.Close()
				return
			}
			if err == nil {
				srv.Close()
				t.Fatalf("got success, want error %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %q, want it to contain %q", err, tt.wantErr)
			}
			if after, err := os.Lstat(path); err != nil || !os.SameFile(before, after) {
				t.Errorf("the file at %s was touched: %v", path, err)
			}
		})
	}
}

func TestShutdownRemovesSocket(t *testing.T) {
	s := serve(t, newFake())
	if _, err := s.client.List(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.stop(); err != nil {
		t.Fatalf("Serve: got %v, want nil", err)
	}
	if _, err := os.Lstat(s.srv.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file after shutdown: got %v, want it gone", err)
	}
	if _, err := s.client.List(t.Context()); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("client after shutdown: got %v, want ErrNoDaemon", err)
	}
}

// TestShutdownCancelsAfterGrace: a request still running when the grace
// period ends has its context cancelled, and Serve returns only after the
// Operator call returned.
func TestShutdownCancelsAfterGrace(t *testing.T) {
	f := newFake()
	s := serve(t, f)
	s.srv.ShutdownTimeout = time.Millisecond
	go func() { _, _ = s.client.Rotate(context.WithoutCancel(t.Context()), nameSlow) }()
	<-f.rotateStarted
	if err := s.stop(); err != nil {
		t.Fatalf("Serve: got %v, want nil", err)
	}
	select {
	case err := <-f.rotateEnded:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("backend: got ctx error %v, want context.Canceled", err)
		}
	default:
		t.Error("Serve returned while Rotate still ran")
	}
}

func TestBadRequests(t *testing.T) {
	s := serve(t, newFake())
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", s.srv.Path())
		},
	}}
	defer hc.CloseIdleConnections()
	tests := []struct {
		name, method, url string
		status            int
		code              string
	}{
		{"rotate by GET", "GET", "/v1/rotate?name=x", http.StatusMethodNotAllowed, codeBadRequest},
		{"list by POST", "POST", "/v1/list", http.StatusMethodNotAllowed, codeBadRequest},
		{"no such endpoint", "GET", "/v2/list", http.StatusNotFound, codeBadRequest},
		{"missing name", "GET", "/v1/status", http.StatusBadRequest, codeBadRequest},
		{"bad version", "GET", "/v1/reveal?name=x&version=two", http.StatusBadRequest, codeBadRequest},
		{"unknown secret", "GET", "/v1/status?name=" + nameUnknown, http.StatusNotFound, codeUnknownSecret},
		{"no state", "GET", "/v1/history?name=" + nameNoState, http.StatusNotFound, codeNotFound},
		{"pending", "POST", "/v1/rotate?name=" + namePending, http.StatusConflict, codeDeliveryPending},
		{"internal", "GET", "/v1/status?name=" + nameBroken, http.StatusInternalServerError, codeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, "http://rotatord"+tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body errorBody
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if resp.StatusCode != tt.status || body.Code != tt.code {
				t.Errorf("got %d %q, want %d %q (%s)", resp.StatusCode, body.Code, tt.status, tt.code, body.Error)
			}
			if body.Error == "" {
				t.Error("got an empty error message")
			}
		})
	}
}
