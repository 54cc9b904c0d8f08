package main

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the demo as `rotatord demo` does: three rotations, each
// shown with the sink's key authenticating and, from the second on, the
// key before the previous one rejected; nothing secret in the output.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	var logs bytes.Buffer
	err := runDemo(context.Background(), &out, demoOptions{Every: 500 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	out.Write(logs.Bytes())
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	if n := strings.Count(text, "the sink's key AKIA"); n != 3 {
		t.Errorf("%d rotations shown, want 3:\n%s", n, text)
	}
	if n := strings.Count(text, "rejected (InvalidClientTokenId)"); n != 2 {
		t.Errorf("%d retired keys shown rejected, want 2:\n%s", n, text)
	}
	if n := strings.Count(text, "aws_secret_access_key = [redacted]"); n != 3 {
		t.Errorf("the sink's secret is not shown redacted:\n%s", text)
	}
	// A secret access key is 40 characters of [A-Za-z0-9+/] mixing cases
	// and digits; nothing in the output may look like one.
	for _, m := range regexp.MustCompile(`[A-Za-z0-9+/]+`).FindAllString(text, -1) {
		if len(m) == 40 && regexp.MustCompile(`[A-Z]`).MatchString(m) &&
			regexp.MustCompile(`[a-z]`).MatchString(m) && regexp.MustCompile(`[0-9]`).MatchString(m) {
			t.Errorf("output holds something shaped like a secret: %.6s…", m)
		}
	}
}
