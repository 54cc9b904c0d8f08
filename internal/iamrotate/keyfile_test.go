package iamrotate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/config"
)

// TestBootstrapKeyFileReadWhenNeeded: a bootstrap key in a file is read
// at the first rotation, not when it was checked, and a file replaced
// since it was checked is refused before anything changes in IAM.
func TestBootstrapKeyFileReadWhenNeeded(t *testing.T) {
	t.Run("read at the first rotation", func(t *testing.T) {
		e := newEnv(t)
		path := filepath.Join(e.dir, "app.secret")
		if err := os.WriteFile(path, []byte("not-the-key-yet\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		kf, err := config.CheckKeyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// The same file, its content changed in place after the check: a
		// key read at the check would sign with the placeholder and fail.
		if err := os.WriteFile(path, []byte(e.app.SecretAccessKey+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.SecretAccessKey, c.KeyFile = "", kf }))
		spec.Bootstrap = Key{ID: e.app.AccessKeyID, File: kf}
		res := e.mustRotate(spec)
		if res.OldKeyID != e.app.AccessKeyID {
			t.Errorf("old key %s, want the bootstrap key %s", res.OldKeyID, e.app.AccessKeyID)
		}
		st := e.state("/team/app")
		if v := st.ByKeyID(e.app.AccessKeyID); v == nil || v.Value.Reveal() != e.app.SecretAccessKey {
			t.Errorf("the store did not take in the file's key as the bootstrap version")
		}
	})
	t.Run("replaced since the check", func(t *testing.T) {
		e := newEnv(t)
		path := filepath.Join(e.dir, "app.secret")
		if err := os.WriteFile(path, []byte(e.app.SecretAccessKey+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		kf, err := config.CheckKeyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+".new", []byte(e.app.SecretAccessKey+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
		spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) { c.SecretAccessKey, c.KeyFile = "", kf }))
		spec.Bootstrap = Key{ID: e.app.AccessKeyID, File: kf}
		_, err = e.rotate(spec)
		if err == nil || !strings.Contains(err.Error(), "was replaced since rotatord checked it; reload rotatord") {
			t.Fatalf("rotate = %v, want the replaced key file refused", err)
		}
		if n := e.fake.Calls("CreateAccessKey"); n != 0 {
			t.Errorf("CreateAccessKey called %d times, want 0", n)
		}
		if st, err := e.store.Get(context.Background(), "/team/app"); err == nil && st.Current() != nil {
			t.Errorf("the store took in a version from a refused file")
		}
	})
}
