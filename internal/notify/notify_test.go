package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink/webhook"
)

func TestFilterByEvents(t *testing.T) {
	failures, all := &receiver{}, &receiver{}
	_, failuresURL := serve(t, failures)
	_, allURL := serve(t, all)
	n := newNotifier(t, []config.Notify{
		{URL: config.SecretValue(failuresURL), Events: []string{RotationFailed, DeliveryFailed}},
		{URL: config.SecretValue(allURL)},
	}, nil, Options{})
	for _, k := range Kinds() {
		n.Send(t.Context(), Event{Kind: k, Secret: "/team/x"})
	}
	if err := n.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	kinds := func(rv *receiver) map[string]bool {
		got := map[string]bool{}
		for _, b := range rv.bodies() {
			var e Event
			if err := json.Unmarshal([]byte(b), &e); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
			got[e.Kind] = true
		}
		return got
	}
	if got := kinds(failures); len(got) != 2 || !got[RotationFailed] || !got[DeliveryFailed] {
		t.Errorf("filtered target: got %v, want rotation.failed and delivery.failed", got)
	}
	if got := kinds(all); len(got) != len(Kinds()) {
		t.Errorf("unfiltered target: got %v, want every kind", got)
	}
}

func TestSlackFormat(t *testing.T) {
	due := time.Date(2026, 3, 4, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Kind: RotationFailed, Secret: "/team/x", Detail: "verify: timeout"}, "rotatord: rotation of /team/x failed: verify: timeout"},
		{Event{Kind: RotationFailed, Secret: "/team/x", RotationID: "r-1"}, "rotatord: rotation of /team/x failed (rotation r-1)"},
		{Event{Kind: RotationSucceeded, Secret: "/team/x", KeyID: "AKIANEW"}, "rotatord: rotation of /team/x succeeded: new key AKIANEW"},
		{Event{Kind: DeliveryFailed, Secret: "/team/x", Detail: "webhook sink webhook:ab: POST: 503 Service Unavailable after 5 attempts"}, "rotatord: delivery of /team/x failed: webhook sink webhook:ab: POST: 503 Service Unavailable after 5 attempts"},
		{Event{Kind: DriftDetected, Secret: "/team/x", Detail: "current key AKIAOLD is inactive"}, "rotatord: drift detected on /team/x: current key AKIAOLD is inactive"},
		{Event{Kind: RotationUpcoming, Secret: "/team/x", Due: due}, "rotatord: rotation of /team/x is due at 2026-03-04T03:00:00Z"},
		{Event{Kind: RetirementHeld, Secret: "/team/x", Detail: "previous key still in use (s3, eu-west-1, 2 h ago)"}, "rotatord: retirement of a replaced key of /team/x is held: previous key still in use (s3, eu-west-1, 2 h ago)"},
		{Event{Kind: RetirementForced, Secret: "/team/x", KeyID: "AKIAOLD"}, "rotatord: replaced key of /team/x retired although still in use"},
		{Event{Kind: RotationFailed, Secret: "/a<b>&c", Detail: "<!channel>"}, "rotatord: rotation of /a&lt;b&gt;&amp;c failed: &lt;!channel&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.e.Kind, func(t *testing.T) {
			rv := &receiver{}
			_, url := serve(t, rv)
			n := newNotifier(t, []config.Notify{{URL: config.SecretValue(url), Format: config.NotifySlack}}, nil, Options{})
			n.Send(t.Context(), tt.e)
			if err := n.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			got := rv.bodies()
			wantBody, _ := json.Marshal(map[string]string{"text": tt.want})
			if len(got) != 1 || got[0] != string(wantBody) {
				t.Errorf("got %q, want [%s]", got, wantBody)
			}
		})
	}
}

