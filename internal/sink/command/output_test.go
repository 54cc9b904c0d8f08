package command

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

func TestScrubbed(t *testing.T) {
	const s = testSecret
	long := strings.Repeat("x", 3000)
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"no secret", "ok\n", "ok"},
		{"secret", "key=" + s + "\n", "key=[redacted]"},
		{"twice, adjacent", s + s + " " + s, "[redacted] [redacted]"},
		{"json escaped", `{"k":"` + strings.ReplaceAll(s, "/", `\/`) + `"}`, `{"k":"[redacted]"}`},
		{"url encoded", "?k=" + url.QueryEscape(s), "?k=[redacted]"},
		{"cut off at the end", "printing " + s[:20], "printing [redacted]"},
		{"short start at the end kept", "done w", "done w"},
		{"last lines only", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "…3\n4\n5\n6\n7\n8\n9\n10\n11\n12"},
		{"ten lines whole", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10"},
		{"eleven lines", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11", "…2\n3\n4\n5\n6\n7\n8\n9\n10\n11"},
		{"long line capped", long + "\nend\n", "…end"},
		{"one long line", long, "…" + long[:maxOutput]},
		{"secret cut by the kept window", "y\n" + s + strings.Repeat("z", maxOutput+64), "…" + strings.Repeat("z", maxOutput)},
		{"cut secrets shrink below the cap", "y\n" + s + strings.Repeat(s+"\n", 60), "…" + strings.Repeat("[redacted]\n", 9) + "[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := newTail(maxOutput + len(s) + 64)
			_, _ = out.Write([]byte(tt.in))
			if got := out.scrubbed(s); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestScrubbedNeverLeaks writes random output around copies of the secret,
// in random chunks, and checks that no 4 bytes of the secret are left.
func TestScrubbedNeverLeaks(t *testing.T) {
	const s = testSecret
	r := rand.New(rand.NewPCG(1, 2))
	filler := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab \n-"[r.IntN(5)]
		}
		return string(b)
	}
	for i := range 2000 {
		var in strings.Builder
		for range r.IntN(4) + 1 {
			in.WriteString(filler(r.IntN(maxOutput + 200)))
			in.WriteString(s)
		}
		if r.IntN(2) == 0 {
			in.WriteString(filler(r.IntN(100)))
		}
		out := newTail(maxOutput + len(s) + 64)
		data := in.String()
		for len(data) > 0 {
			n := min(len(data), r.IntN(300)+1)
			_, _ = out.Write([]byte(data[:n]))
			data = data[n:]
		}
		got := out.scrubbed(s)
		for j := 0; j+minPartial <= len(s); j++ {
			if strings.Contains(got, s[j:j+minPartial]) {
				t.Fatalf("case %d: output holds %q of the secret: %q", i, s[j:j+minPartial], got)
			}
		}
		if len(got) > maxOutput+len("…") {
			t.Fatalf("case %d: %d bytes, want at most %d", i, len(got), maxOutput)
		}
	}
}

func TestRedactOverlapping(t *testing.T) {
	// A secret whose end is also its start: the start of a full copy at
	// offset 0 must not be mistaken for a cut-off end and split.
	got := string(redact([]byte("abXab-tail"), []string{"abXab"}, true))
	if got != "[redacted]-tail" {
		t.Errorf("got %q", got)
	}
	got = string(redact([]byte("Xab-tail abXabXab"), []string{"abXab"}, true))
	if want := "[redacted]-tail [redacted]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got = string(redact([]byte(testSecret[25:]+" rest"), needles(testSecret), true))
	if want := "[redacted] rest"; got != want {
		t.Errorf("cut-off secret at the start: got %q, want %q", got, want)
	}
	got = string(redact([]byte(testSecret[25:]+" rest"), needles(testSecret), false))
	if want := testSecret[25:] + " rest"; got != want {
		t.Errorf("uncut output: got %q, want %q", got, want)
	}
}
