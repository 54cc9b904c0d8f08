package control

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count file descriptors: %v", err)
	}
	return len(ents)
}

// TestIdleFloodLeavesRoomForList: 500 connections, half silent and half
// idle after one request, hold at most MaxConns of the server's file
// descriptors, and a client still gets its list at once.
func TestIdleFloodLeavesRoomForList(t *testing.T) {
	const flood = 500
	s := serve(t, newFake())
	before := openFDs(t)
	for i := range flood {
		c, err := net.Dial("unix", s.srv.Path())
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		t.Cleanup(func() { c.Close() })
		if i%2 == 0 {
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: rotatord\r\n\r\n", pathList)
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				resp.Body.Close()
			}
		}
	}
	start := time.Now()
	got, err := s.client.List(t.Context())
	if err != nil {
		t.Fatalf("list under the flood: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("list under the flood took %s, want under 2s", took)
	}
	if !reflect.DeepEqual(got, cannedStatus(inUTC)) {
		t.Errorf("got %+v", got)
	}
	// The flood's own ends take flood descriptors; the server's, at most
	// MaxConns (and a few for the client and the runtime).
	if grew, most := openFDs(t)-before, flood+MaxConns+16; grew > most {
		t.Errorf("open file descriptors grew by %d, want at most %d (the flood's %d, the cap %d and a few)",
			grew, most, flood, MaxConns)
	}
}

// TestRotateOutlivesRequestTimeout: RequestTimeout ends a silent request,
// not a rotation that takes longer.
func TestRotateOutlivesRequestTimeout(t *testing.T) {
	const short = 50 * time.Millisecond
	f := newFake()
	s := serveWith(t, f, func(s *Server) { s.srv.ReadTimeout = short })
	type result struct {
		res any
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := s.client.Rotate(t.Context(), nameHeld)
		done <- result{res, err}
	}()
	<-f.rotateStarted
	select {
	case err := <-f.rotateEnded:
		t.Fatalf("the rotation's context ended (%v) while it ran", err)
	case <-time.After(20 * short): // long past it
	}
	close(f.release)
	r := <-done
	if r.err != nil || !reflect.DeepEqual(r.res, cannedResult) {
		t.Errorf("got %+v, %v; want the rotation's result", r.res, r.err)
	}
}

// mute is a unix socket that some process of this user listens on but
// never answers: the kernel queues connections, nobody accepts them.
func mute(t *testing.T) string {
	t.Helper()
	path := sockPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return path
}

// TestClientTimeout: a daemon that never answers fails each call within
// its bound, with ErrNoAnswer and a message that says what to do.
func TestClientTimeout(t *testing.T) {
	path := mute(t)
	c, err := Dial(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Timeout, c.RotateTimeout = 100*time.Millisecond, 200*time.Millisecond
	tests := []struct {
		name  string
		call  func() error
		limit time.Duration
		want  []string
	}{
		{"list", func() error { _, err := c.List(t.Context()); return err }, c.Timeout,
			[]string{"list: the daemon on " + path + " did not answer within 100ms", "systemctl status rotatord"}},
		{"reveal", func() error { _, err := c.Reveal(t.Context(), nameOK, 0); return err }, c.Timeout,
			[]string{"reveal " + nameOK + ":", "did not answer within 100ms"}},
		{"rotate", func() error { _, err := c.Rotate(t.Context(), nameOK); return err }, c.RotateTimeout,
			[]string{"did not finish the rotation within 200ms", "rotatord status " + nameOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := tt.call()
			took := time.Since(start)
			if !errors.Is(err, ErrNoAnswer) {
				t.Fatalf("got %v, want ErrNoAnswer", err)
			}
			if took < tt.limit || took > tt.limit+2*time.Second {
				t.Errorf("failed after %s, want just after %s", took, tt.limit)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestDefaultTimeouts: a Client without settings is bounded too.
func TestDefaultTimeouts(t *testing.T) {
	c := &Client{}
	if got := c.limit(pathList); got != DefaultTimeout || got <= 0 {
		t.Errorf("list: got %s, want DefaultTimeout", got)
	}
	if got := c.limit(pathRotate); got != DefaultRotateTimeout || got < time.Hour {
		t.Errorf("rotate: got %s, want DefaultRotateTimeout (over verify_timeout's 1h maximum)", got)
	}
}

// TestRequestWithBodyRefused: requests carry no body, so one that claims
// a body the server would have to wait for is refused at once.
func TestRequestWithBodyRefused(t *testing.T) {
	s := serve(t, newFake())
	c, err := net.Dial("unix", s.srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST %s?name=%s HTTP/1.1\r\nHost: rotatord\r\nContent-Length: 100\r\n\r\n", pathRotate, nameOK)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("got status %d, want 400", resp.StatusCode)
	}
}
