package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStateInit: state init creates the DynamoDB table through the state's
// target, says what it did, does nothing the second time, and refuses a
// bbolt configuration. Before it, the commands that open the store say
// the table is missing and what creates it; after it, they work.
func TestStateInit(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true})
	if _, stderr, code := w.run("state", "init"); code == 0 || !strings.Contains(stderr, "state.backend is bbolt") {
		t.Errorf("state init on bbolt exited %d:\n%s", code, stderr)
	}
	cfgText, err := os.ReadFile(filepath.Join(w.dir, "rotatord.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	w.write("rotatord.yaml", strings.Replace(string(cfgText), "  path: state.db\n", "  backend: dynamodb\n  table: rotatord-state\n  target: prod\n", 1))
	if _, stderr, code := w.run("list"); code != 1 || !strings.Contains(stderr, "table rotatord-state in us-east-1 does not exist; create it with rotatord state init") {
		t.Errorf("list before state init exited %d:\n%s", code, stderr)
	}
	if out := w.mustRun("state", "init"); !strings.Contains(out, "rotatord-state (us-east-1): created the table; turned on time to live (expires); turned on point-in-time recovery") {
		t.Errorf("first state init:\n%s", out)
	}
	if out := w.mustRun("state", "init"); !strings.Contains(out, "nothing to do") {
		t.Errorf("second state init:\n%s", out)
	}
	table, err := w.fake.Table("rotatord-state")
	if err != nil || table.TTLAttribute != "expires" || !table.PointInTimeRecovery {
		t.Errorf("table %+v, %v", table, err)
	}
	if out := w.mustRun("list"); !strings.Contains(out, "/team/app") {
		t.Errorf("list on the new table:\n%s", out)
	}
}
