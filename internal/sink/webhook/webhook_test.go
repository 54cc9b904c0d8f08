package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

func TestPutHeadersAndBody(t *testing.T) {
	rv := &receiver{}
	_, url := serve(t, rv)
	w := newSink(t, sinkConfig(url), nil)
	if err := w.Put(t.Context(), credential()); err != nil {
		t.Fatalf("Put: %v", err)
	}
	reqs := rv.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	h, body := reqs[0].Header, reqs[0].Body
	ts := strconv.FormatInt(fixed.Unix(), 10)
	m := hmac.New(sha256.New, []byte(hmacSecret))
	m.Write([]byte(ts + "." + string(body)))
	for name, want := range map[string]string{
		"Content-Type":         "application/json",
		"User-Agent":           "rotatord",
		"X-Rotatord-Timestamp": ts,
		"X-Rotatord-Signature": "sha256=" + hex.EncodeToString(m.Sum(nil)),
		"Authorization":        "Bearer " + bearer,
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	want := `{"event":"key.rotated","secret":"/team/x","version":7,"access_key_id":"AKIAEXAMPLE7","timestamp":"2026-03-01T03:00:02Z"}`
	if string(body) != want {
		t.Errorf("body:\ngot  %s\nwant %s", body, want)
	}
}

func TestPutWithoutSecretsSendsNoSignatureOrAuthorization(t *testing.T) {
	rv := &receiver{}
	_, url := serve(t, rv)
	w := newSink(t, Config{URL: config.SecretValue(url)}, nil)
	if err := w.Put(t.Context(), credential()); err != nil {
		t.Fatalf("Put: %v", err)
	}
	h := rv.requests()[0].Header
	for _, name := range []string{"X-Rotatord-Signature", "Authorization"} {
		if got, ok := h[name]; ok {
			t.Errorf("%s: got %q, want no such header", name, got)
		}
	}
	if h.Get("X-Rotatord-Timestamp") == "" {
		t.Errorf("X-Rotatord-Timestamp missing")
	}
}

func TestPutIncludeValue(t *testing.T) {
	for _, include := range []bool{false, true} {
		t.Run(strconv.FormatBool(include), func(t *testing.T) {
			rv := &receiver{}
			_, url := serve(t, rv)
			c := sinkConfig(url)
			c.IncludeValue = include
			if err := newSink(t, c, nil).Put(t.Context(), credential()); err != nil {
				t.Fatalf("Put: %v", err)
			}
			body := rv.requests()[0].Body
			var ev Event
			if err := json.Unmarshal(body, &ev); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if got := strings.Contains(string(body), secretKey); got != include {
				t.Errorf("secret access key in body: got %v, want %v (%s)", got, include, body)
			}
			if got := strings.Contains(string(body), `"secret_access_key"`); got != include {
				t.Errorf("secret_access_key field present: got %v, want %v", got, include)
			}
			if include && ev.SecretAccessKey != secretKey {
				t.Errorf("secret_access_key: got %q, want the key", ev.SecretAccessKey)
			}
		})
	}
}

func TestPutIncludeValueRefusesEmptyKey(t *testing.T) {
	rv := &receiver{}
	_, url := serve(t, rv)
	c := sinkConfig(url)
	c.IncludeValue = true
	cred := credential()
	cred.SecretAccessKey = ""
	if err := newSink(t, c, nil).Put(t.Context(), cred); err == nil {
		t.Fatal("got nil error, want one")
	}
	if n := len(rv.requests()); n != 0 {
		t.Errorf("got %d requests, want 0", n)
	}
}

func TestNewErrors(t *testing.T) {
	secretURL := "ftp://host.example/" + pathToken + "?t=" + queryToken
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"scheme", Config{URL: config.SecretValue(secretURL)}, "want an absolute http or https URL"},
		{"unparsable", Config{URL: config.SecretValue("http://%zz/" + pathToken)}, "want an absolute http or https URL"},
		{"no host", Config{URL: config.SecretValue("https:///" + pathToken)}, "want an absolute http or https URL"},
		{"cert without key", Config{URL: "https://h.example/", CertFile: "/c.pem"}, "give both or neither"},
		{"missing ca", Config{URL: "https://h.example/", CAFile: "/nonexistent/ca.pem"}, "ca_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.c, nil)
			if err == nil {
				t.Fatal("got nil error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "webhook sink webhook:") {
				t.Errorf("got %q, want %q in it", err, tt.want)
			}
			assertNoLeak(t, "error", err.Error(), tt.c.URL.Reveal())
		})
	}
}

func TestIDDefaultsToSinkID(t *testing.T) {
	c := sinkConfig("https://h.example/" + pathToken)
	w, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.ID(), sink.ID(config.Sink{Type: Type, Spec: &c}); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPlainHTTPWithSecretsWarns(t *testing.T) {
	log, buf := newLogger()
	c := sinkConfig("http://h.example/" + pathToken)
	c.IncludeValue = true
	newSink(t, c, log)
	if !strings.Contains(buf.String(), "plain http") {
		t.Errorf("no warning in %s", buf)
	}
	assertNoLeak(t, "log", buf.String(), c.URL.Reveal())
}
