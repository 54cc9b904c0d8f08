package netcap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"
)

// pair is a listener on loopback wrapped by New, and a way to dial it and
// collect the server's side of each connection.
type pair struct {
	t        *testing.T
	l        *Listener
	accepted chan net.Conn
}

func newPair(t *testing.T, max int) *pair {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pair{t: t, l: New(inner, max, "test", nil), accepted: make(chan net.Conn, 100)}
	t.Cleanup(func() { p.l.Close() })
	go func() {
		for {
			c, err := p.l.Accept()
			if err != nil {
				close(p.accepted)
				return
			}
			p.accepted <- c
		}
	}()
	return p
}

// dial connects and returns the client side and the server side.
func (p *pair) dial() (client, server net.Conn) {
	p.t.Helper()
	c, err := net.Dial("tcp", p.l.Addr().String())
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { c.Close() })
	select {
	case s := <-p.accepted:
		return c, s
	case <-time.After(10 * time.Second):
		p.t.Fatal("not accepted within 10s")
		return nil, nil
	}
}

// closedByServer reports whether the server closed c: a read sees EOF.
func closedByServer(t *testing.T, c net.Conn) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return err != nil
}

func TestCapClosesLongestWaiting(t *testing.T) {
	p := newPair(t, 2)
	c1, _ := p.dial()
	p.dial()
	c3, s3 := p.dial()
	if !closedByServer(t, c1) {
		t.Error("the oldest waiting connection is still open at the cap")
	}
	if got := p.l.Open(); got != 2 {
		t.Errorf("got %d open, want 2 (the cap)", got)
	}
	// The new one is served.
	if _, err := c3.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(s3, make([]byte, 1)); err != nil {
		t.Errorf("the newest connection: %v", err)
	}
}

func TestCapKeepsActive(t *testing.T) {
	p := newPair(t, 2)
	c1, s1 := p.dial()
	c2, s2 := p.dial()
	// Both run a request: a third connection finds no room.
	p.l.ConnState(s1, http.StateActive)
	p.l.ConnState(s2, http.StateActive)
	c3, err := net.Dial("tcp", p.l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if !closedByServer(t, c3) {
		t.Error("a new connection was kept while every one at the cap runs a request")
	}
	p.l.ConnState(s2, http.StateIdle)
	c4, _ := p.dial()
	if !closedByServer(t, c2) {
		t.Error("the idle connection was not closed for a new one")
	}
	for i, c := range []net.Conn{c1, c4} {
		_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); !isTimeout(err) {
			t.Errorf("connection %d: got %v, want it still open (a read timeout)", i, err)
		}
	}
	if got := p.l.Open(); got != 2 {
		t.Errorf("got %d open, want 2", got)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestIdleWaitsFromWhenItBecameIdle: a connection that has just finished
// a request goes to the back of the queue, behind a silent new one.
func TestIdleWaitsFromWhenItBecameIdle(t *testing.T) {
	p := newPair(t, 2)
	c1, s1 := p.dial()
	c2, _ := p.dial()
	p.l.ConnState(s1, http.StateActive)
	p.l.ConnState(s1, http.StateIdle)
	p.dial()
	if !closedByServer(t, c2) {
		t.Error("the silent connection was kept")
	}
	_ = c1.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := c1.Read(make([]byte, 1)); !isTimeout(err) {
		t.Errorf("the connection that just went idle: got %v, want it open", err)
	}
}

// failing is an inner listener whose Accept fails with err until closed.
type failing struct {
	err  error
	done chan struct{}
	once sync.Once
}

func (f *failing) Accept() (net.Conn, error) {
	select {
	case <-f.done:
		return nil, net.ErrClosed
	default:
	}
	return nil, &net.OpError{Op: "accept", Net: "tcp", Err: &osSyscallError{f.err}}
}

// osSyscallError wraps an errno as os.SyscallError does.
type osSyscallError struct{ err error }

func (e *osSyscallError) Error() string { return "accept4: " + e.err.Error() }
func (e *osSyscallError) Unwrap() error { return e.err }

func (f *failing) Close() error   { f.once.Do(func() { close(f.done) }); return nil }
func (f *failing) Addr() net.Addr { return &net.TCPAddr{} }

// TestAcceptErrorsBackOff: out of file descriptors, Accept retries after
// a delay that doubles from 5ms up to 1s instead of spinning, and
// returns once the listener is closed.
func TestAcceptErrorsBackOff(t *testing.T) {
	f := &failing{err: syscall.EMFILE, done: make(chan struct{})}
	l := New(f, 10, "test", nil)
	var got []time.Duration
	l.pause = func(d time.Duration) bool {
		got = append(got, d)
		if len(got) == 10 {
			l.Close()
		}
		return l.sleep(0)
	}
	if _, err := l.Accept(); err == nil {
		t.Fatal("Accept returned no error after Close")
	}
	ms := time.Millisecond
	want := []time.Duration{5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got delays %v, want %v", got, want)
	}
}

// TestCloseEndsBackoff: a backoff in progress ends at Close.
func TestCloseEndsBackoff(t *testing.T) {
	l := New(&failing{err: syscall.EMFILE, done: make(chan struct{})}, 10, "test", nil)
	paused := make(chan struct{})
	var once sync.Once
	l.pause = func(d time.Duration) bool {
		once.Do(func() { close(paused) })
		return l.sleep(time.Hour)
	}
	errc := make(chan error, 1)
	go func() { _, err := l.Accept(); errc <- err }()
	<-paused
	l.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("Accept returned no error after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waits 5s after Close")
	}
}

// TestOutOfDescriptorsFreesOne: EMFILE closes the longest waiting
// connection, so that the next accept can succeed.
func TestOutOfDescriptorsFreesOne(t *testing.T) {
	p := newPair(t, 10)
	c1, _ := p.dial()
	p.l.evictOldest("test") // what Accept does on EMFILE
	if !closedByServer(t, c1) {
		t.Error("the waiting connection was not closed")
	}
	if got := p.l.Open(); got != 0 {
		t.Errorf("got %d open, want 0", got)
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&net.OpError{Err: &osSyscallError{syscall.EMFILE}}, true},
		{&net.OpError{Err: &osSyscallError{syscall.ECONNABORTED}}, true},
		{net.ErrClosed, false},
		{errors.New("other"), false},
	}
	for _, tt := range tests {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestHTTPServerUnderIdleFlood: 200 idle keep-alive connections and 200
// silent ones against a cap of 20: a new client still gets its answer, and
// the server never holds more than the cap.
func TestHTTPServerUnderIdleFlood(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(inner, 20, "test", nil)
	srv := &http.Server{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }),
		ConnState: l.ConnState,
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	addr := l.Addr().String()
	peak := 0
	for i := range 400 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if i%2 == 0 { // one request, then idle
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err == nil {
				resp.Body.Close()
			}
		}
		peak = max(peak, l.Open())
	}
	if peak > 20 {
		t.Errorf("got %d connections open at once, want at most 20", peak)
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("a new client under the flood: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Errorf("got %q, want ok", body)
	}
}
