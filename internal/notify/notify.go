// Package notify sends rotatord's events (a rotation succeeded or failed,
// a delivery failed, drift, an upcoming rotation) to the webhooks of the
// configuration's notify list: as rotatord's JSON event, signed like a
// webhook sink's request, or as a Slack-compatible message.
//
// Sending never holds up a rotation: Send queues and returns, a few workers
// POST in the background with retries, and a full queue drops (and logs)
// rather than blocks. Nothing it logs or returns contains a target's URL or
// HMAC secret: targets are named by a hash of their URL.
package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink/webhook"
)

// Defaults of Options.
const (
	DefaultQueueSize = 256
	DefaultWorkers   = 2
)

// Options tunes a Notifier; the zero value is the production behaviour.
type Options struct {
	// Retry bounds the attempts of each notification (see webhook.Retry).
	Retry webhook.Retry
	// QueueSize is how many notifications may wait to be sent; beyond it
	// Send drops. Default DefaultQueueSize.
	QueueSize int
	// Workers is how many notifications are sent at once; default
	// DefaultWorkers.
	Workers int
	// Now is the clock of events without a Time and of signatures; nil
	// means time.Now.
	Now func() time.Time
}

// target is one entry of the notify list.
type target struct {
	id     string   // "notify:" + 16 hex digits of the URL's SHA-256
	events []string // nil: every kind
	format string   // config.NotifyJSON or config.NotifySlack
	client *webhook.Client
	log    *slog.Logger
}

func (t *target) wants(kind string) bool { return t.events == nil || slices.Contains(t.events, kind) }

// job is one notification to one target.
type job struct {
	ctx  context.Context // Send's context, without its cancellation
	t    *target
	e    Event
	body []byte
}

// Notifier sends events to the configured targets. Its methods are safe
// for concurrent use, and on a nil *Notifier they do nothing. Close must
// be called to stop its workers.
type Notifier struct {
	targets []*target
	log     *slog.Logger
	now     func() time.Time

	mu     sync.RWMutex // guards closed against the close of queue
	closed bool
	queue  chan job

	wg        sync.WaitGroup // the workers
	closeOnce sync.Once
	done      chan struct{} // closed once every worker has returned
	abortOnce sync.Once
	abort     chan struct{} // closed when Close's ctx ends: give up
	abandoned atomic.Int64  // notifications given up by abort
}

// New checks cfgs (secrets resolved by config.Load) and starts the
// workers. Each target needs an absolute http(s) URL, a format of json
// (the default) or slack, and events among Kinds (none: all). log may be
// nil.
func New(cfgs []config.Notify, log *slog.Logger, opts Options) (*Notifier, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	n := &Notifier{log: log, now: opts.Now, done: make(chan struct{}), abort: make(chan struct{})}
	for i, c := range cfgs {
		t, err := newTarget(c, log, opts)
		if err != nil {
			return nil, fmt.Errorf("notify[%d]: %w", i, err)
		}
		n.targets = append(n.targets, t)
	}
	n.queue = make(chan job, opts.QueueSize)
	if len(n.targets) == 0 {
		opts.Workers = 0
	}
	for range opts.Workers {
		n.wg.Go(n.work)
	}
	return n, nil
}

func newTarget(c config.Notify, log *slog.Logger, opts Options) (*target, error) {
	sum := sha256.Sum256([]byte(c.URL.Reveal()))
	t := &target{id: "notify:" + hex.EncodeToString(sum[:8]), format: c.Format}
	name := "notify " + t.id
	switch t.format {
	case "":
		t.format = config.NotifyJSON
	case config.NotifyJSON, config.NotifySlack:
	default:
		return nil, fmt.Errorf("%s: format %q: want %s or %s", name, c.Format, config.NotifyJSON, config.NotifySlack)
	}
	for _, k := range c.Events {
		if !knownKind(k) {
			return nil, fmt.Errorf("%s: events: unknown event %q (want one of %v)", name, k, Kinds())
		}
	}
	if len(c.Events) > 0 {
		t.events = slices.Clone(c.Events)
	}
	t.log = log.With("notify", t.id)
	client, err := webhook.NewClient(webhook.ClientConfig{
		Name:       name,
		URL:        c.URL,
		HMACSecret: c.HMACSecret,
		Timeout:    c.Timeout.D(),
		Retry:      opts.Retry,
		Now:        opts.Now,
	}, t.log)
	if err != nil {
		return nil, err
	}
	t.client = client
	return t, nil
}

