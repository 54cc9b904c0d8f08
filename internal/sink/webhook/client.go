package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/rotatord/rotatord/config"
)

// Retry bounds the attempts of one POST. Zero fields take the defaults.
type Retry struct {
	// Max is the number of retries after the first attempt; default 4.
	// A negative Max means no retries.
	Max int
	// WaitMin and WaitMax bound the exponential backoff between attempts:
	// WaitMin, 2×WaitMin, 4×WaitMin… up to WaitMax; defaults 1s and 30s.
	WaitMin, WaitMax time.Duration
	// MaxRetryAfter caps the wait that a 429 or 503 response asks for in
	// its Retry-After header; default 60s.
	MaxRetryAfter time.Duration
}

// Defaults of Retry.
const (
	DefaultRetryMax      = 4
	DefaultRetryWaitMin  = time.Second
	DefaultRetryWaitMax  = 30 * time.Second
	DefaultMaxRetryAfter = 60 * time.Second
)

func (r Retry) withDefaults() Retry {
	if r.Max == 0 {
		r.Max = DefaultRetryMax
	} else if r.Max < 0 {
		r.Max = 0
	}
	if r.WaitMin <= 0 {
		r.WaitMin = DefaultRetryWaitMin
	}
	if r.WaitMax <= 0 {
		r.WaitMax = DefaultRetryWaitMax
	}
	if r.WaitMax < r.WaitMin {
		r.WaitMax = r.WaitMin
	}
	if r.MaxRetryAfter <= 0 {
		r.MaxRetryAfter = DefaultMaxRetryAfter
	}
	return r
}

// backoff is retryablehttp.DefaultBackoff (lo, 2×lo, 4×lo… up to hi) with
// a 429's or 503's Retry-After honoured but capped at r.MaxRetryAfter: a
// misbehaving receiver cannot park a delivery for hours.
func (r Retry) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if s := resp.Header.Get("Retry-After"); s != "" {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
				if d := time.Duration(n) * time.Second; n <= int64(r.MaxRetryAfter/time.Second) && d <= r.MaxRetryAfter {
					return d
				}
				return r.MaxRetryAfter
			}
			if t, err := http.ParseTime(s); err == nil {
				return max(0, min(time.Until(t), r.MaxRetryAfter))
			}
		}
	}
	return retryablehttp.DefaultBackoff(lo, hi, attempt, nil)
}

// ClientConfig describes one webhook endpoint.
type ClientConfig struct {
	// Name is how errors and logs call the endpoint, such as
	// "webhook sink webhook:1f2e3d4c5b6a7980". It must not contain the URL.
	Name        string
	URL         config.SecretValue // http or https, with a host
	HMACSecret  config.SecretValue // empty: no HeaderSignature
	BearerToken config.SecretValue // empty: no Authorization header
	// TLS is the client's TLS configuration; nil means the system roots,
	// TLS 1.2 or later.
	TLS *tls.Config
	// Timeout bounds each attempt; 0 means config.DefaultWebhookTimeout.
	Timeout time.Duration
	Retry   Retry
	// Now is the clock of HeaderTimestamp; nil means time.Now.
	Now func() time.Time
}

// Client POSTs JSON bodies to one webhook endpoint, signed and retried.
// Nothing it returns or logs contains the URL (host included), the HMAC
// secret, the bearer token or the body. It is safe for concurrent use.
type Client struct {
	cc     ClientConfig
	url    string
	hmac   []byte
	scrub  scrubber
	http   *http.Client
	log    *slog.Logger
	closer func() // closes idle connections
}

