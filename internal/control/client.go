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

	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// maxAnswer bounds the size of an answer the client reads.
const maxAnswer = 64 << 20

// Client is a Backend that asks the daemon serving on a control socket.
// Errors the daemon returns keep its message and wrap the sentinel of their
// code, so errors.Is(err, ErrDeliveryPending) and the like work as they do
// against the daemon's own Backend. Times come back in UTC, equal to the
// daemon's. A Client is safe for concurrent use.
type Client struct {
	path string
	hc   *http.Client
}

var _ Backend = (*Client)(nil)

// Dial connects to the daemon serving on the unix socket at path. The error
// wraps ErrNoDaemon when the socket file is missing or nobody listens on
// it, so that the CLI can open the state store itself instead.
func Dial(ctx context.Context, path string) (*Client, error) {
	dctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, "unix", path)
	if err != nil {
		if isNoDaemon(err) {
			return nil, noDaemon(path, err)
		}
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	_ = conn.Close()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		DisableCompression: true,
		MaxIdleConns:       2,
	}
	return &Client{path: path, hc: &http.Client{Transport: tr}}, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// List implements Backend.
func (c *Client) List(ctx context.Context) ([]SecretStatus, error) {
	var out []SecretStatus
	if err := c.call(ctx, http.MethodGet, pathList, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Status implements Backend.
func (c *Client) Status(ctx context.Context, name string) (*SecretDetail, error) {
	var out SecretDetail
	if err := c.call(ctx, http.MethodGet, pathStatus, url.Values{"name": {name}}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// History implements Backend.
func (c *Client) History(ctx context.Context, name string) ([]state.Event, error) {
	var out []state.Event
	if err := c.call(ctx, http.MethodGet, pathHistory, url.Values{"name": {name}}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Rotate implements Backend: it waits for the daemon's rotation. Ending
// ctx closes the connection, which cancels the daemon side's context. Like
// iamrotate.Rotator.Rotate, it returns a Result with ErrDeliveryPending.
func (c *Client) Rotate(ctx context.Context, name string) (*iamrotate.Result, error) {
	var out *iamrotate.Result
	err := c.call(ctx, http.MethodPost, pathRotate, url.Values{"name": {name}}, &out)
	return out, err
}

// Reveal implements Backend. The version's Value is the secret access key
// itself (a config.Secret, redacted whenever printed).
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
	u := url.URL{Scheme: "http", Host: "rotatord", Path: path, RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return fmt.Errorf("%s via the daemon: %w", what, err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return c.transportError(what, err)
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

// transportError describes a failure to talk to the daemon at all: it
// wraps ErrNoDaemon when the daemon went away, and ctx's error when ctx
// ended.
func (c *Client) transportError(what string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if isNoDaemon(err) {
		return fmt.Errorf("%s: %w", what, noDaemon(c.path, err))
	}
	return fmt.Errorf("%s via the daemon: %w", what, err)
}

// noDaemon wraps ErrNoDaemon with the path and the reason (a dial error
// for which isNoDaemon holds): "… running on PATH: connection refused".
func noDaemon(path string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = errno
	}
	return fmt.Errorf("%w on %s: %w", ErrNoDaemon, path, err)
}
