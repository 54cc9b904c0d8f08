package testuid

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestShRunsAsNobody(t *testing.T) {
	RequireRoot(t)
	if got := strings.TrimSpace(Sh(t, "id -u; id -g")); got != "65534\n65534" {
		t.Fatalf("id -u; id -g = %q, want 65534 twice", got)
	}
}

func TestNobodyCannotWriteRootDir(t *testing.T) {
	RequireRoot(t)
	dir := TempDir(t)
	out, err := Command(t.Context(), "/bin/sh", "-c", "echo x > "+filepath.Join(dir, "f")).CombinedOutput()
	if err == nil {
		t.Fatalf("uid %d wrote into a root-owned 0755 directory: %s", Nobody, out)
	}
	Chown(t, dir)
	Sh(t, "echo x > "+filepath.Join(dir, "f"))
}
