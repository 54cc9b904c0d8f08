package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// leakyScript prints pieces of the key it is given in many forms, then
// fails.
const leakyScript = `#!/bin/sh
k=$AWS_SECRET_ACCESS_KEY
echo "deploying $AWS_ACCESS_KEY_ID"
printf '%s\n' "$k" | cut -c1-12 | fold -w1
printf '%s\n' "$k" | cut -c13-30 | fold -w6
echo "first 20: $(printf %s "$k" | cut -c1-20)"
echo "middle 8: $(printf %s "$k" | cut -c17-24)"
echo "last 8: $(printf %s "$k" | cut -c33-40)"
echo "base64: $(printf %s "$k" | base64 -w0)"
echo "base64 later: $(printf 'key=%s' "$k" | base64 -w0)"
echo "hex: $(printf %s "$k" | od -An -tx1 | tr -d ' \n')"
echo "json: {\"k\":\"$(printf %s "$k" | sed 's,/,\\/,g')\"}"
echo "cannot reach the application: connection refused" >&2
exit 7
`

// TestCommandOutputLeaksNoPiece runs the daemon with a command sink that
// prints pieces of the new key (a prefix of 20, 8 from the middle, base64
// at two offsets, hex, JSON, one character a line, six a line) and fails.
// No 8 characters of the key in a row may appear in any log line, the
// output of rotate, status, list or history, /metrics, the state record's
// last error, the audit events or the raw bytes of the state file.
func TestCommandOutputLeaksNoPiece(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true})
	script := filepath.Join(w.dir, "leaky.sh")
	if err := os.WriteFile(script, []byte(leakyScript), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := w.runSettings("3s")
	cfg += fmt.Sprintf("      - type: command\n        command: [%q]\n", script)
	w.replaceConfig(cfg)

	p := w.startDaemon()
	out, errOut, code := w.run("rotate", "/team/app")
	if code == 0 || !strings.Contains(errOut, "exit status 7") || !strings.Contains(errOut, "connection refused") {
		t.Fatalf("rotate: exit %d, want a failure quoting the command's last line:\n%s%s", code, out, errOut)
	}
	outputs := map[string]string{"rotate": out + errOut}
	for _, args := range [][]string{{"status", "/team/app"}, {"list"}, {"history", "/team/app"}} {
		outputs[strings.Join(args, " ")] = w.mustRun(args...)
	}
	if !strings.Contains(outputs["status /team/app"], "exit status 7") {
		t.Errorf("status does not show the failure:\n%s", outputs["status /team/app"])
	}
	resp, err := http.Get("http://" + p.listen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	outputs["/metrics"] = string(metrics)
	if code, _ := p.term(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}

	st := w.openStore()
	s, err := st.Get(context.Background(), "/team/app")
	if err != nil {
		t.Fatal(err)
	}
	events, err := st.History(context.Background(), "/team/app")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if len(s.Versions) < 2 {
		t.Fatalf("state: %d versions, want the pending key", len(s.Versions))
	}
	if !strings.Contains(s.LastError, "exit status 7") || !strings.Contains(s.LastError, "withheld: they held part of the secret access key") {
		t.Errorf("last error %q; want the command's failure with lines withheld", s.LastError)
	}
	if !strings.Contains(s.LastError, "deploying "+s.Versions[len(s.Versions)-1].AccessKeyID) {
		t.Errorf("the line with only the access key id was withheld too: %q", s.LastError)
	}
	outputs["state: last error"] = s.LastError
	for i, e := range events {
		b, _ := json.Marshal(e)
		outputs[fmt.Sprintf("state: audit event %d", i)] = string(b)
	}
	raw, err := os.ReadFile(filepath.Join(w.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	outputs["state: the file's bytes"] = string(raw)
	w.mu.Lock()
	logs := w.output.String() // every log line and CLI output
	w.mu.Unlock()
	outputs["logs and CLI output"] = logs
	// JSON log lines, decoded: an escape must not hide a piece.
	for i, line := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			outputs[fmt.Sprintf("log line %d, decoded", i)] = fmt.Sprint(m)
		}
	}

	keys := []string{w.app.SecretAccessKey, w.admin.SecretAccessKey}
	for _, v := range s.Versions {
		keys = append(keys, v.Value.Reveal())
	}
	for name, o := range outputs {
		if k, i := piece(o, keys); k >= 0 {
			t.Errorf("%s holds characters %d to %d of secret access key %d", name, i+1, i+8, k)
		}
	}
}

// piece returns the index of the first key of which text holds 8
// characters in a row, and where they start in it; -1 and -1 if none.
func piece(text string, keys []string) (key, at int) {
	for k, key := range keys {
		for i := 0; i+8 <= len(key); i++ {
			if strings.Contains(text, key[i:i+8]) {
				return k, i
			}
		}
	}
	return -1, -1
}
