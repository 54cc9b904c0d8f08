// Package webhook is the sink that POSTs each new credential to an HTTP
// endpoint as a JSON event, and the HTTP client that rotatord's
// notifications share with it. docs/webhooks.md describes the wire format
// for receivers.
//
// A webhook URL is a secret (it often carries a token in its path or
// query), and so are the HMAC secret, the bearer token and the secret
// access key. None of them ever appears in an error or a log line: the
// endpoint is named by its sink ID, a hash.
//
// Config is the sink's configuration (type: webhook): fields, defaults,
// rules, the secrets and TLS files it reads, and the sink it builds.
package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

var _ sink.Sink = (*Webhook)(nil)

// EventKeyRotated is the "event" of every request a webhook sink sends.
const EventKeyRotated = "key.rotated"

// Event is the JSON body of a webhook sink's request. SecretAccessKey is
// set only with include_value: true; otherwise the receiver learns that a
// key was rotated and fetches the value from where it lives.
type Event struct {
	Event           string `json:"event"`
	Secret          string `json:"secret"`
	Version         int    `json:"version"`
	AccessKeyID     string `json:"access_key_id"`
	Timestamp       string `json:"timestamp"` // RFC 3339, UTC, when Put began
	SecretAccessKey string `json:"secret_access_key,omitempty"`
}

// Options tunes a Webhook beyond its configuration; the zero value is the
// production behaviour.
type Options struct {
	// ID names the sink in errors and logs; empty means sink.ID(c), such
	// as "webhook:1f2e3d4c5b6a7980".
	ID    string
	Retry Retry
	// Now is the clock of the event and of the signature; nil: time.Now.
	Now func() time.Time
}

// Webhook is a sink that POSTs a "key.rotated" Event, signed when an HMAC
// secret is configured. It is safe for concurrent use.
type Webhook struct {
	id           string
	includeValue bool
	now          func() time.Time
	client       *Client
}

// New returns the webhook sink that c describes, with default Options.
func New(c Config, log *slog.Logger) (*Webhook, error) {
	return NewWithOptions(c, log, Options{})
}

// NewWithOptions returns the webhook sink that c describes. c has passed
// config validation and its secrets are resolved; New still checks that
// the URL is an absolute http or https URL, and loads ca_file, cert_file
// and key_file now, so a bad file fails at load time. It warns (once, here)
// when a plain-http URL would carry the bearer token or the secret access
// key. log may be nil.
func NewWithOptions(c Config, log *slog.Logger, opts Options) (*Webhook, error) {
	id := opts.ID
	if id == "" {
		id = sink.ID(config.Sink{Type: Type, Spec: &c})
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("sink", id)
	name := "webhook sink " + id
	tc, err := tlsConfig(c.CAFile, c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	client, err := NewClient(ClientConfig{
		Name:        name,
		URL:         c.URL,
		HMACSecret:  c.HMACSecret,
		BearerToken: c.BearerToken,
		TLS:         tc,
		Timeout:     c.Timeout.D(),
		Retry:       opts.Retry,
		Now:         opts.Now,
	}, log)
	if err != nil {
		return nil, err
	}
	if u, _ := url.Parse(c.URL.Reveal()); u.Scheme == "http" && (c.IncludeValue || !c.BearerToken.IsZero()) {
		log.Warn("webhook sink sends secrets over plain http; use https")
	}
	return &Webhook{id: id, includeValue: c.IncludeValue, now: opts.Now, client: client}, nil
}

// ID returns the sink's ID, which errors and logs use in place of its URL.
func (w *Webhook) ID() string { return w.id }

// Put POSTs c as an Event and returns nil once the receiver answered 2xx;
// it retries as Client.Post does. Receivers must treat a repeated
// (secret, version) as the same delivery. The error never contains the
// URL, the HMAC secret, the bearer token or the secret access key.
func (w *Webhook) Put(ctx context.Context, c sink.Credential) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("webhook sink %s: %w", w.id, err)
	}
	ev := Event{
		Event:       EventKeyRotated,
		Secret:      c.Secret,
		Version:     c.Version,
		AccessKeyID: c.AccessKeyID,
		Timestamp:   w.now().UTC().Format(time.RFC3339),
	}
	if w.includeValue {
		if c.SecretAccessKey.IsZero() {
			return fmt.Errorf("webhook sink %s: include_value: the secret access key is empty", w.id)
		}
		ev.SecretAccessKey = c.SecretAccessKey.Reveal()
	}
	body, err := json.Marshal(ev)
	if err != nil { // cannot happen: only strings and an int
		return fmt.Errorf("webhook sink %s: encode event", w.id)
	}
	return w.client.Post(ctx, body)
}

// Close closes the sink's idle keep-alive connections; the daemon calls it
// when a reload drops the sink. Put still works afterwards.
func (w *Webhook) Close() error {
	w.client.CloseIdleConnections()
	return nil
}
