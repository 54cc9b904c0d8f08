package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBinaryEmbedsTimeZones: the rotatord binary links time/tzdata, so a
// rotation_timezone resolves in a bare container without
// /usr/share/zoneinfo (the standard library falls back to the embedded
// database only when the package is linked).
func TestBinaryEmbedsTimeZones(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool:", err)
	}
	const product = "github.com/rotatord/rotatord/cmd/rotatord"
	out, err := exec.CommandContext(t.Context(), gobin, "list", "-deps", product).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", product, err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, product) || !slices.Contains(deps, "time/tzdata") {
		t.Fatalf("go list -deps %s does not list time/tzdata; import it in main.go", product)
	}
}

// TestBinaryFindsZonesWithoutSystemDatabase runs the built binary where
// neither the system's zoneinfo nor Go's own zoneinfo.zip can be read (an
// empty directory mounted over each, in a mount namespace of its own, as a
// bare container has them): validate still knows Australia/Lord_Howe.
// It needs root and unshare(1), and skips without them.
func TestBinaryFindsZonesWithoutSystemDatabase(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare(1) to hide the time zone databases")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool:", err)
	}
	goroot, err := exec.CommandContext(t.Context(), gobin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir, empty := t.TempDir(), t.TempDir()
	cfg := filepath.Join(dir, "rotatord.yaml")
	for name, content := range map[string]string{
		"rotatord.yaml": "version: 1\nstate: {path: state.db, protection_key_file: protection.key}\nrotation_timezone: Europe/Berlin\n" +
			"targets:\n  - {name: prod, access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key_file: prod.secret}\n" +
			"secrets:\n  - name: /a\n    target: prod\n    authentication_credentials: use-target-creds\n    access_key_id: AKIAFAKEPROTECTED001\n" +
			"    auto_rotate: true\n    rotation_interval: 1\n    rotation_hour: 2\n    rotation_timezone: Australia/Lord_Howe\n",
		"protection.key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"prod.secret":    cliKey2 + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	script := ""
	for _, db := range []string{"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ", "/etc/zoneinfo",
		filepath.Join(strings.TrimSpace(string(goroot)), "lib", "time")} {
		if _, err := os.Stat(db); err == nil {
			script += "mount --bind " + empty + " " + db + " && "
		}
	}
	script += `test ! -e /usr/share/zoneinfo/Europe/Berlin && exec "$0" validate -c "$1"`
	cmd := exec.CommandContext(t.Context(), unshare, "-m", "sh", "-c", script, binary, cfg)
	cmd.Env = append(os.Environ(), "ZONEINFO=")
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "mount") {
		t.Skipf("cannot hide the time zone databases here: %v\n%s", err, out)
	}
	if err != nil || !strings.Contains(string(out), "ok, 1 target, 1 secret") {
		t.Fatalf("validate without a time zone database: %v\n%s", err, out)
	}
}
