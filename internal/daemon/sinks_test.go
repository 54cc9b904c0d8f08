package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/sink/webhook"
	"github.com/rotatord/rotatord/internal/state"
)

// receiver is a webhook endpoint that checks each delivery's signature the
// way docs/webhooks.md tells receivers to, and can be told to fail.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	fail   func() bool // answer 503 while it returns true
	got    []webhook.Event
	bodies []string
	srv    *httptest.Server
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret, fail: func() bool { return false }}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		err := webhook.Verify([]byte(r.secret), req.Header.Get(webhook.HeaderTimestamp), req.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute)
		if err != nil {
			t.Errorf("receiver: %v", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var e webhook.Event
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("receiver: %v", err)
		}
		r.got = append(r.got, e)
		r.bodies = append(r.bodies, string(body))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) events() []webhook.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhook.Event(nil), r.got...)
}

// TestEverySink rotates a strict secret delivered to all five sink kinds
// and reads each back the way its consumer would.
func TestEverySink(t *testing.T) {
	w := newWorld(t)
	w.user("app")
	rcv := newReceiver(t, "hook-hmac-secret-for-the-test")
	w.file("hook.secret", rcv.secret)
	out := filepath.Join(w.dir, "command.out")
	sinks := fmt.Sprintf(`    sinks:
      - {type: secretsmanager, secret_id: team/app, create: true, kms_key_id: alias/team}
      - {type: ssm, name: /team/app, key_id: alias/team-ssm}
      - {type: webhook, url: %q, hmac_secret_file: hook.secret}
      - type: command
        command: [/bin/sh, -c, 'printf "%%s %%s" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" > %s']
      - {type: file, path: app.tmpl.out, format: template, template: "id={{.AccessKeyID}} v{{.Version}}\n"}
`, rcv.srv.URL, out)
	secret := strings.Split(w.secretYAML("app", "grace_rotation: false", "auto_rotate: true", `rotation_schedule: "@hourly"`), "    sinks:\n")[0] + sinks
	w.start(w.header("") + secret)

	var keys []string
	for i := 1; i <= 2; i++ {
		w.advance(t0.Add(time.Duration(i) * time.Hour))
		st := w.state("/app/app")
		cur := st.Current()
		if st.Journal != nil || cur.N != i+1 {
			t.Fatalf("rotation %d: journal %+v, current version %d", i, st.Journal, cur.N)
		}
		keys = append(keys, cur.AccessKeyID)
		// Secrets Manager: AWSCURRENT is the new key, AWSPREVIOUS the old.
		sv, err := w.fake.SecretValue("team/app", "AWSCURRENT")
		if err != nil || !strings.Contains(sv.SecretString, `"AccessKeyId":"`+cur.AccessKeyID+`"`) || !strings.Contains(sv.SecretString, cur.Value.Reveal()) {
			t.Fatalf("rotation %d: AWSCURRENT (%v) does not hold the new key %s", i, err, cur.AccessKeyID)
		}
		if i == 2 {
			pv, err := w.fake.SecretValue("team/app", "AWSPREVIOUS")
			if err != nil || !strings.Contains(pv.SecretString, keys[0]) {
				t.Fatalf("AWSPREVIOUS (%v) does not hold the old key %s", err, keys[0])
			}
		}
		// SSM decrypts to the new key, under the configured KMS key.
		p, err := w.fake.Parameter("/team/app")
		if err != nil || p.Type != "SecureString" || p.KeyID != "alias/team-ssm" || !strings.Contains(p.Value, cur.Value.Reveal()) {
			t.Fatalf("rotation %d: parameter %+v (%v) does not hold the new key", i, p.KeyID, err)
		}
		// The webhook receiver verified the HMAC; the event carries no secret.
		evs := rcv.events()
		if len(evs) != i || evs[i-1].AccessKeyID != cur.AccessKeyID || evs[i-1].SecretAccessKey != "" {
			t.Fatalf("rotation %d: webhook events %+v", i, evs)
		}
		// The command saw the key in its environment.
		raw, err := os.ReadFile(out)
		if err != nil || string(raw) != cur.AccessKeyID+" "+cur.Value.Reveal() {
			t.Fatalf("rotation %d: the command did not see the new key in its environment (%v)", i, err)
		}
		tmpl, err := os.ReadFile(filepath.Join(w.dir, "app.tmpl.out"))
		if err != nil || string(tmpl) != fmt.Sprintf("id=%s v%d\n", cur.AccessKeyID, cur.N) {
			t.Fatalf("rotation %d: template sink %q (%v)", i, tmpl, err)
		}
	}
	if sec, err := w.fake.Secret("team/app"); err != nil || sec.KmsKeyID != "alias/team" {
		t.Errorf("the created secret's KMS key is %q (%v), want alias/team", sec.KmsKeyID, err)
	}
	for _, b := range rcv.bodies {
		for _, u := range w.users {
			if strings.Contains(b, u.SecretAccessKey) {
				t.Error("a webhook body holds a secret access key without include_value")
			}
		}
	}
}

