package file

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

func TestHolds(t *testing.T) {
	ctx := context.Background()
	c := sink.Credential{Secret: "/x", Version: 2, AccessKeyID: "AKIAHOLDSTEST0000001", SecretAccessKey: config.SecretValue("holdsSecret0000000000000000000000000000001")}
	other := c
	other.AccessKeyID = "AKIAHOLDSTEST0000002"
	for _, format := range []string{FormatAWSCredentials, FormatEnv, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out")
			f, err := New(Config{Path: path, Format: format, Profile: "p"})
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := f.Holds(ctx, c); ok || err != nil {
				t.Fatalf("missing file: Holds = %v, %v; want false", ok, err)
			}
			if err := f.Put(ctx, c); err != nil {
				t.Fatal(err)
			}
			if ok, err := f.Holds(ctx, c); !ok || err != nil {
				t.Fatalf("after Put: Holds = %v, %v; want true", ok, err)
			}
			if ok, _ := f.Holds(ctx, other); ok {
				t.Fatalf("Holds(another key) = true")
			}
			if err := os.WriteFile(path, []byte("[p]\naws_access_key_id = AKIAHOLDSTEST0000001\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if ok, _ := f.Holds(ctx, c); ok {
				t.Fatalf("Holds = true for a file without the secret")
			}
		})
	}
}
