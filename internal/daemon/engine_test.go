package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
	"github.com/rotatord/rotatord/internal/state"
)

// setup writes files into a temporary directory, loads the configuration
// and opens a store for it.
func setup(t *testing.T, files map[string]string) (*config.Config, *state.Bolt) {
	t.Helper()
	dir := t.TempDir()
	key, err := state.NewProtectionKey()
	if err != nil {
		t.Fatal(err)
	}
	files["protection.key"] = key
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "rotatord.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(cfg.State.Path, []byte(cfg.State.ProtectionKey.Reveal()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return cfg, st
}

func whoami(ctx context.Context, url, id, secret string) (string, error) {
	return awsfake.Whoami(ctx, url, aws.Credentials{AccessKeyID: id, SecretAccessKey: secret})
}

const header = `version: 1
state:
  path: state.db
  protection_key_file: protection.key
`

// TestEngineTargetRotator: with the target's own key rotated (strict), the
// target's old key is rejected and the engine signs later rotations of
// other secrets with the new key from the store.
func TestEngineTargetRotator(t *testing.T) {
	ctx := context.Background()
	fake, url := awsfake.Start(t)
	admin := fake.SeedUser("admin", true)
	app := fake.SeedUser("app", false)
	cfg, st := setup(t, map[string]string{
		"admin.secret": admin.SecretAccessKey,
		"rotatord.yaml": header + fmt.Sprintf(`targets:
  - name: prod
    endpoint: %s
    access_key_id: %s
    secret_access_key_file: admin.secret
secrets:
  - name: /prod/target-key
    target: prod
    rotator_type: target
    grace_rotation: false
  - name: /team/app
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: %s
`, url, admin.AccessKeyID, app.AccessKeyID),
	})
	var logs bytes.Buffer
	e, err := NewEngine(ctx, cfg, st, EngineOptions{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := e.Rotate(ctx, "/prod/target-key"); err != nil {
			t.Fatalf("rotate the target's key: %v", err)
		}
		if _, err := whoami(ctx, url, admin.AccessKeyID, admin.SecretAccessKey); awstest.Code(err) != "InvalidClientTokenId" {
			t.Fatalf("the target's old key: got %v, want InvalidClientTokenId", err)
		}
		res, err := e.Rotate(ctx, "team/app")
		if err != nil {
			t.Fatalf("rotate through the rotated target: %v", err)
		}
		s, err := st.Get(ctx, "/team/app")
		if err != nil {
			t.Fatal(err)
		}
		if arn, err := whoami(ctx, url, res.NewKeyID, s.Current().Value.Reveal()); err != nil || arn != fake.UserARN("app") {
			t.Fatalf("the app's new key: %s %v", arn, err)
		}
	}
	if keys := fake.Keys("admin"); len(keys) != 1 {
		t.Errorf("admin holds %d keys after strict rotations, want 1", len(keys))
	}
	if strings.Contains(logs.String(), admin.SecretAccessKey) {
		t.Error("the target's secret appears in the logs")
	}
}

// TestEngineAssumeRole: a target whose static key only may assume a role
// (with an external id) rotates through the role's session.
func TestEngineAssumeRole(t *testing.T) {
	ctx := context.Background()
	fake, url := awsfake.Start(t)
	base := fake.SeedUser("rotator", false)
	app := fake.SeedUser("app", false)
	arn, err := fake.AddRole(awsfake.Role{Name: "key-rotator", Admin: true, ExternalID: "ext-42"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		externalID string
		wantErr    string
	}{{"ext-42", ""}, {"wrong", "AccessDenied"}} {
		t.Run(tt.externalID, func(t *testing.T) {
			cfg, st := setup(t, map[string]string{
				"base.secret": base.SecretAccessKey,
				"rotatord.yaml": header + fmt.Sprintf(`targets:
  - name: prod
    endpoint: %s
    access_key_id: %s
    secret_access_key_file: base.secret
    role_arn: %s
    external_id: %s
secrets:
  - name: /team/app
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: %s
`, url, base.AccessKeyID, arn, tt.externalID, app.AccessKeyID),
			})
			e, err := NewEngine(ctx, cfg, st, EngineOptions{Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Rotate(ctx, "/team/app")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("rotate through the role: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got %v, want an error with %s", err, tt.wantErr)
			}
		})
	}
	if n := fake.Calls("AssumeRole"); n < 2 {
		t.Errorf("AssumeRole called %d times, want at least 2", n)
	}
}

// TestEngineDefaultChain: credentials: default takes the SDK's default
// chain; here its environment provider, set by the test itself.
func TestEngineDefaultChain(t *testing.T) {
	ctx := context.Background()
	fake, url := awsfake.Start(t)
	admin := fake.SeedUser("admin", true)
	app := fake.SeedUser("app", false)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": admin.AccessKeyID, "AWS_SECRET_ACCESS_KEY": admin.SecretAccessKey,
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_CA_BUNDLE": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	cfg, st := setup(t, map[string]string{
		"rotatord.yaml": header + fmt.Sprintf(`targets:
  - name: prod
    endpoint: %s
    credentials: default
secrets:
  - name: /team/app
    target: prod
    authentication_credentials: use-target-creds
    access_key_id: %s
`, url, app.AccessKeyID),
	})
	e, err := NewEngine(ctx, cfg, st, EngineOptions{Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Rotate(ctx, "/team/app"); err != nil {
		t.Fatalf("rotate with the default chain: %v", err)
	}
	if keys := fake.Keys("app"); len(keys) != 2 {
		t.Errorf("app holds %d keys, want 2", len(keys))
	}
}
