package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rotatord/rotatord/config"
)

// scrubber removes an endpoint's secrets from text: the URL and its parts
// (host included, since a host name may itself be a token), the bearer
// token and the HMAC secret. It is the last line of defence; the first is
// never to format a URL or a *url.Error at all.
type scrubber struct {
	secrets []string // longest first, none shorter than 3 bytes
}

func newScrubber(u *url.URL, raw string, extra ...string) scrubber {
	cands := append([]string{raw, u.String(), u.Host, u.Hostname(), u.RawQuery, u.Fragment, u.EscapedPath(), u.Path, u.RawPath}, extra...)
	if p, ok := u.User.Password(); ok {
		cands = append(cands, p, u.User.Username())
	}
	for _, vs := range u.Query() {
		cands = append(cands, vs...)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		cands = append(cands, seg)
	}
	var s scrubber
	for _, c := range cands {
		if len(c) >= 3 {
			s.secrets = append(s.secrets, c)
		}
	}
	sort.Slice(s.secrets, func(i, j int) bool { return len(s.secrets[i]) > len(s.secrets[j]) })
	return s
}

// text returns t with every secret replaced by config.Redacted.
func (s scrubber) text(t string) string {
	for _, sec := range s.secrets {
		t = strings.ReplaceAll(t, sec, config.Redacted)
	}
	return t
}

// describe says what went wrong in err without the URL: a *url.Error is
// replaced by the error it wraps (its own text starts with the URL), and
// what remains is scrubbed.
func (s scrubber) describe(err error) string {
	if err == nil {
		return "unknown error"
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	return s.text(err.Error())
}

// postError is the error of a failed POST. Its text names the endpoint by
// ID only; it unwraps to the caller's context error when that ended the
// POST, and to nothing else, so no wrapped error can reveal the URL.
type postError struct {
	msg    string
	status int   // the last HTTP status, 0 if none
	ctxErr error // context.Canceled or DeadlineExceeded of the caller's ctx
}

func (e *postError) Error() string { return e.msg }
func (e *postError) Unwrap() error { return e.ctxErr }

// StatusCode returns the HTTP status of the last attempt behind err, or 0
// if err is not a webhook POST error or no response arrived.
func StatusCode(err error) int {
	var pe *postError
	if errors.As(err, &pe) {
		return pe.status
	}
	return 0
}

// attempts formats "after N attempt(s)".
func attempts(n int) string {
	if n == 1 {
		return "after 1 attempt"
	}
	return "after " + strconv.Itoa(n) + " attempts"
}

// statusRE finds the status in retryablehttp's "retrying request" text.
var statusRE = regexp.MustCompile(`\(status: (\d+)\)$`)

// retryLogger adapts slog to retryablehttp.LeveledLogger. It keeps an
// allow-list of retryablehttp's keys and drops the rest: "url" always, and
// "request" (which holds the method and URL) is reduced to its status.
// Errors are described without their URL. retryablehttp logs every failed
// attempt at error level; as the POST may still succeed, those become
// warnings here.
type retryLogger struct {
	ctx   context.Context
	log   *slog.Logger
	scrub scrubber
}

func (l retryLogger) Error(msg string, kv ...any) { l.emit(slog.LevelWarn, msg, kv) }
func (l retryLogger) Warn(msg string, kv ...any)  { l.emit(slog.LevelWarn, msg, kv) }
func (l retryLogger) Info(msg string, kv ...any)  { l.emit(slog.LevelInfo, msg, kv) }
func (l retryLogger) Debug(msg string, kv ...any) { l.emit(slog.LevelDebug, msg, kv) }

func (l retryLogger) emit(level slog.Level, msg string, kv []any) {
	if !l.log.Enabled(l.ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		key, _ := kv[i].(string)
		switch v := kv[i+1]; key {
		case "method":
			if s, ok := v.(string); ok {
				attrs = append(attrs, slog.String("method", s))
			}
		case "remaining":
			if n, ok := v.(int); ok {
				attrs = append(attrs, slog.Int("remaining", n))
			}
		case "timeout":
			if d, ok := v.(time.Duration); ok {
				attrs = append(attrs, slog.Duration("wait", d))
			}
		case "error":
			if err, ok := v.(error); ok {
				attrs = append(attrs, slog.String("err", l.scrub.describe(err)))
			}
		case "request":
			if s, ok := v.(string); ok {
				if m := statusRE.FindStringSubmatch(s); m != nil {
					code, _ := strconv.Atoi(m[1])
					attrs = append(attrs, slog.Int("status", code))
				}
			}
		}
	}
	l.log.LogAttrs(l.ctx, level, "webhook: "+l.scrub.text(msg), attrs...)
}
