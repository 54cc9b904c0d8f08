package webhook

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// recipe returns the shell code that follows the "<!-- receiver-recipe -->"
// marker of docs/webhooks.md, from its ```sh fence to the closing fence. The
// README's copy must be the same code.
func recipe(t *testing.T) string {
	t.Helper()
	code := recipeIn(t, "../../../docs/webhooks.md")
	if readme := recipeIn(t, "../../../README.md"); readme != code {
		t.Fatal("README.md's receiver recipe differs from docs/webhooks.md's")
	}
	return code
}

func recipeIn(t *testing.T, path string) string {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "<!-- receiver-recipe -->\n")
	if !ok {
		t.Fatal(path + ": no <!-- receiver-recipe --> marker")
	}
	code, ok := strings.CutPrefix(after, "```sh\n")
	if !ok {
		t.Fatal(path + ": the marker is not followed by a ```sh fence")
	}
	code, _, ok = strings.Cut(code, "\n```\n")
	if !ok {
		t.Fatal(path + ": the recipe's fence is not closed")
	}
	return code
}

// TestReceiverRecipe runs the documented shell recipe against a real
// delivery, captured by a receiver, and against tampered copies of it.
func TestReceiverRecipe(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	code := recipe(t)
	rv := &receiver{}
	_, url := serve(t, rv)
	c := sinkConfig(url)
	c.IncludeValue = true                                  // a body with '/', '+' and quotes to survive the shell
	w, err := NewWithOptions(c, nil, Options{Retry: fast}) // the real clock: the recipe uses date
	if err != nil {
		t.Fatal(err)
	}
	cred := credential()
	cred.Secret = `/team/it's "x"/a+b`
	if err := w.Put(t.Context(), cred); err != nil {
		t.Fatal(err)
	}
	got := rv.requests()[0]
	ts, sig, body := got.Header.Get(HeaderTimestamp), got.Header.Get(HeaderSignature), got.Body

	sec, _ := strconv.ParseInt(ts, 10, 64)
	staleTS := strconv.FormatInt(sec-3600, 10)
	tests := []struct {
		name    string
		secret  string
		ts, sig string
		body    []byte
		ok      bool
	}{
		{"genuine delivery", hmacSecret, ts, sig, body, true},
		{"tampered body", hmacSecret, ts, sig, bytes.Replace(body, []byte(`"version":7`), []byte(`"version":8`), 1), false},
		{"body with a trailing newline", hmacSecret, ts, sig, append(append([]byte(nil), body...), '\n'), false},
		{"tampered signature", hmacSecret, ts, tamper(sig), body, false},
		{"wrong secret", "not-the-secret", ts, sig, body, false},
		{"stale timestamp, genuinely signed", hmacSecret, staleTS, Sign([]byte(hmacSecret), staleTS, body), body, false},
		{"timestamp from the future", hmacSecret, strconv.FormatInt(sec+3600, 10), Sign([]byte(hmacSecret), strconv.FormatInt(sec+3600, 10), body), body, false},
		{"octal-looking timestamp", hmacSecret, "0" + ts, Sign([]byte(hmacSecret), "0"+ts, body), body, false},
		{"malformed timestamp", hmacSecret, "$(id)", sig, body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("sh", "-c", code+"\n"+`rotatord_verify "$SECRET" "$TS" "$SIG" 300`)
			cmd.Env = append(os.Environ(), "SECRET="+tt.secret, "TS="+tt.ts, "SIG="+tt.sig)
			cmd.Stdin = bytes.NewReader(tt.body)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if tt.ok && err != nil {
				t.Errorf("rejected a genuine delivery: %v: %s", err, stderr.String())
			}
			if !tt.ok && err == nil {
				t.Errorf("accepted it")
			}
			if !tt.ok && !strings.Contains(stderr.String(), "rotatord_verify: ") {
				t.Errorf("no reason on stderr: %q", stderr.String())
			}
			// Go's Verify agrees with the recipe.
			goErr := Verify([]byte(tt.secret), tt.ts, tt.sig, tt.body, time.Now(), 300*time.Second)
			if (goErr == nil) != tt.ok {
				t.Errorf("Verify: got %v, want ok=%v", goErr, tt.ok)
			}
		})
	}
}