// Send queues e for every target whose events include e.Kind and returns
// at once. A zero e.Time becomes now. The sends outlive ctx (they only keep
// its values) and end with Close. A notification that finds the queue full,
// or comes after Close, is dropped and logged.
func (n *Notifier) Send(ctx context.Context, e Event) {
	if n == nil {
		return
	}
	e = e.normalize(n.now())
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, t := range n.targets {
		if !t.wants(e.Kind) {
			continue
		}
		if n.closed {
			t.log.LogAttrs(ctx, slog.LevelWarn, "notification dropped: notifier closed", eventAttrs(e)...)
			continue
		}
		b, err := body(t.format, e)
		if err != nil { // cannot happen: strings and times
			t.log.LogAttrs(ctx, slog.LevelError, "notification dropped: encode", append(eventAttrs(e), slog.Any("err", err))...)
			continue
		}
		select {
		case n.queue <- job{ctx: context.WithoutCancel(ctx), t: t, e: e, body: b}:
		default:
			t.log.LogAttrs(ctx, slog.LevelWarn, "notification dropped: queue full", eventAttrs(e)...)
		}
	}
}

func eventAttrs(e Event) []slog.Attr {
	return []slog.Attr{slog.String("event", e.Kind), slog.String("secret", e.Secret)}
}

// work sends queued notifications until the queue is closed and empty.
func (n *Notifier) work() {
	for j := range n.queue {
		select {
		case <-n.abort:
			n.abandoned.Add(1)
			continue
		default:
		}
		n.deliver(j)
	}
}

// deliver POSTs one notification; Close's abort cancels it.
func (n *Notifier) deliver(j job) {
	ctx, cancel := context.WithCancel(j.ctx)
	defer cancel()
	go func() {
		select {
		case <-n.abort:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := j.t.client.Post(ctx, j.body)
	switch {
	case err == nil:
		j.t.log.LogAttrs(ctx, slog.LevelDebug, "notification sent", eventAttrs(j.e)...)
	case ctx.Err() != nil:
		n.abandoned.Add(1)
		j.t.log.LogAttrs(ctx, slog.LevelWarn, "notification abandoned at shutdown", eventAttrs(j.e)...)
	default:
		j.t.log.LogAttrs(ctx, slog.LevelWarn, "notification failed", append(eventAttrs(j.e), slog.String("err", err.Error()))...)
	}
}

// Close stops accepting notifications and sends those already queued. It
// returns nil once all are sent (or failed after their retries); if ctx
// ends first, it cancels the sends in flight, drops the rest, and returns
// an error wrapping ctx.Err(). Later calls wait the same way.
func (n *Notifier) Close(ctx context.Context) error {
	if n == nil {
		return nil
	}
	n.closeOnce.Do(func() {
		n.mu.Lock()
		n.closed = true
		close(n.queue)
		n.mu.Unlock()
		go func() {
			n.wg.Wait()
			close(n.done)
		}()
	})
	select {
	case <-n.done:
		return nil
	case <-ctx.Done():
	}
	n.abortOnce.Do(func() { close(n.abort) })
	<-n.done
	if k := n.abandoned.Load(); k > 0 {
		return fmt.Errorf("notify: close: %d notification(s) not sent: %w", k, ctx.Err())
	}
	return nil
}
