package awsfake

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestProductLinksNoServiceFakes: the rotatord binary links awsfake for
// `rotatord demo` (IAM and STS), never the Secrets Manager, SSM and
// DynamoDB fakes nor the test support packages awsfaketest and awstest.
// Being unreferenced is not enough: a binary that uses reflection
// (text/template) keeps every exported method of the types it links, so
// the packages must stay out of its imports.
func TestProductLinksNoServiceFakes(t *testing.T) {
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
	if !slices.Contains(deps, product) {
		t.Fatalf("go list -deps %s does not list the command itself:\n%s", product, out)
	}
	for _, fake := range []string{"dynamodbfake", "smfake", "ssmfake", "awsfaketest", "awstest"} {
		pkg := "github.com/rotatord/rotatord/internal/awsfake/" + fake
		if slices.Contains(deps, pkg) {
			t.Errorf("%s imports %s (go list -deps); the shipped binary must not link it", product, pkg)
		}
	}
}
