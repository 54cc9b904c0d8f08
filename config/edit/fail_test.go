package edit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/config"
)

// TestEditFailureChangesNothing runs edits that must fail, and checks that
// each leaves every file as it was and that no error shows a key.
func TestEditFailureChangesNothing(t *testing.T) {
	tests := []struct {
		name string
		prep func(t *testing.T, dir string)
		fn   func(d *Document) error
		want string // in the error
		is   error
	}{
		{name: "interval out of range", fn: func(d *Document) error {
			if err := addReporter2(d); err != nil {
				return err
			}
			return d.Secret("/team-c/new").Set("rotation_interval", 400)
		}, want: "rotatord.yaml:54:24: secrets[2].rotation_interval: 400 is out of range 1..365 days"},
		{name: "protected", fn: func(d *Document) error { return d.DeleteSecret("team-a/ci/deployer") },
			want: "set delete_protection: false first", is: ErrDeleteProtected},
		{name: "missing", fn: func(d *Document) error { return d.DeleteSecret("/nope") }, want: `has no secret "/nope"`},
		{name: "duplicate", fn: func(d *Document) error { _, err := d.AddSecret("/team-b/reporter"); return err },
			want: `already has secret "/team-b/reporter" (line 41)`},
		{name: "unknown target", fn: func(d *Document) error {
			e, _ := d.AddSecret("/x")
			e.Set("target", "nope")
			e.Set("access_key_id", "AKIAFAKENEWKEY000003")
			_, err := e.SetSecretKey(editKey1)
			return err
		}, want: `secrets[2].target: unknown target "nope"`},
		{name: "fn fails after writing a key", fn: func(d *Document) error {
			e, _ := d.AddSecret("/deep/er/x")
			if _, err := e.SetSecretKey(editKey1); err != nil {
				return err
			}
			return errors.New("changed my mind")
		}, want: "changed my mind"},
		{name: "replaced key, then invalid", fn: func(d *Document) error {
			e := d.Secret("team-b/reporter")
			if _, err := e.SetSecretKey(editKey1); err != nil {
				return err
			}
			return e.Set("rotation_hour", 24)
		}, want: "rotation_hour: 24 is out of range"},
		{name: "key file of someone else", prep: func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "secrets"), 0o700)
			os.WriteFile(filepath.Join(dir, "secrets/other.secret"), []byte("not ours\n"), 0o600)
		}, fn: func(d *Document) error {
			e, _ := d.AddSecret("other")
			_, err := e.SetSecretKey(editKey1)
			return err
		}, want: "other.secret exists and holds another key"},
		{name: "two-line key", fn: func(d *Document) error {
			_, err := d.Secret("team-b/reporter").SetSecretKey(editKey1 + "\n" + editKey2)
			return err
		}, want: "more than one line"},
		{name: "bad name", fn: func(d *Document) error {
			e, _ := d.AddSecret("a/../b")
			_, err := e.SetSecretKey(editKey1)
			return err
		}, want: `secret name "/a/../b" has a ".." segment`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgPath := editDir(t)
			dir := filepath.Dir(cfgPath)
			if tt.prep != nil {
				tt.prep(t, dir)
			}
			before := tree(t, dir)
			_, err := File(cfgPath, config.LoadOptions{}, tt.fn)
			if err == nil {
				t.Fatal("File succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to hold %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error is not %v", tt.is)
			}
			for _, k := range []string{editKey1, editKey2, editKey3} {
				if strings.Contains(err.Error(), k) {
					t.Errorf("the error shows a secret key: %v", err)
				}
			}
			var es config.Errors
			if errors.As(err, &es) {
				for _, e := range es {
					if e.File != cfgPath || e.Line == 0 {
						t.Errorf("error at %s:%d, want %s and a line", e.File, e.Line, cfgPath)
					}
				}
			}
			after := tree(t, dir)
			for p, b := range before {
				if a, ok := after[p]; !ok || a != b {
					t.Errorf("%s changed", p)
				}
			}
			for p := range after {
				if _, ok := before[p]; !ok {
					t.Errorf("%s left behind", p)
				}
			}
		})
	}
}
