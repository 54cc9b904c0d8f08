package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/internal/iamrotate"
)

// TestRollbackNotifications: a rollback run by the daemon sends
// rollback.succeeded naming the key now current; one refused (a strict
// rotation deleted the previous key) sends rollback.failed saying why. No
// notification holds a secret.
func TestRollbackNotifications(t *testing.T) {
	w := newWorld(t)
	app := w.user("app")
	w.user("strict")
	n := newNotifyReceiver(t, "notify-hmac")
	w.file("notify.secret", "notify-hmac")
	notifyCfg := fmt.Sprintf("notify:\n  - {url: %q, hmac_secret_file: notify.secret, events: [rollback.succeeded, rollback.failed]}\n", n.srv.URL)
	w.start(w.header(notifyCfg) + w.secretYAML("app") + w.secretYAML("strict", "grace_rotation: false"))
	w.idle()
	ctx := context.Background()
	for _, name := range []string{"/app/app", "/app/strict"} {
		if _, err := w.d.backend().Rotate(ctx, name); err != nil {
			t.Fatalf("rotate %s: %v", name, err)
		}
	}
	if _, err := w.d.backend().Rollback(ctx, "/app/app", "INC-9"); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	ok := n.wait(t, "rollback.succeeded")
	if ok["secret"] != "/app/app" || ok["access_key_id"] != app.AccessKeyID {
		t.Errorf("rollback.succeeded %v, want /app/app with the reinstated key %s", ok, app.AccessKeyID)
	}
	if _, err := w.d.backend().Rollback(ctx, "/app/strict", ""); !errors.Is(err, iamrotate.ErrNoRollback) {
		t.Fatalf("rollback of a strict secret: %v, want ErrNoRollback", err)
	}
	bad := n.wait(t, "rollback.failed")
	if d, _ := bad["detail"].(string); bad["secret"] != "/app/strict" || !strings.HasPrefix(d, "refused: ") || !strings.Contains(d, "retire: delete") {
		t.Errorf("rollback.failed %v, want /app/strict refused, saying why", bad)
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
