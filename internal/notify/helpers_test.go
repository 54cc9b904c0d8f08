package notify

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
	"github.com/rotatord/rotatord/internal/sink/webhook"
	"github.com/rotatord/rotatord/internal/testlog"
)

const (
	pathToken  = "PATHTOKEN-91bd"
	queryToken = "QUERYTOKEN-0c3e"
	hmacSecret = "HMACSECRET-e7a2"
)

// request is one notification that a receiver got.
type request struct {
	Header http.Header
	Body   []byte
}

// receiver records requests; handle, if set, answers them.
type receiver struct {
	handle func(w http.ResponseWriter, r *http.Request)
	mu     sync.Mutex
	reqs   []request
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rv.mu.Lock()
	rv.reqs = append(rv.reqs, request{Header: r.Header.Clone(), Body: body})
	rv.mu.Unlock()
	if rv.handle != nil {
		rv.handle(w, r)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (rv *receiver) requests() []request {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]request(nil), rv.reqs...)
}

// bodies returns the bodies received, as strings.
func (rv *receiver) bodies() []string {
	var out []string
	for _, r := range rv.requests() {
		out = append(out, string(r.Body))
	}
	return out
}

// serve starts rv and returns the secret-laden URL of its hook.
func serve(t *testing.T, rv *receiver) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewServer(rv)
	t.Cleanup(srv.Close)
	return srv, srv.URL + "/hooks/" + pathToken + "?token=" + queryToken
}

var fixed = time.Date(2026, 3, 1, 3, 0, 41, 0, time.UTC)

var fast = webhook.Retry{Max: 2, WaitMin: time.Millisecond, WaitMax: time.Millisecond}

// newNotifier builds a Notifier with fast retries and the fixed clock, and
// closes it at the end of the test.
func newNotifier(t *testing.T, cfgs []config.Notify, log *slog.Logger, opts Options) *Notifier {
	t.Helper()
	opts.Retry = fast
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixed }
	}
	n, err := New(cfgs, log, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = n.Close(t.Context()) })
	return n
}

func newLogger() (*slog.Logger, *testlog.Buffer) { return testlog.New() }

func assertNoLeak(t *testing.T, what, text string, srvURL, hook string) {
	t.Helper()
	for _, s := range []string{pathToken, queryToken, hmacSecret, hook, srvURL, strings.TrimPrefix(srvURL, "http://")} {
		if strings.Contains(text, s) {
			t.Errorf("%s contains %q:\n%s", what, s, text)
		}
	}
}
