package daemon

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/internal/iamrotate"
)

// TestTwoSecretsOneUser: two secrets hold the two keys of one IAM user,
// both with adopt_unknown_keys: true. Whichever rotates first, no key is
// deleted: the second in the file is refused, naming the first; the first
// cannot free a key slot without deleting the second's key, and says so.
// IAM still holds both keys, the first's still authenticates, and list and
// status show the second's error instead of ok. Once the second is taken
// out of the file, the first rotates (deleting the key no secret holds
// any more).
func TestTwoSecretsOneUser(t *testing.T) {
	for _, order := range [][]string{{"/app/second", "/app/app"}, {"/app/app", "/app/second"}} {
		t.Run(strings.Join(order, "-then-"), func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t)
			first := w.user("app")
			second, err := w.fake.AddKey("app")
			if err != nil {
				t.Fatal(err)
			}
			w.users["second"] = second
			w.file("second.secret", second.SecretAccessKey)
			adopt := "adopt_unknown_keys: true"
			w.start(w.header("") + w.secretYAML("app", adopt) + w.secretYAML("second", adopt))
			b := w.d.backend()

			errs := map[string]error{}
			for _, name := range order {
				_, errs[name] = b.Rotate(ctx, name)
			}
			if n := w.fake.Calls("DeleteAccessKey"); n != 0 {
				t.Errorf("DeleteAccessKey called %d times, want 0", n)
			}
			if n := w.fake.Calls("CreateAccessKey"); n != 0 {
				t.Errorf("CreateAccessKey called %d times, want 0", n)
			}
			if ids := w.keyIDs("app"); len(ids) != 2 || !slices.Contains(ids, first.AccessKeyID) || !slices.Contains(ids, second.AccessKeyID) {
				t.Errorf("IAM holds %v, want both keys %s and %s", ids, first.AccessKeyID, second.AccessKeyID)
			}
			if arn, err := w.whoami(first); err != nil || arn != w.fake.UserARN("app") {
				t.Errorf("the first secret's key: whoami %q, %v; want %s", arn, err, w.fake.UserARN("app"))
			}

			refused := errs["/app/second"]
			if !errors.Is(refused, iamrotate.ErrOwned) || !strings.Contains(refused.Error(), "is also the user of secret /app/app (line 16), which comes first") {
				t.Errorf("the second secret: got %v, want ErrOwned naming /app/app and its line", refused)
			}
			blocked := errs["/app/app"]
			if !errors.Is(blocked, iamrotate.ErrOwned) || !strings.Contains(blocked.Error(), "holds "+second.AccessKeyID+" besides the current key "+first.AccessKeyID+", and it is the key of secret /app/second (line 25)") {
				t.Errorf("the first secret: got %v, want ErrOwned naming the second's key and /app/second", blocked)
			}

			list, err := b.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range list {
				if s.Name == "/app/second" && (s.State == "ok" || !strings.Contains(s.LastError, "/app/app")) {
					t.Errorf("list shows the second secret as %q, last error %q; want failed, naming /app/app", s.State, s.LastError)
				}
			}
			d, err := b.Status(ctx, "/app/second")
			if err != nil {
				t.Fatal(err)
			}
			if d.State != "failed" || !strings.Contains(d.LastError, "IAM user app is also the user of secret /app/app") {
				t.Errorf("status of the second secret: %q, last error %q", d.State, d.LastError)
			}

			w.file("rotatord.yaml", w.header("")+w.secretYAML("app", adopt))
			w.d.reload(ctx, "test")
			w.idle()
			if _, err := b.Rotate(ctx, "/app/app"); err != nil {
				t.Fatalf("the first secret alone: %v", err)
			}
			if ids := w.keyIDs("app"); len(ids) != 2 || !slices.Contains(ids, first.AccessKeyID) || slices.Contains(ids, second.AccessKeyID) {
				t.Errorf("IAM holds %v after the first rotates alone, want its old key and a new one", ids)
			}
		})
	}
}

// keyIDs lists the key ids IAM holds for user.
func (w *world) keyIDs(user string) []string {
	var ids []string
	for _, k := range w.fake.Keys(user) {
		ids = append(ids, k.ID)
	}
	return ids
}

// TestSecretOnTheTargetsUser: a secret holding the second key of the
// target's own IAM user, with adopt_unknown_keys: true, never deletes the
// key the target signs with: its rotation fails naming the target, and the
// target's key still works.
func TestSecretOnTheTargetsUser(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	k, err := w.fake.AddKey("admin")
	if err != nil {
		t.Fatal(err)
	}
	w.users["ops"] = k
	w.file("ops.secret", k.SecretAccessKey)
	w.start(w.header("") + w.secretYAML("ops", "adopt_unknown_keys: true"))
	_, err = w.d.backend().Rotate(ctx, "/app/ops")
	if !errors.Is(err, iamrotate.ErrOwned) || !strings.Contains(err.Error(), "holds "+w.admin.AccessKeyID+" besides the current key "+k.AccessKeyID+", and it is the key of target prod") {
		t.Errorf("got %v, want ErrOwned naming the target's key and the target", err)
	}
	if n := w.fake.Calls("DeleteAccessKey"); n != 0 {
		t.Errorf("DeleteAccessKey called %d times, want 0", n)
	}
	if arn, err := w.whoami(w.admin); err != nil || arn != w.fake.UserARN("admin") {
		t.Errorf("the target's key: whoami %q, %v", arn, err)
	}
}

// TestOwnerKnownFromStore: the first secret has rotated, so IAM holds only
// a key the configuration does not name; after a restart, a second secret
// added on the same user is still refused, naming the first: the daemon
// learns at start-up which user each stored secret is on.
func TestOwnerKnownFromStore(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.user("app")
	strict := "grace_rotation: false"
	w.start(w.header("") + w.secretYAML("app", strict))
	res, err := w.d.backend().Rotate(ctx, "/app/app")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}
	second, err := w.fake.AddKey("app")
	if err != nil {
		t.Fatal(err)
	}
	w.users["second"] = second
	w.file("second.secret", second.SecretAccessKey)
	w.start(w.header("") + w.secretYAML("app", strict) + w.secretYAML("second", "adopt_unknown_keys: true"))
	_, err = w.d.backend().Rotate(ctx, "/app/second")
	if !errors.Is(err, iamrotate.ErrOwned) || !strings.Contains(err.Error(), "is also the user of secret /app/app") {
		t.Errorf("got %v, want ErrOwned naming /app/app", err)
	}
	if ids := w.keyIDs("app"); len(ids) != 2 || !slices.Contains(ids, res.NewKeyID) || !slices.Contains(ids, second.AccessKeyID) {
		t.Errorf("IAM holds %v, want the first's current key %s and %s", ids, res.NewKeyID, second.AccessKeyID)
	}
}
