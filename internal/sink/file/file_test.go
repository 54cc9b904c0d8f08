package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink"
)

const (
	testID     = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	oldSecret  = "oldOLDold/SECRET+value0123456789abcdefgh"
)

var testCred = sink.Credential{Secret: "/team/deployer", Version: 2, AccessKeyID: testID, SecretAccessKey: config.SecretValue(testSecret)}

// newFile returns a sink for c, failing the test on error.
func newFile(t *testing.T, c Config) *File {
	t.Helper()
	f, err := New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

// assertNoSecret fails if err's text holds a secret value used in tests.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{testSecret, oldSecret, newSecret, "wJalrXUtnFEMI"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
}

// assertOnlyFiles fails if dir holds anything but names (no temp files).
func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %q, want %q", got, names)
	}
}

func TestPutFormats(t *testing.T) {
	tests := []struct {
		format string
		want   string
	}{
		{"", "[default]\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\n"},
		{FormatAWSCredentials, "[default]\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\n"},
		{FormatEnv, "AWS_ACCESS_KEY_ID=" + testID + "\nAWS_SECRET_ACCESS_KEY=" + testSecret + "\n"},
		{FormatJSON, `{"Version":1,"AccessKeyId":"` + testID + `","SecretAccessKey":"` + testSecret + `"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run("format="+tt.format, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out")
			f := newFile(t, Config{Path: path, Format: tt.format})
			for i := 0; i < 2; i++ { // the second Put must give the same bytes
				if err := f.Put(context.Background(), testCred); err != nil {
					t.Fatalf("Put %d: %v", i, err)
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != tt.want {
					t.Fatalf("Put %d wrote\n%q\nwant\n%q", i, got, tt.want)
				}
			}
			assertMode(t, path, DefaultMode)
			assertOnlyFiles(t, dir, "out")
		})
	}
}

func TestPutAWSCredentialsReadBySDK(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	orig := "# managed by hand\r\n[default]\r\naws_access_key_id = AKIADEFAULT\r\naws_secret_access_key = " + oldSecret + "\r\n\r\n" +
		"[deployer]\r\nregion = eu-west-1\r\naws_access_key_id = AKIAOLD\r\naws_secret_access_key = " + oldSecret + "\r\naws_session_token = STALE\r\n"
	want := "# managed by hand\r\n[default]\r\naws_access_key_id = AKIADEFAULT\r\naws_secret_access_key = " + oldSecret + "\r\n\r\n" +
		"[deployer]\r\nregion = eu-west-1\r\naws_access_key_id = " + testID + "\r\naws_secret_access_key = " + testSecret + "\r\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFile(t, Config{Path: path, Profile: "deployer"})
	for i := 0; i < 2; i++ {
		if err := f.Put(context.Background(), testCred); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Fatalf("Put %d wrote\n%q\nwant\n%q", i, got, want)
		}
	}
	assertSDKReadsFile(t, path, "deployer", testID, testSecret)
	assertSDKReadsFile(t, path, "default", "AKIADEFAULT", oldSecret)
	assertOnlyFiles(t, dir, "credentials")
}

func TestPutJSONReadByCredentialProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "creds.json")
	f := newFile(t, Config{Path: path, Format: FormatJSON})
	if err := f.Put(context.Background(), testCred); err != nil {
		t.Fatal(err)
	}
	p := processcreds.NewProvider("cat '" + path + "'")
	c, err := p.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("credential_process: %v", err)
	}
	if c.AccessKeyID != testID || c.SecretAccessKey != testSecret || c.SessionToken != "" {
		t.Errorf("credential_process gives %q %q %q, want %q %q and no token", c.AccessKeyID, c.SecretAccessKey, c.SessionToken, testID, testSecret)
	}
}

func TestPutEnvSourcedByShell(t *testing.T) {
	path := filepath.Join(t.TempDir(), "creds.env")
	f := newFile(t, Config{Path: path, Format: FormatEnv})
	if err := f.Put(context.Background(), testCred); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `. "$1"; printf '%s\n%s' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"`, "sh", path)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	if want := testID + "\n" + testSecret; string(out) != want {
		t.Errorf("sh prints %q, want %q", out, want)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode(); got != want {
		t.Errorf("mode %v, want %v", got, want)
	}
}

func TestPutMode(t *testing.T) {
	old := syscall.Umask(0o077) // restrictive; process-wide, so no t.Parallel here
	defer syscall.Umask(old)
	tests := []struct {
		mode config.FileMode
		want os.FileMode
	}{
		{0, 0o600},
		{0o600, 0o600},
		{0o640, 0o640},
		{0o644, 0o644},
		{0o400, 0o400},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%#o", tt.mode), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out")
			// An existing file with another mode gets the configured one.
			if err := os.WriteFile(path, nil, 0o666); err != nil {
				t.Fatal(err)
			}
			f := newFile(t, Config{Path: path, Mode: tt.mode})
			if err := f.Put(context.Background(), testCred); err != nil {
				t.Fatal(err)
			}
			assertMode(t, path, tt.want)
		})
	}
}

func TestPutOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	path := filepath.Join(t.TempDir(), "out")
	f := newFile(t, Config{Path: path, Owner: "12345:23456", Mode: 0o640})
	if err := f.Put(context.Background(), testCred); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if sys.Uid != 12345 || sys.Gid != 23456 {
		t.Errorf("owner %d:%d, want 12345:23456", sys.Uid, sys.Gid)
	}
	assertMode(t, path, 0o640)
}

func TestPutFailures(t *testing.T) {
	dir := t.TempDir()
	// A non-empty directory at the target makes the rename (or the read)
	// fail after the temporary file was written.
	blocked := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(blocked, "child"), 0o700); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		sink    Config
		ctx     context.Context
		cred    sink.Credential
		wantErr string
	}{
		{"replace a directory", Config{Path: blocked, Format: FormatEnv}, context.Background(), testCred, "not a regular file"},
		{"read a directory", Config{Path: blocked}, context.Background(), testCred, "read"},
		{"parent missing", Config{Path: filepath.Join(dir, "nope", "out")}, context.Background(), testCred, "parent directory " + filepath.Join(dir, "nope") + " does not exist"},
		{"context canceled", Config{Path: filepath.Join(dir, "out")}, canceled, testCred, "context canceled"},
		{"newline in secret", Config{Path: filepath.Join(dir, "out")}, context.Background(),
			sink.Credential{AccessKeyID: testID, SecretAccessKey: config.SecretValue(testSecret + "\n[x]")}, "secret access key holds a character"},
		{"empty key id", Config{Path: filepath.Join(dir, "out")}, context.Background(),
			sink.Credential{SecretAccessKey: config.SecretValue(testSecret)}, "access key id is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFile(t, tt.sink)
			err := f.Put(tt.ctx, tt.cred)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "file sink "+f.path+": ") {
				t.Errorf("error %q does not name the sink", err)
			}
			assertNoSecret(t, err)
			assertOnlyFiles(t, dir, "blocked")
			assertOnlyFiles(t, blocked, "child")
		})
	}
	if err := newFile(t, Config{Path: filepath.Join(dir, "out")}).Put(canceled, testCred); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestPutWaitsForLockOrContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	f := newFile(t, Config{Path: path})
	unlock, err := lockPath(context.Background(), f.path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.Put(ctx, testCred) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Put while locked: got %v, want context.Canceled", err)
	}
	unlock()
	if err := f.Put(context.Background(), testCred); err != nil {
		t.Errorf("Put after unlock: %v", err)
	}
}
