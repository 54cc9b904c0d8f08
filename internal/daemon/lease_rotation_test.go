package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// writeAs records user as the secret's user name in st (a store, or one
// fenced by a lease).
func writeAs(ctx context.Context, st iamrotate.Store, name, user string) error {
	return st.Update(ctx, name, func(tx *state.Tx) error {
		tx.Secret.UserName = user
		tx.Audit("r", "test.write", "", user)
		return nil
	})
}

func (w *leaseWorld) userName(t *testing.T, name string) string {
	t.Helper()
	s, err := w.store.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return s.UserName
}

// TestLeaseOnlyOnSharedStore: bbolt gets no leasing, and a nil leasing
// runs fn with the zero fence, which leaves a Spec unguarded and on the
// Rotator's store; a duration <= 0 is the default.
func TestLeaseOnlyOnSharedStore(t *testing.T) {
	bolt, err := state.Open(filepath.Join(t.TempDir(), "state.db"), make([]byte, state.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	defer bolt.Close()
	l := newLeasing(bolt, "replica-a", time.Minute, time.Now, slog.Default())
	if l != nil {
		t.Fatalf("newLeasing(bbolt) = %+v, want nil", l)
	}
	ran := false
	err = l.hold(context.Background(), "/app", func(f fence) error {
		spec := f.apply(iamrotate.Spec{})
		ran = f == (fence{}) && spec.Guard == nil && spec.Store == nil
		return errStep
	})
	if !ran || err != errStep {
		t.Errorf("nil leasing: fn ran with the zero fence: %v; hold = %v, want fn's error as is", ran, err)
	}
	w := newLeaseWorld(t)
	if got := w.leasing(t, "replica-a", 0).dur; got != config.DefaultLeaseDuration {
		t.Errorf("dur 0 became %s, want %s", got, config.DefaultLeaseDuration)
	}
}

// TestLeaseGuardsRotation: an Engine on the shared store rotates under
// the secret's lease: the lease is held while IAM changes and released
// after; the guard hold installs stops a rotation before any IAM change
// once the lease is no longer safe; a scheduled rotation of a secret
// rotated meanwhile is ErrNotDue, and one due again runs.
func TestLeaseGuardsRotation(t *testing.T) {
	ctx := context.Background()
	w := newLeaseWorld(t)
	app := w.fake.SeedUser("app", false)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"protection.key": w.keyText,
		"admin.secret":   w.admin.SecretAccessKey,
		"rotatord.yaml": fmt.Sprintf(`version: 1
state:
  backend: dynamodb
  table: rotatord
  target: prod
  protection_key_file: protection.key
targets:
  - name: prod
    endpoint: %s
    access_key_id: %s
    secret_access_key_file: admin.secret
secrets:
  - name: /team/app
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: %s
    auto_rotate: true
    rotation_interval: 30
`, w.url, w.admin.AccessKeyID, app.AccessKeyID),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "rotatord.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(ctx, cfg, "", w.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(ctx, cfg, st, EngineOptions{Logger: w.log, Rotator: iamrotate.Options{Now: w.clock.Now}, Replica: "replica-a"})
	if err != nil {
		t.Fatal(err)
	}
	const name = "/team/app"
	rotate := func(manual bool) <-chan error {
		done := make(chan error, 1)
		go func() {
			_, err := e.rotate(ctx, name, manual, nil)
			done <- err
		}()
		return done
	}
	// until waits for a held call, failing if the rotation ends first.
	until := func(h *awsfake.Hold, done <-chan error) {
		t.Helper()
		select {
		case <-h.Reached():
		case err := <-done:
			t.Fatalf("the rotation ended (%v) before the held call", err)
		case <-time.After(time.Minute):
			t.Fatal("the held call never came")
		}
	}
	keyIDs := func() []string {
		var ids []string
		for _, k := range w.fake.Keys("app") {
			ids = append(ids, k.ID)
		}
		slices.Sort(ids)
		return ids
	}

	// The lease is held while IAM changes, and released after.
	h := w.fake.Hold("CreateAccessKey")
	defer h.Release()
	done := rotate(true)
	until(h, done)
	if l := w.holder(t, name); l.Owner != "replica-a" || !l.Expires.After(w.clock.Now()) {
		t.Errorf("while the key is created, the lease is %+v, want replica-a's", l)
	}
	if _, err := w.store.Acquire(ctx, name, "replica-b", time.Minute); !errors.Is(err, state.ErrLeaseHeld) {
		t.Errorf("another owner's Acquire during the rotation: %v, want ErrLeaseHeld", err)
	}
	h.Release()
	if err := <-done; err != nil {
		t.Fatalf("rotation under the lease: %v", err)
	}
	if n := len(keyIDs()); n != 2 {
		t.Errorf("app holds %d keys, want 2", n)
	}
	w.released(t, name)

	// A scheduled rotation that finds the secret just rotated does nothing.
	creates, keys := w.fake.Calls("CreateAccessKey"), keyIDs()
	if err := <-rotate(false); !errors.Is(err, ErrNotDue) {
		t.Errorf("a scheduled rotation of a secret just rotated: %v, want ErrNotDue", err)
	}
	if n := w.fake.Calls("CreateAccessKey"); n != creates || !slices.Equal(keyIDs(), keys) {
		t.Errorf("a rotation not due changed IAM: %d CreateAccessKey (was %d), keys %v (were %v)", n, creates, keyIDs(), keys)
	}
	w.released(t, name)

	// The clock passes the lease's safe time while the rotation inspects:
	// the guard stops it before any IAM change.
	h = w.fake.Hold("ListAccessKeys")
	defer h.Release()
	done = rotate(true)
	until(h, done)
	w.advance(config.DefaultLeaseDuration * 2 / 3)
	h.Release()
	// (A renewal tick, 10s away, would find the same and give the lease
	// up: the guard then says it was lost.)
	err = <-done
	if !errors.Is(err, state.ErrFenced) || !strings.Contains(err.Error(), "expired before it was renewed") && !strings.Contains(err.Error(), "the lease was lost") {
		t.Errorf("a rotation past the lease's safe time: %v, want ErrFenced (expired before it was renewed)", err)
	}
	if n := w.fake.Calls("CreateAccessKey"); n != creates || !slices.Equal(keyIDs(), keys) {
		t.Errorf("the guard let IAM change: %d CreateAccessKey (was %d), keys %v (were %v)", n, creates, keyIDs(), keys)
	}
	w.released(t, name)

	// Due again, a scheduled rotation runs.
	w.advance(31 * 24 * time.Hour)
	if err := <-rotate(false); err != nil {
		t.Fatalf("a scheduled rotation due again: %v", err)
	}
	s, err := st.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if cur := s.Current(); cur == nil || slices.Contains(keys, cur.AccessKeyID) {
		t.Errorf("current version %+v, want a key made by the due rotation (keys before %v)", cur, keys)
	}
	w.released(t, name)
}
