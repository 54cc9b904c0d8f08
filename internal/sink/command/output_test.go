package command

import (
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

const (
	withheld1 = "[line withheld: it held part of the secret access key]"
	idLine    = "using key " + testID
)

// excerptOf writes in to a tail in one write and returns its excerpt.
func excerptOf(in, secret string) string {
	out := new(tail)
	_, _ = out.Write([]byte(in))
	return out.excerpt(newScrubber(secret))
}

func TestExcerpt(t *testing.T) {
	const s = testSecret
	long := strings.Repeat("x", 3000)
	b64 := func(enc *base64.Encoding, prefix string) string { return enc.EncodeToString([]byte(prefix + s + "\n")) }
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"no secret", "ok\n", "ok"},
		{"secret", "key=" + s + "\n", withheld1},
		{"key id stays", idLine + "\nkey " + s + "\ndone\n", idLine + "\n" + withheld1 + "\ndone"},
		{"prefix of 20", "part: " + s[:20] + "\n", withheld1},
		{"middle 8", "x" + s[16:24] + "y\n", withheld1},
		{"7 characters are not a piece", "x" + s[16:23] + "y\n", "x" + s[16:23] + "y"},
		{"json escaped", `{"k":"` + strings.ReplaceAll(s, "/", `\/`) + `"}`, withheld1},
		{"url encoded", "?k=" + url.QueryEscape(s), withheld1},
		{"url encoded, lower case", "?k=" + strings.ReplaceAll(url.QueryEscape(s), "%2F", "%2f"), withheld1},
		{"base64", b64(base64.StdEncoding, ""), withheld1},
		{"base64 after one byte", b64(base64.StdEncoding, "k"), withheld1},
		{"base64 after two bytes", b64(base64.StdEncoding, "k="), withheld1},
		{"base64 url", b64(base64.URLEncoding, "key="), withheld1},
		{"base64 cut to 8", b64(base64.StdEncoding, "k")[20:28], withheld1},
		{"hex", hex.EncodeToString([]byte(s)), withheld1},
		{"hex upper case, a piece", strings.ToUpper(hex.EncodeToString([]byte(s)))[11:19], withheld1},
		{"split over two lines", "a " + s[:5] + "\n" + s[5:9] + " b\nok\n", "[2 lines withheld: they held part of the secret access key]\nok"},
		{"a long line that goes on with the next character", "x " + s[:7] + "\n" + s[7:8] + "annot reach the app\n",
			withheld1 + "\n" + s[7:8] + "annot reach the app"},
		{"a short line that goes on with it", "x " + s[:7] + "\n" + s[7:8] + "ok\n", "[2 lines withheld: they held part of the secret access key]"},
		{"one character a line", "start\n" + strings.Join(strings.Split(s, ""), "\n") + "\nend\n",
			"start\n[40 lines withheld: they held part of the secret access key]\nend"},
		{"spaced out", "k: " + strings.Join(strings.Split(s[:10], ""), " "), withheld1},
		{"cut off at the end", "printing " + s[:20], withheld1},
		{"last lines only", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "…3\n4\n5\n6\n7\n8\n9\n10\n11\n12"},
		{"ten lines whole", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10"},
		{"eleven lines", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11", "…2\n3\n4\n5\n6\n7\n8\n9\n10\n11"},
		{"long line capped", long + "\nend\n", "…" + long[:maxOutput-len("\nend")] + "\nend"},
		{"one long line", long, "…" + long[:maxOutput]},
		{"line cut by the kept window", "y\n" + strings.Repeat("z", tailSize) + "\nend", "…end"},
		{"secret cut by the kept window", "y\n" + s + strings.Repeat("z", tailSize-10) + "\nend", "…end"},
		{"secrets among lines", strings.Repeat("ok\n"+s+"\n", 60), "…" + strings.Repeat(withheld1+"\nok\n", 5)[len(withheld1)+1:] + withheld1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := excerptOf(tt.in, s)
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			assertNoPiece(t, got, s)
		})
	}
}

// assertNoPiece fails if text holds window characters of secret in a row.
func assertNoPiece(t *testing.T, text, secret string) {
	t.Helper()
	for j := 0; j+window <= len(secret); j++ {
		if strings.Contains(text, secret[j:j+window]) {
			t.Fatalf("%q holds %q of the secret", text, secret[j:j+window])
		}
	}
}

// TestExcerptNeverLeaks writes random output around pieces of the secret,
// in random chunks, and checks that no piece is left and the excerpt stays
// within its bounds.
func TestExcerptNeverLeaks(t *testing.T) {
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
			in.WriteString(filler(r.IntN(tailSize + 200)))
			from := r.IntN(len(s) - window + 1)
			in.WriteString(s[from : from+window+r.IntN(len(s)-from-window+1)])
		}
		if r.IntN(2) == 0 {
			in.WriteString(filler(r.IntN(100)))
		}
		out := new(tail)
		data := in.String()
		for len(data) > 0 {
			n := min(len(data), r.IntN(300)+1)
			_, _ = out.Write([]byte(data[:n]))
			data = data[n:]
		}
		got := out.excerpt(newScrubber(s))
		assertNoPiece(t, got, s)
		if len(got) > maxOutput+len("…") {
			t.Fatalf("case %d: %d bytes, want at most %d", i, len(got), maxOutput)
		}
		if n := strings.Count(got, "\n"); n >= maxLines {
			t.Fatalf("case %d: %d lines, want at most %d", i, n+1, maxLines)
		}
	}
}

// FuzzScrub: whatever a program prints, written in whatever chunks, for
// whatever key of AWS's alphabet, no run of window characters of the key
// nor of any of its encodings is left in the excerpt.
func FuzzScrub(f *testing.F) {
	s := testSecret
	for _, seed := range []string{
		"", "ok\n", s, "k=" + s[:20] + "\n", s[13:21], base64.StdEncoding.EncodeToString([]byte("x" + s)),
		hex.EncodeToString([]byte(s)), strings.Join(strings.Split(s, ""), "\n"), s[:4] + "\r" + s[4:9],
		url.QueryEscape(s), strings.Repeat("line\n", 20) + s,
	} {
		f.Add([]byte(seed), uint8(7), []byte(nil))
	}
	f.Add([]byte("abcdefgh"), uint8(1), []byte("abcdefghijklmnopqrstuvwxyz0123456789+/AB"))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	f.Fuzz(func(t *testing.T, output []byte, chunk uint8, key []byte) {
		secret := s
		if len(key) >= window {
			b := make([]byte, min(len(key), 64))
			for i := range b {
				b[i] = alphabet[int(key[i])%len(alphabet)]
			}
			secret = string(b)
		}
		out := new(tail)
		step := int(chunk) + 1
		for data := output; len(data) > 0; {
			n := min(len(data), step)
			_, _ = out.Write(data[:n])
			data = data[n:]
		}
		sc := newScrubber(secret)
		got := out.excerpt(sc)
		assertNoPiece(t, got, secret)
		if sc.holds(got) {
			t.Fatalf("excerpt %q holds a piece of an encoding of %q", got, secret)
		}
	})
}

// BenchmarkExcerpt: a full tail of output, one secret line in ten.
func BenchmarkExcerpt(b *testing.B) {
	out := new(tail)
	for out.total < tailSize {
		_, _ = out.Write([]byte("reloading the application, attempt 3 of 5, waiting\n" + testSecret[:20] + "\n"))
	}
	for b.Loop() {
		_ = out.excerpt(newScrubber(testSecret))
	}
}
