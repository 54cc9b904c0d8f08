package webhook

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
	"github.com/rotatord/rotatord/internal/testlog"
)

// The secrets of the tests; none may appear in an error or a log line.
const (
	pathToken  = "PATHTOKEN-3f9a1c"
	queryToken = "QUERYTOKEN-77c1e0"
	hmacSecret = "HMACSECRET-5be2d4"
	bearer     = "BEARERTOKEN-a1d0f9"
	secretKey  = "SECRETKEY-wJalrXUtnFEMIK7MDENG"
)

// request is one request that a receiver got.
type request struct {
	Header http.Header
	Body   []byte
}

// receiver is an httptest handler that records every request and answers
// with respond(n), n counting from 0.
type receiver struct {
	respond func(n int, w http.ResponseWriter)
	mu      sync.Mutex
	reqs    []request
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rv.mu.Lock()
	n := len(rv.reqs)
	rv.reqs = append(rv.reqs, request{Header: r.Header.Clone(), Body: body})
	rv.mu.Unlock()
	if rv.respond == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rv.respond(n, w)
}

func (rv *receiver) requests() []request {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]request(nil), rv.reqs...)
}

// statuses answers the nth request with codes[n], or the last code.
func statuses(codes ...int) func(int, http.ResponseWriter) {
	return func(n int, w http.ResponseWriter) {
		w.WriteHeader(codes[min(n, len(codes)-1)])
	}
}

// serve starts rv and returns the secret-laden URL of its hook.
func serve(t *testing.T, rv *receiver) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewServer(rv)
	t.Cleanup(srv.Close)
	return srv, hookURL(srv.URL)
}

func hookURL(base string) string {
	return base + "/hooks/" + pathToken + "?token=" + queryToken
}

// fast retries without waiting.
var fast = Retry{Max: 4, WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond, MaxRetryAfter: 2 * time.Second}

// fixed is the clock of the tests.
var fixed = time.Date(2026, 3, 1, 3, 0, 2, 0, time.UTC)

func sinkConfig(url string) Config {
	return Config{
		URL:         config.SecretValue(url),
		HMACSecret:  hmacSecret,
		BearerToken: bearer,
	}
}

func credential() sink.Credential {
	return sink.Credential{Secret: "/team/x", Version: 7, AccessKeyID: "AKIAEXAMPLE7", SecretAccessKey: secretKey}
}

func newLogger() (*slog.Logger, *testlog.Buffer) { return testlog.New() }

// newSink builds a webhook sink with fast retries and the fixed clock.
func newSink(t *testing.T, c Config, log *slog.Logger) *Webhook {
	t.Helper()
	w, err := NewWithOptions(c, log, Options{Retry: fast, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatalf("NewWithOptions: %v", err)
	}
	return w
}

// assertNoLeak fails if text contains a secret of the tests or the
// receiver's URL or host.
func assertNoLeak(t *testing.T, what, text string, urls ...string) {
	t.Helper()
	leaks := []string{pathToken, queryToken, hmacSecret, bearer, secretKey}
	for _, u := range urls {
		leaks = append(leaks, u, strings.TrimPrefix(u, "http://"), strings.TrimPrefix(u, "https://"))
	}
	for _, s := range leaks {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains %q:\n%s", what, s, text)
		}
	}
}

// tamper changes the last hex digit of a signature.
func tamper(sig string) string {
	last := "0"
	if strings.HasSuffix(sig, "0") {
		last = "1"
	}
	return sig[:len(sig)-1] + last
}
