package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
)

func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		respond  func(int, http.ResponseWriter)
		wantErr  string // "" for success; else the text after "webhook sink ID: "
		wantReqs int
		status   int
	}{
		{"503 twice then 200", statuses(503, 503, 200), "", 3, 0},
		{"always 503", statuses(503), "POST: 503 Service Unavailable after 5 attempts", 5, 503},
		{"500 then 204", statuses(500, 204), "", 2, 0},
		{"429 then 200", statuses(429, 200), "", 2, 0},
		{"400 is not retried", statuses(400, 200), "POST: 400 Bad Request after 1 attempt", 1, 400},
		{"404 is not retried", statuses(404, 200), "POST: 404 Not Found after 1 attempt", 1, 404},
		{"501 is not retried", statuses(501, 200), "POST: 501 Not Implemented after 1 attempt", 1, 501},
		{"503 then 401", statuses(503, 401), "POST: 401 Unauthorized after 2 attempts", 2, 401},
		{"redirect is not followed", func(_ int, w http.ResponseWriter) {
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}, "POST: 307 Temporary Redirect after 1 attempt", 1, 307},
		{"unknown status", func(_ int, w http.ResponseWriter) {
			w.WriteHeader(599)
		}, "POST: HTTP status 599 after 5 attempts", 5, 599},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rv := &receiver{respond: tt.respond}
			_, url := serve(t, rv)
			w := newSink(t, sinkConfig(url), nil)
			err := w.Put(t.Context(), credential())
			if got := len(rv.requests()); got != tt.wantReqs {
				t.Errorf("got %d requests, want %d", got, tt.wantReqs)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Put: got nil error")
			}
			if want := "webhook sink " + w.ID() + ": " + tt.wantErr; err.Error() != want {
				t.Errorf("got  %q\nwant %q", err, want)
			}
			if got := StatusCode(err); got != tt.status {
				t.Errorf("StatusCode: got %d, want %d", got, tt.status)
			}
			assertNoLeak(t, "error", err.Error(), url)
		})
	}
}

// TestRetriesAreSignedAfresh: each attempt carries its own timestamp and a
// signature that verifies over it.
func TestRetriesAreSignedAfresh(t *testing.T) {
	rv := &receiver{respond: statuses(503, 503, 200)}
	_, url := serve(t, rv)
	var tick atomic.Int64
	clock := func() time.Time { return fixed.Add(time.Duration(tick.Add(1)) * time.Minute) }
	w, err := NewWithOptions(sinkConfig(url), nil, Options{Retry: fast, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put(t.Context(), credential()); err != nil {
		t.Fatalf("Put: %v", err)
	}
	seen := map[string]bool{}
	for i, r := range rv.requests() {
		ts := r.Header.Get(HeaderTimestamp)
		if seen[ts] {
			t.Errorf("attempt %d reuses timestamp %s", i, ts)
		}
		seen[ts] = true
		sec, _ := strconv.ParseInt(ts, 10, 64)
		if err := Verify([]byte(hmacSecret), ts, r.Header.Get(HeaderSignature), r.Body, time.Unix(sec, 0), time.Second); err != nil {
			t.Errorf("attempt %d: %v", i, err)
		}
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	rv := &receiver{respond: func(n int, w http.ResponseWriter) {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}}
	_, url := serve(t, rv)
	w := newSink(t, sinkConfig(url), nil) // backoff without Retry-After: ≤ 2ms
	start := time.Now()
	if err := w.Put(t.Context(), credential()); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := time.Since(start); got < time.Second {
		t.Errorf("Put took %s, want ≥ 1s (Retry-After: 1)", got)
	}
	if got := len(rv.requests()); got != 2 {
		t.Errorf("got %d requests, want 2", got)
	}
}

func TestBackoff(t *testing.T) {
	r := Retry{MaxRetryAfter: 60 * time.Second}
	resp := func(code int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	tests := []struct {
		name    string
		attempt int
		resp    *http.Response
		want    time.Duration
	}{
		{"first wait", 0, nil, time.Second},
		{"exponential", 3, resp(500, ""), 8 * time.Second},
		{"capped", 10, resp(502, ""), 30 * time.Second},
		{"429 retry-after", 0, resp(429, "7"), 7 * time.Second},
		{"503 retry-after", 0, resp(503, "2"), 2 * time.Second},
		{"retry-after capped", 0, resp(429, "3600"), 60 * time.Second},
		{"retry-after overflow", 0, resp(429, "99999999999999999"), 60 * time.Second},
		{"retry-after past date", 0, resp(429, "Fri, 31 Dec 1999 23:59:59 GMT"), 0},
		{"retry-after garbage", 1, resp(429, "soon"), 2 * time.Second},
		{"retry-after ignored on 500", 0, resp(500, "9"), time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.backoff(time.Second, 30*time.Second, tt.attempt, tt.resp); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := hookURL(srv.URL)
	srv.Close()
	w := newSink(t, sinkConfig(url), nil)
	err := w.Put(t.Context(), credential())
	if err == nil {
		t.Fatal("Put: got nil error")
	}
	if !strings.HasSuffix(err.Error(), "after 5 attempts") {
		t.Errorf("got %q, want 5 attempts", err)
	}
	assertNoLeak(t, "error", err.Error(), url, srv.URL)
}

func TestContextCanceledBetweenAttempts(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	rv := &receiver{respond: func(_ int, w http.ResponseWriter) {
		cancel()
		w.WriteHeader(http.StatusServiceUnavailable)
	}}
	_, url := serve(t, rv)
	w, err := NewWithOptions(sinkConfig(url), nil, Options{Retry: Retry{WaitMin: time.Hour, WaitMax: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Put(ctx, credential())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	assertNoLeak(t, "error", err.Error(), url)
}

func TestPerAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	rv := &receiver{respond: func(_ int, w http.ResponseWriter) { <-release }}
	_, url := serve(t, rv)
	defer close(release)
	c := sinkConfig(url)
	c.Timeout = config.Duration(20 * time.Millisecond)
	w, err := NewWithOptions(c, nil, Options{Retry: Retry{Max: 1, WaitMin: time.Millisecond, WaitMax: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Put(t.Context(), credential())
	if err == nil || !strings.Contains(err.Error(), "Client.Timeout") || !strings.HasSuffix(err.Error(), "after 2 attempts") {
		t.Fatalf("got %v, want a client timeout after 2 attempts", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a per-attempt timeout must not look like the caller's deadline")
	}
	assertNoLeak(t, "error", err.Error(), url)
}