func TestJSONFormatSigned(t *testing.T) {
	rv := &receiver{}
	_, url := serve(t, rv)
	n := newNotifier(t, []config.Notify{{URL: config.SecretValue(url), HMACSecret: hmacSecret, Format: config.NotifyJSON}}, nil, Options{})
	due := time.Date(2026, 3, 4, 3, 0, 0, 0, time.FixedZone("CET", 3600))
	n.Send(t.Context(), Event{Kind: RotationUpcoming, Secret: "/team/x", KeyID: "AKIAOLD", Due: due})
	n.Send(t.Context(), Event{Kind: RotationFailed, Secret: "/team/x", RotationID: "r-9", Detail: "boom", Time: fixed.Add(-time.Minute)})
	if err := n.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	reqs := rv.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2", len(reqs))
	}
	want := map[string]string{
		RotationUpcoming: `{"event":"rotation.upcoming","secret":"/team/x","access_key_id":"AKIAOLD","timestamp":"2026-03-01T03:00:41Z","due":"2026-03-04T02:00:00Z"}`,
		RotationFailed:   `{"event":"rotation.failed","secret":"/team/x","rotation_id":"r-9","detail":"boom","timestamp":"2026-03-01T02:59:41Z"}`,
	}
	for _, r := range reqs {
		var e Event
		if err := json.Unmarshal(r.Body, &e); err != nil {
			t.Fatal(err)
		}
		if string(r.Body) != want[e.Kind] {
			t.Errorf("body:\ngot  %s\nwant %s", r.Body, want[e.Kind])
		}
		ts := r.Header.Get(webhook.HeaderTimestamp)
		if ts != strconv.FormatInt(fixed.Unix(), 10) {
			t.Errorf("timestamp: got %q", ts)
		}
		if err := webhook.Verify([]byte(hmacSecret), ts, r.Header.Get(webhook.HeaderSignature), r.Body, fixed, time.Minute); err != nil {
			t.Errorf("Verify: %v", err)
		}
		if got := r.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type: got %q", got)
		}
	}
}

func TestUnsignedWithoutSecret(t *testing.T) {
	rv := &receiver{}
	_, url := serve(t, rv)
	n := newNotifier(t, []config.Notify{{URL: config.SecretValue(url)}}, nil, Options{})
	n.Send(t.Context(), Event{Kind: RotationFailed, Secret: "/team/x"})
	if err := n.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok := rv.requests()[0].Header[webhook.HeaderSignature]; ok {
		t.Error("a signature without an hmac_secret")
	}
}

func TestQueueFullDrops(t *testing.T) {
	started, release := make(chan struct{}, 4), make(chan struct{})
	rv := &receiver{handle: func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
	}}
	srv, url := serve(t, rv)
	log, buf := newLogger()
	n := newNotifier(t, []config.Notify{{URL: config.SecretValue(url)}}, log, Options{Workers: 1, QueueSize: 1})
	n.Send(t.Context(), Event{Kind: RotationFailed, Secret: "/one"})
	<-started                                                          // the worker holds /one
	n.Send(t.Context(), Event{Kind: RotationFailed, Secret: "/two"})   // queued
	n.Send(t.Context(), Event{Kind: RotationFailed, Secret: "/three"}) // dropped
	if logs := buf.String(); !strings.Contains(logs, "queue full") || !strings.Contains(logs, `"secret":"/three"`) {
		t.Errorf("no drop logged:\n%s", logs)
	}
	close(release)
	if err := n.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := rv.bodies()
	if len(got) != 2 || !strings.Contains(got[0], `"/one"`) || !strings.Contains(got[1], `"/two"`) {
		t.Errorf("got %q, want /one and /two", got)
	}
	assertNoLeak(t, "log", buf.String(), srv.URL, url)
}