// TestWebhookDownTenMinutes: a receiver that answers 503 for its first 10
// minutes (fake clock) keeps a strict rotation pending with the old key
// working; once it answers, the delivery completes and the old key goes.
// The same across a daemon restart.
func TestWebhookDownTenMinutes(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(map[bool]string{false: "running", true: "restarted"}[restart], func(t *testing.T) {
			w := newWorld(t)
			app := w.user("app")
			rcv := newReceiver(t, "hmac")
			w.file("hook.secret", rcv.secret)
			start := t0.Add(time.Hour)
			rcv.fail = func() bool { return w.clock.Now().Before(start.Add(10 * time.Minute)) }
			secret := strings.Split(w.secretYAML("app", "grace_rotation: false", "auto_rotate: true", `rotation_schedule: "@hourly"`), "    sinks:\n")[0] +
				fmt.Sprintf("    sinks:\n      - {type: webhook, url: %q, hmac_secret_file: hook.secret}\n", rcv.srv.URL)
			cfg := w.header("") + secret
			retry := webhook.Retry{Max: -1}
			fast := func(o *Options) { o.SinkRetry = &retry }
			w.start(cfg, fast)
			w.advance(start)
			st := w.state("/app/app")
			if st.Journal == nil || st.Journal.Step != state.StepDelivering {
				t.Fatalf("journal %+v, want delivering while the receiver is down", st.Journal)
			}
			if _, err := w.whoami(app); err != nil {
				t.Fatalf("the old key stopped working while delivery is pending: %v", err)
			}
			if restart {
				if err := w.stop(); err != nil {
					t.Fatal(err)
				}
				w.clock.Advance(start.Add(11 * time.Minute))
				w.start(cfg, fast)
				w.idle()
			} else {
				for i := 0; i < 10 && w.state("/app/app").Journal != nil; i++ {
					w.advance(w.next("/app/app"))
				}
			}
			st = w.state("/app/app")
			if st.Journal != nil {
				t.Fatalf("journal still open at %s", st.Journal.Step)
			}
			if _, err := w.whoami(app); err == nil {
				t.Errorf("strict mode: the old key still works after the delivery completed")
			}
			if evs := rcv.events(); len(evs) != 1 || evs[0].AccessKeyID != st.Current().AccessKeyID {
				t.Errorf("receiver got %+v, want the new key once", evs)
			}
			if !restart && !w.clock.Now().After(start.Add(10*time.Minute)) {
				t.Errorf("delivered at %s, before the receiver came back", w.clock.Now())
			}
		})
	}
}

// notifyReceiver collects notification events.
type notifyReceiver struct {
	mu     sync.Mutex
	events []map[string]any
	srv    *httptest.Server
}

func newNotifyReceiver(t *testing.T, secret string) *notifyReceiver {
	n := &notifyReceiver{}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := webhook.Verify([]byte(secret), req.Header.Get(webhook.HeaderTimestamp), req.Header.Get(webhook.HeaderSignature), body, time.Now(), time.Minute); err != nil {
			t.Errorf("notification: %v", err)
		}
		var e map[string]any
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("notification: %v", err)
		}
		n.mu.Lock()
		n.events = append(n.events, e)
		n.mu.Unlock()
	}))
	t.Cleanup(n.srv.Close)
	return n
}

// wait returns the first event of a kind, waiting for it.
func (n *notifyReceiver) wait(t *testing.T, kind string) map[string]any {
	t.Helper()
	var found map[string]any
	eventually(t, "a "+kind+" notification", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		for _, e := range n.events {
			if e["event"] == kind {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// TestNotifications: a reminder notify_before days ahead of a due
// rotation, then rotation.succeeded; a failing sink sends delivery.failed;
// a missing current key sends drift.detected. No notification holds a
// secret.
func TestNotifications(t *testing.T) {
	w := newWorld(t)
	k := w.user("app")
	w.user("broken")
	drifty := w.user("drifty")
	n := newNotifyReceiver(t, "notify-hmac")
	w.file("notify.secret", "notify-hmac")
	if err := w.fake.SetKeyCreateDate(k.AccessKeyID, t0.AddDate(0, 0, -25)); err != nil {
		t.Fatal(err)
	}
	notifyCfg := fmt.Sprintf("notify:\n  - {url: %q, hmac_secret_file: notify.secret}\n", n.srv.URL)
	broken := strings.Replace(w.secretYAML("broken", "auto_rotate: true", `rotation_schedule: "@hourly"`), "path: broken.ini", "path: missing/broken.ini", 1)
	driftYAML := fmt.Sprintf("  - {name: /app/drifty, target: prod, authentication_credentials: use-target-creds, user_name: drifty, access_key_id: %s}\n", drifty.AccessKeyID)
	w.start(w.header(notifyCfg) + w.secretYAML("app", "auto_rotate: true", "rotation_interval: 30", "rotation_hour: 3", "notify_before: [7, 1]") + broken + driftYAML)
	w.idle()
	due := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC) // created 25 days before t0, 30-day interval
	if got := w.next("/app/app"); !got.Equal(due) {
		t.Fatalf("next %s, want %s", got, due)
	}
	w.advance(due.AddDate(0, 0, -1))
	up := n.wait(t, "rotation.upcoming")
	if up["secret"] != "/app/app" || up["due"] != due.Format(time.RFC3339) {
		t.Errorf("upcoming notification %v, want /app/app due %s", up, due)
	}
	w.advance(due)
	if ok := n.wait(t, "rotation.succeeded"); ok["access_key_id"] != w.state("/app/app").Current().AccessKeyID {
		t.Errorf("succeeded notification %v", ok)
	}
	if df := n.wait(t, "delivery.failed"); df["secret"] != "/app/broken" {
		t.Errorf("delivery.failed notification %v", df)
	}

	// Drift: the current key vanishes outside rotatord; signed by the
	// target, the rotation repairs it and reports the drift.
	if err := w.fake.DeleteKey(drifty.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.d.backend().Rotate(context.Background(), "/app/drifty"); err != nil {
		t.Fatalf("rotation after drift: %v", err)
	}
	if dd := n.wait(t, "drift.detected"); dd["access_key_id"] != drifty.AccessKeyID {
		t.Errorf("drift notification %v, want key %s", dd, drifty.AccessKeyID)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	raw, _ := json.Marshal(n.events)
	for _, u := range w.users {
		if strings.Contains(string(raw), u.SecretAccessKey) {
			t.Error("a notification holds a secret access key")
		}
	}
}
