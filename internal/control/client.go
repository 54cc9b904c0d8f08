package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// maxAnswer bounds the size of an answer the client reads.
const maxAnswer = 64 << 20

// How long a Client waits for the daemon's answer.
const (
	// DefaultTimeout bounds every call but Rotate and Rollback, from connecting to the
	// end of the answer: the daemon answers them from its store at once.
	DefaultTimeout = 10 * time.Second
	// DefaultRotateTimeout bounds Rotate: a rotation may wait for a
	// worker, for IAM, for its new key to verify (verify_timeout, up to an
	// hour) and for its deliveries and their retries.
	DefaultRotateTimeout = 90 * time.Minute
)

// ErrNoAnswer: the daemon did not answer within the client's timeout
// (it may be stuck, or out of file descriptors).
var ErrNoAnswer = errors.New("the daemon did not answer in time")

// Client is a Reader and an Operator that asks the daemon serving on a control socket.
// Errors the daemon returns keep its message and wrap the sentinel of their
// code, so errors.Is(err, ErrDeliveryPending) and the like work as they do
// against the daemon's own backend. Times come back in UTC, equal to the
// daemon's. A Client is safe for concurrent use.
//
// Every connection it makes is checked before a request is sent on it:
// the process that listens on the socket must be root's or this user's
// (SO_PEERCRED), or the call fails with ErrUntrusted.
type Client struct {
	// Timeout bounds each call but Rotate and Rollback; zero means
	// DefaultTimeout. RotateTimeout bounds Rotate and Rollback; zero
	// means DefaultRotateTimeout. A
	// call that runs out fails with ErrNoAnswer. Set them before the
	// first call.
	Timeout, RotateTimeout time.Duration

	path string
	hc   *http.Client
}

var (
	_ Reader   = (*Client)(nil)
	_ Operator = (*Client)(nil)
	_ Revoker  = (*Client)(nil)
)

// Dial connects to the daemon serving on the unix socket at path and
// checks that root or this user serves it. The error wraps ErrNoDaemon
// when the socket file is missing or nobody listens on it, so that the CLI
// can open the state store itself instead, and ErrUntrusted when another
// user's process listens on it.
func Dial(ctx context.Context, path string) (*Client, error) {
	dctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	conn, err := dialVerified(dctx, path)
	if err != nil {
		return nil, err
	}
	_ = conn.Close()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialVerified(ctx, path)
		},
		DisableCompression: true,
		MaxIdleConns:       2,
	}
	return &Client{path: path, hc: &http.Client{Transport: tr}}, nil
}