func TestCloseFlushes(t *testing.T) {
	rv := &receiver{}
	_, url := serve(t, rv)
	n := newNotifier(t, []config.Notify{{URL: config.SecretValue(url)}}, nil, Options{Workers: 1, QueueSize: 50})
	for i := range 50 {
		n.Send(t.Context(), Event{Kind: RotationSucceeded, Secret: "/s" + strconv.Itoa(i)})
	}
	if err := n.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := len(rv.requests()); got != 50 {
		t.Errorf("got %d notifications, want 50", got)
	}
	// Later calls and later sends are harmless.
	n.Send(t.Context(), Event{Kind: RotationSucceeded, Secret: "/late"})
	if err := n.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if got := len(rv.requests()); got != 50 {
		t.Errorf("a send after Close went out")
	}
}

func TestCloseGivesUpWithCtx(t *testing.T) {
	started := make(chan struct{}, 1)
	rv := &receiver{handle: func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-r.Context().Done() // until the client gives up
	}}
	_, url := serve(t, rv)
	n := newNotifier(t, []config.Notify{{URL: config.SecretValue(url)}}, nil, Options{Workers: 1})
	n.Send(t.Context(), Event{Kind: RotationFailed, Secret: "/stuck"})
	n.Send(t.Context(), Event{Kind: RotationFailed, Secret: "/queued"})
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := n.Close(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "2 notification(s) not sent") {
		t.Errorf("got %v, want 2 not sent and context.Canceled", err)
	}
}

// TestSendOutlivesCallerCtx: a rotation's context may end as soon as Send
// returns; the notification still goes out.
func TestSendOutlivesCallerCtx(t *testing.T) {
	rv := &receiver{}
	_, url := serve(t, rv)
	n := newNotifier(t, []config.Notify{{URL: config.SecretValue(url)}}, nil, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	n.Send(ctx, Event{Kind: RotationSucceeded, Secret: "/x"})
	cancel()
	if err := n.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(rv.requests()); got != 1 {
		t.Errorf("got %d notifications, want 1", got)
	}
}

func TestFailureIsLoggedWithoutSecrets(t *testing.T) {
	rv := &receiver{handle: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }}
	srv, url := serve(t, rv)
	log, buf := newLogger()
	n := newNotifier(t, []config.Notify{{URL: config.SecretValue(url), HMACSecret: hmacSecret}}, log, Options{})
	n.Send(t.Context(), Event{Kind: DriftDetected, Secret: "/team/x"})
	if err := n.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(rv.requests()); got != 3 {
		t.Errorf("got %d attempts, want 3", got)
	}
	logs := buf.String()
	if !strings.Contains(logs, "notification failed") || !strings.Contains(logs, "503 Service Unavailable after 3 attempts") || !strings.Contains(logs, `"notify":"notify:`) {
		t.Errorf("failure not logged usefully:\n%s", logs)
	}
	assertNoLeak(t, "log", logs, srv.URL, url)
}

func TestNewErrors(t *testing.T) {
	hook := "https://hooks.example/" + pathToken + "?t=" + queryToken
	tests := []struct {
		name string
		c    config.Notify
		want string
	}{
		{"format", config.Notify{URL: config.SecretValue(hook), Format: "xml"}, `format "xml"`},
		{"event", config.Notify{URL: config.SecretValue(hook), Events: []string{"rotation.exploded"}}, `unknown event "rotation.exploded"`},
		{"url", config.Notify{URL: config.SecretValue("ftp://x/" + pathToken)}, "want an absolute http or https URL"},
		{"no url", config.Notify{}, "want an absolute http or https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New([]config.Notify{{URL: "https://ok.example/"}, tt.c}, nil, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "notify[1]: notify notify:") {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			assertNoLeak(t, "error", err.Error(), "https://hooks.example", hook)
		})
	}
}

func TestNilAndEmpty(t *testing.T) {
	var nilN *Notifier
	nilN.Send(t.Context(), Event{Kind: RotationFailed})
	if err := nilN.Close(t.Context()); err != nil {
		t.Errorf("nil Close: %v", err)
	}
	n, err := New(nil, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n.Send(t.Context(), Event{Kind: RotationFailed})
	if err := n.Close(t.Context()); err != nil {
		t.Errorf("empty Close: %v", err)
	}
}
