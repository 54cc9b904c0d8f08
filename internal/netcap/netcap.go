// Package netcap bounds how many connections an HTTP server holds open,
// without ever ceasing to accept: at the cap, the connection that has
// waited longest without a request in progress (a new one that has not
// sent a full request yet, or an idle keep-alive one) is closed to make
// room. A flood of idle or silent connections therefore costs at most the
// cap's worth of file descriptors, and a legitimate client that connects
// and sends its request at once still gets through.
//
// Accept errors that a retry may cure (EMFILE, ENFILE, ECONNABORTED …)
// never reach the server: the listener frees a descriptor by closing its
// oldest waiting connection when the process is out of them, and retries
// with a backoff (5 ms doubling to 1 s) instead of spinning.
package netcap

import (
	"container/list"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// Backoff bounds: the first retry after a failed accept, and the longest.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// warnEvery is how often, at most, the listener logs that it is full.
const warnEvery = time.Minute

// Listener is a net.Listener that holds at most Max connections. Give
// its ConnState method to the http.Server that serves it (Server.ConnState):
// that is how it learns which connections wait and which run a request.
// Without it, every connection counts as waiting from accept to close.
type Listener struct {
	inner net.Listener
	max   int
	name  string
	log   *slog.Logger

	mu      sync.Mutex // guards the fields below
	open    int        // connections accepted and not yet closed
	waiting list.List  // of *conn, the longest waiting first
	evicted int        // since the last warning
	warned  time.Time
	closed  bool
	done    chan struct{} // closed by Close: ends a backoff at once

	// pause waits out a backoff, reporting false if the listener closed
	// meanwhile; tests replace it.
	pause func(time.Duration) bool
}

// conn is an accepted connection. Its elem is its place in the waiting
// list while it waits; gone is set once it no longer counts (closed or
// evicted). Both are guarded by the Listener's mu.
type conn struct {
	net.Conn
	l    *Listener
	elem *list.Element
	gone bool
}

// New wraps inner so that it holds at most max connections (max >= 1).
// name says whose listener it is in the log ("http", "control socket"); a
// nil log discards.
func New(inner net.Listener, max int, name string, log *slog.Logger) *Listener {
	if max < 1 {
		max = 1
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Listener{inner: inner, max: max, name: name, log: log, done: make(chan struct{})}
	l.pause = l.sleep
	return l
}

// Open returns how many accepted connections are open now.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// Accept waits for and returns the next connection. At the cap it first
// closes the connection that has waited longest for a request; if every
// connection runs a request, it closes the new one instead and waits for
// the next. It returns an error only once the listener is closed, or on an
// error a retry cannot cure.
func (l *Listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.inner.Accept()
		if err != nil {
			if !retryable(err) || l.isClosed() {
				return nil, err
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				l.evictOldest("out of file descriptors")
			}
			delay = min(max(2*delay, minBackoff), maxBackoff)
			if !l.pause(delay) {
				return nil, err
			}
			continue
		}
		delay = 0
		if cc := l.admit(c); cc != nil {
			return cc, nil
		}
	}
}

// admit counts c in, making room first; it returns nil (and closes c)
// when there is no room to make.
func (l *Listener) admit(c net.Conn) net.Conn {
	l.mu.Lock()
	var victim *conn
	if l.open >= l.max {
		victim = l.popWaitingLocked()
		if victim == nil {
			l.mu.Unlock()
			_ = c.Close()
			l.log.Warn(l.name+": connection cap reached and every connection runs a request; refused a new one",
				"max_connections", l.max)
			return nil
		}
	}
	cc := &conn{Conn: c, l: l}
	cc.elem = l.waiting.PushBack(cc)
	l.open++
	l.mu.Unlock()
	if victim != nil {
		l.closeEvicted(victim, "connection cap reached")
	}
	return cc
}

// evictOldest closes the connection that has waited longest, if any.
func (l *Listener) evictOldest(why string) {
	l.mu.Lock()
	victim := l.popWaitingLocked()
	l.mu.Unlock()
	if victim != nil {
		l.closeEvicted(victim, why)
	}
}

// popWaitingLocked takes the longest waiting connection out of the count
// and returns it, or nil if none waits. l.mu must be held.
func (l *Listener) popWaitingLocked() *conn {
	e := l.waiting.Front()
	if e == nil {
		return nil
	}
	c := l.waiting.Remove(e).(*conn)
	c.elem = nil
	c.gone = true
	l.open--
	l.evicted++
	return c
}

// closeEvicted closes a connection popWaitingLocked returned and logs,
// at most once a minute, how many were closed.
func (l *Listener) closeEvicted(c *conn, why string) {
	_ = c.Conn.Close()
	l.mu.Lock()
	now := time.Now()
	n := l.evicted
	warn := now.Sub(l.warned) >= warnEvery
	if warn {
		l.warned, l.evicted = now, 0
	}
	l.mu.Unlock()
	if warn {
		l.log.Warn(l.name+": closing the connections that waited longest for a request", "why", why,
			"closed", n, "max_connections", l.max)
	}
}

// ConnState is the http.Server's ConnState hook: a connection waits while
// new or idle, and runs while active; hijacked or closed, it leaves the
// waiting list (it still counts until it is closed).
func (l *Listener) ConnState(nc net.Conn, s http.ConnState) {
	c, ok := nc.(*conn)
	if !ok || c.l != l {
		return
	}
	if s == http.StateNew {
		return // it waits since Accept
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.gone {
		return
	}
	if c.elem != nil {
		l.waiting.Remove(c.elem)
		c.elem = nil
	}
	if s == http.StateIdle {
		c.elem = l.waiting.PushBack(c) // it has waited the least
	}
}

// Close closes the listener, ending any backoff; open connections stay
// open (the http.Server closes them).
func (l *Listener) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.done)
	}
	l.mu.Unlock()
	return l.inner.Close()
}

// Addr is the inner listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

func (l *Listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// sleep waits for d, or less if the listener is closed meanwhile; it
// reports whether the listener is still open.
func (l *Listener) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.done:
		return false
	}
}

// Close closes the connection and stops counting it.
func (c *conn) Close() error {
	l := c.l
	l.mu.Lock()
	if !c.gone {
		c.gone = true
		if c.elem != nil {
			l.waiting.Remove(c.elem)
			c.elem = nil
		}
		l.open--
	}
	l.mu.Unlock()
	return c.Conn.Close()
}

// retryable tells accept errors that a later accept may not meet: too
// many open files, a connection aborted before it was accepted, a
// temporary shortage of memory or buffers.
func retryable(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ECONNABORTED,
		syscall.ECONNRESET, syscall.EINTR, syscall.EAGAIN, syscall.ENOBUFS, syscall.ENOMEM, syscall.EPROTO, syscall.EPERM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
