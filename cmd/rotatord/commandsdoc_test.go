package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// TestCommandsDoc: the hidden __commands prints the command tree that
// tools/mangen turns into man pages: every visible command with its flags,
// and not itself.
func TestCommandsDoc(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"__commands"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var root commandDoc
	if err := json.Unmarshal(stdout.Bytes(), &root); err != nil {
		t.Fatalf("%v:\n%s", err, stdout.String())
	}
	if root.Use != "rotatord" || len(root.Persistent) == 0 || root.Persistent[0].Name != "config" || root.Persistent[0].Default != "/etc/rotatord/rotatord.yaml" {
		t.Errorf("root %q with persistent flags %+v, want rotatord with --config first", root.Use, root.Persistent)
	}
	cmds := map[string]commandDoc{}
	for _, c := range root.Commands {
		cmds[c.Use] = c
	}
	if _, ok := cmds["__commands"]; ok {
		t.Error("the hidden __commands lists itself")
	}
	for _, use := range []string{"run", "validate", "version", "completion", "keygen"} {
		if _, ok := cmds[use]; !ok {
			t.Errorf("no command %q in %v", use, root.Commands)
		}
	}
	v := cmds["version"]
	if len(v.Flags) == 0 || v.Flags[0].Name != "output" || v.Flags[0].Shorthand != "o" || v.Flags[0].Default != "table" {
		t.Errorf("version's flags %+v, want -o/--output (table)", v.Flags)
	}
}
