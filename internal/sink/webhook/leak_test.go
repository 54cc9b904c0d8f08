package webhook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestNothingLeaks runs every kind of outcome through one logger at debug
// level and checks that no URL, host, token, HMAC secret or secret access
// key reaches a log line or an error.
func TestNothingLeaks(t *testing.T) {
	log, buf := newLogger()
	rv := &receiver{respond: func(n int, w http.ResponseWriter) {
		switch n % 4 {
		case 0:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case 1:
			// A hostile receiver echoes secrets in a header and the body.
			w.Header().Set("Location", hookURL("http://x.example"))
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(secretKey + bearer + hmacSecret))
		case 2:
			w.WriteHeader(http.StatusBadRequest)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}}
	srv, url := serve(t, rv)
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := hookURL(refused.URL)
	refused.Close()

	var errs []string
	for _, u := range []string{url, url, url, refusedURL} {
		c := sinkConfig(u)
		c.IncludeValue = true
		w := newSink(t, c, log)
		for range 2 {
			if err := w.Put(t.Context(), credential()); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	logs := buf.String()
	for _, text := range append(errs, logs) {
		assertNoLeak(t, "output", text, url, srv.URL, refusedURL, refused.URL)
	}
	if len(errs) == 0 {
		t.Fatal("no errors: the test covers nothing")
	}
	// The logs are useful all the same: they name the sink and the status.
	for _, want := range []string{`"sink":"webhook:`, `"status":429`, `"status":503`, `"err":`, "webhook: retrying request", "webhook delivered"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	t.Logf("errors: %q\nlogs:\n%s", errs, logs)
}

func TestScrubber(t *testing.T) {
	raw := "https://user:PASSWORD1@hooks.example.com:8443/services/" + pathToken + "?token=" + queryToken + "#FRAGMENT"
	w, err := NewWithOptions(sinkConfig(raw), nil, Options{Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	s := w.client.scrub
	in := "dial tcp hooks.example.com:8443: lookup hooks.example.com: no such host; " + raw + " " + bearer + " " + hmacSecret + " PASSWORD1 FRAGMENT"
	out := s.text(in)
	for _, leak := range []string{"hooks.example.com", pathToken, queryToken, bearer, hmacSecret, "PASSWORD1", "FRAGMENT", "services"} {
		if strings.Contains(out, leak) {
			t.Errorf("%q survives in %q", leak, out)
		}
	}
	if !strings.Contains(out, "no such host") {
		t.Errorf("the cause is lost: %q", out)
	}
}