// dialVerified connects to the socket at path and checks who serves it,
// before anything is written to it.
func dialVerified(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		switch {
		case isNoDaemon(err):
			return nil, noDaemon(path, err)
		case errors.Is(err, syscall.EAGAIN):
			return nil, fmt.Errorf("control socket %s: the daemon accepts no more connections (its queue is full); "+
				"check it with `systemctl status rotatord` and its log: %w", path, err)
		}
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := verifyPeer(conn, path); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// List implements Reader.
func (c *Client) List(ctx context.Context) ([]SecretStatus, error) {
	var out []SecretStatus
	if err := c.call(ctx, http.MethodGet, pathList, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Status implements Reader.
func (c *Client) Status(ctx context.Context, name string) (*SecretDetail, error) {
	var out SecretDetail
	if err := c.call(ctx, http.MethodGet, pathStatus, url.Values{"name": {name}}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// History implements Reader.
func (c *Client) History(ctx context.Context, name string) ([]state.Event, error) {
	var out []state.Event
	if err := c.call(ctx, http.MethodGet, pathHistory, url.Values{"name": {name}}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Rotate implements Operator: it waits for the daemon's rotation. Ending
// ctx closes the connection, which cancels the daemon side's context. Like
// iamrotate.Rotator.Rotate, it returns a Result with ErrDeliveryPending.
func (c *Client) Rotate(ctx context.Context, name string) (*iamrotate.Result, error) {
	var out *iamrotate.Result
	err := c.call(ctx, http.MethodPost, pathRotate, url.Values{"name": {name}}, &out)
	return out, err
}

// Rollback implements Operator: it waits for the daemon's rollback, as
// Rotate does.
func (c *Client) Rollback(ctx context.Context, name, reason string) (*iamrotate.Result, error) {
	var out *iamrotate.Result
	err := c.call(ctx, http.MethodPost, pathRollback, url.Values{"name": {name}, "reason": {reason}}, &out)
	return out, err
}

// RotateRevoke implements Revoker, as Rotate does Operator.
func (c *Client) RotateRevoke(ctx context.Context, name string, rv iamrotate.Revoke) (*iamrotate.Result, error) {
	var out *iamrotate.Result
	q := url.Values{"name": {name}, "revoke": {"1"}, "revoke_after": {rv.After.String()}}
	if rv.Reason != "" {
		q.Set("reason", rv.Reason)
	}
	err := c.call(ctx, http.MethodPost, pathRotate, q, &out)
	return out, err
}

// Reveal implements Operator. The version's Value is the secret access key
// itself (a config.SecretValue, redacted whenever printed).
func (c *Client) Reveal(ctx context.Context, name string, n int) (*state.Version, error) {
	var out revealedVersion
	q := url.Values{"name": {name}, "version": {strconv.Itoa(n)}}
	if err := c.call(ctx, http.MethodGet, pathReveal, q, &out); err != nil {
		return nil, err
	}
	return out.version(), nil
}

// call sends one request and decodes the answer into out. On an error
// answer that carries a result, that result is decoded into out too.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, out any) error {
	what := strings.TrimPrefix(path, "/v1/")
	if name := q.Get("name"); name != "" {
		what += " " + name
	}
	limit := c.limit(path)
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	u := url.URL{Scheme: "http", Host: "rotatord", Path: path, RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(cctx, method, u.String(), nil)
	if err != nil {
		return fmt.Errorf("%s via the daemon: %w", what, err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(ctx, cctx, what, limit, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return c.transportError(ctx, cctx, what, limit, err)
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("%s via the daemon: decode answer: %w", what, err)
		}
		return nil
	}
	var eb struct {
		Error  string          `json:"error"`
		Code   string          `json:"code"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error == "" {
		return fmt.Errorf("%s via the daemon: unexpected answer (status %d)", what, resp.StatusCode)
	}
	if len(eb.Result) > 0 {
		if err := json.Unmarshal(eb.Result, out); err != nil {
			return fmt.Errorf("%s via the daemon: decode result: %w", what, err)
		}
	}
	return &remoteError{msg: eb.Error, code: eb.Code, sentinel: sentinelOf(eb.Code)}
}

// limit is how long a call to the endpoint path may take.
func (c *Client) limit(path string) time.Duration {
	if path == pathRotate || path == pathRollback {
		if c.RotateTimeout > 0 {
			return c.RotateTimeout
		}
		return DefaultRotateTimeout
	}
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// cutOperation returns the secret's name when what is a rotation or a
// rollback ("rotate NAME", "rollback NAME").
func cutOperation(what string) (string, bool) {
	if name, ok := strings.CutPrefix(what, "rotate "); ok {
		return name, true
	}
	return strings.CutPrefix(what, "rollback ")
}

// transportError describes a failure to talk to the daemon at all: it
// wraps ErrNoAnswer when the call's own time (cctx, limit) ran out,
// ErrNoDaemon when the daemon went away, ErrUntrusted when another user
// serves the socket now, and ctx's error when the caller's ctx ended.
func (c *Client) transportError(ctx, cctx context.Context, what string, limit time.Duration, err error) error {
	if ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		if name, ok := cutOperation(what); ok {
			return &noAnswerError{fmt.Sprintf("%s: the daemon on %s did not finish the rotation within %s; it goes on in the daemon: "+
				"follow it with `rotatord status %s`, and check the daemon with `systemctl status rotatord`",
				what, c.path, limit, name)}
		}
		return &noAnswerError{fmt.Sprintf("%s: the daemon on %s did not answer within %s; check it with `systemctl status rotatord` and its log",
			what, c.path, limit)}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, ErrUntrusted), errors.Is(err, ErrNoDaemon):
		return fmt.Errorf("%s: %w", what, err)
	case isNoDaemon(err):
		return fmt.Errorf("%s: %w", what, noDaemon(c.path, err))
	}
	return fmt.Errorf("%s via the daemon: %w", what, err)
}

// noAnswerError is a call that ran out of time. It wraps ErrNoAnswer.
type noAnswerError struct{ msg string }

func (e *noAnswerError) Error() string { return e.msg }
func (e *noAnswerError) Unwrap() error { return ErrNoAnswer }

// noDaemon wraps ErrNoDaemon with the path and the reason (a dial error
// for which isNoDaemon holds): "… running on PATH: connection refused".
func noDaemon(path string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = errno
	}
	return fmt.Errorf("%w on %s: %w", ErrNoDaemon, path, err)
}