// NewClient checks cc and returns its client. log may be nil (no logs);
// the caller narrows it to the endpoint ("sink" or "notify" attribute).
func NewClient(cc ClientConfig, log *slog.Logger) (*Client, error) {
	raw := cc.URL.Reveal()
	u, err := url.Parse(raw)
	// url.Parse's error quotes the URL: report without it.
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: url: want an absolute http or https URL", cc.Name)
	}
	if cc.Timeout <= 0 {
		cc.Timeout = config.DefaultWebhookTimeout
	}
	if cc.Now == nil {
		cc.Now = time.Now
	}
	if cc.TLS == nil {
		cc.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	cc.Retry = cc.Retry.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cc.TLS
	return &Client{
		cc:    cc,
		url:   raw,
		hmac:  []byte(cc.HMACSecret.Reveal()),
		scrub: newScrubber(u, raw, cc.BearerToken.Reveal(), cc.HMACSecret.Reveal()),
		http: &http.Client{
			Transport: tr,
			Timeout:   cc.Timeout,
			// A redirect is a failure: the body and token go to the
			// configured URL or nowhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log:    log,
		closer: tr.CloseIdleConnections,
	}, nil
}

// Post sends body with the endpoint's headers and retries on connection
// errors, 5xx but 501, and 429, honouring Retry-After. Each attempt is
// signed afresh with its own timestamp. It returns nil on a 2xx response,
// otherwise an error such as "NAME: POST: 503 Service Unavailable after 5
// attempts". A redirect is not followed and fails. When ctx ends, the
// error wraps ctx.Err().
func (c *Client) Post(ctx context.Context, body []byte) error {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.url, body)
	if err != nil {
		return &postError{msg: c.cc.Name + ": POST: cannot build the request"}
	}
	c.setHeaders(req.Header, body)
	var st postState
	resp, err := c.retrier(ctx, body, &st).Do(req)
	if err != nil {
		var pe *postError
		if errors.As(err, &pe) {
			return err
		}
		// Do returns the bare context error when ctx ends between attempts.
		return c.fail(ctx, st.status, c.scrub.describe(err), st.tries)
	}
	drain(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.fail(ctx, resp.StatusCode, statusText(resp.StatusCode), st.tries)
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "webhook delivered", slog.Int("status", resp.StatusCode), slog.Int("attempts", st.tries))
	return nil
}

// postState is what one Post learns from retryablehttp's hooks.
type postState struct {
	tries  int // attempts made
	status int // status of the last response, 0 if none
}

// retrier returns the retryablehttp client of one Post of body: its hooks
// count attempts into st, re-sign each retry, log through a sanitizing
// adapter, and turn the final failure into a *postError.
func (c *Client) retrier(ctx context.Context, body []byte, st *postState) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:     c.http,
		Logger:         retryLogger{ctx: ctx, log: c.log, scrub: c.scrub},
		RetryWaitMin:   c.cc.Retry.WaitMin,
		RetryWaitMax:   c.cc.Retry.WaitMax,
		RetryMax:       c.cc.Retry.Max,
		CheckRetry:     retryablehttp.DefaultRetryPolicy,
		Backoff:        c.cc.Retry.backoff,
		RequestLogHook: func(_ retryablehttp.Logger, _ *http.Request, i int) { st.tries = i + 1 },
		ResponseLogHook: func(_ retryablehttp.Logger, r *http.Response) {
			st.status = r.StatusCode
		},
		PrepareRetry: func(r *http.Request) error {
			// The previous attempt's transport may still read the old map.
			r.Header = r.Header.Clone()
			c.setHeaders(r.Header, body)
			return nil
		},
		ErrorHandler: func(resp *http.Response, err error, n int) (*http.Response, error) {
			if resp != nil {
				drain(resp)
				return nil, c.fail(ctx, resp.StatusCode, statusText(resp.StatusCode), n)
			}
			return nil, c.fail(ctx, 0, c.scrub.describe(err), n)
		},
	}
}

// setHeaders sets every header of one attempt, signed at c.cc.Now().
func (c *Client) setHeaders(h http.Header, body []byte) {
	ts := strconv.FormatInt(c.cc.Now().Unix(), 10)
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "rotatord")
	h.Set(HeaderTimestamp, ts)
	if len(c.hmac) > 0 {
		h.Set(HeaderSignature, Sign(c.hmac, ts, body))
	}
	if tok := c.cc.BearerToken.Reveal(); tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
}

// fail builds the sanitized error of a POST that made n attempts.
func (c *Client) fail(ctx context.Context, status int, what string, n int) error {
	return &postError{
		msg:    fmt.Sprintf("%s: POST: %s %s", c.cc.Name, what, attempts(n)),
		status: status,
		ctxErr: ctx.Err(),
	}
}

// CloseIdleConnections closes the client's idle keep-alive connections.
func (c *Client) CloseIdleConnections() { c.closer() }

// statusText is "503 Service Unavailable": the code and Go's text for it,
// never the reason phrase that the receiver sent.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return "HTTP status " + strconv.Itoa(code)
}

// drain reads a little of resp's body, so the connection can be reused,
// and closes it. The body is never shown: a receiver may echo secrets.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
