package command

import (
	"bytes"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/rotatord/rotatord/config"
)

// maxOutput and maxLines bound the output an error quotes: its end, since
// that is where a failing program says why.
const (
	maxOutput = 2 << 10
	maxLines  = 10

	// minPartial is the shortest start of the secret that counts when it
	// ends the output: shorter ones are as likely an accident (a final
	// "e" of "done") and reveal next to nothing.
	minPartial = 4
)

// tail is an io.Writer that keeps the last limit bytes written to it.
type tail struct {
	mu    sync.Mutex
	buf   []byte
	limit int
	total int64
}

func newTail(limit int) *tail { return &tail{limit: limit} }

// Write implements io.Writer; it never fails.
func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	if len(p) >= t.limit {
		t.buf = append(t.buf[:0], p[len(p)-t.limit:]...)
		return len(p), nil
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.limit { // compact now and then, not on every write
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.limit:]...)
	}
	return len(p), nil
}

// scrubbed returns the end of what was written, at most maxLines lines and
// maxOutput bytes, with every trace of secret replaced by [redacted]:
// the value itself, its JSON (\/) and URL (%2F) encodings, and a part of
// one cut off by the start of the kept bytes or by the end of the output
// (a program killed while it printed the key; at least minPartial bytes).
// Trailing space is trimmed; "…" marks output left out.
func (t *tail) scrubbed(secret string) string {
	t.mu.Lock()
	raw := bytes.Clone(t.buf[max(0, len(t.buf)-t.limit):])
	cut := t.total > int64(len(raw))
	t.mu.Unlock()

	out := redact(raw, needles(secret), cut)
	out = bytes.TrimRight(out, " \t\r\n")
	if len(out) > maxOutput {
		out, cut = out[len(out)-maxOutput:], true
	}
	if n := bytes.Count(out, []byte("\n")); n >= maxLines {
		for range n - maxLines + 1 {
			out = out[bytes.IndexByte(out, '\n')+1:]
		}
		cut = true
	} else if cut {
		// Drop the first line's cut-off start, unless it is all there is.
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
	}
	if cut && len(out) > 0 {
		return "…" + string(out)
	}
	return string(out)
}

// needles are the forms of secret that a program might print.
func needles(secret string) []string {
	if secret == "" {
		return nil
	}
	n := []string{secret}
	for _, v := range []string{strings.ReplaceAll(secret, "/", `\/`), url.QueryEscape(secret), url.PathEscape(secret)} {
		if !slices.Contains(n, v) {
			n = append(n, v)
		}
	}
	return n
}

// redact returns b with every byte that belongs to an occurrence of a
// needle replaced, each run of such bytes by one [redacted]. A needle's
// tail at the start of b counts when cut is true (b is the end of a longer
// output), and a needle's head of at least minPartial bytes at the end of
// b always counts.
func redact(b []byte, needles []string, cut bool) []byte {
	hidden := make([]bool, len(b))
	hide := func(from, to int) {
		for i := from; i < to; i++ {
			hidden[i] = true
		}
	}
	for _, n := range needles {
		for i := 0; i < len(b); {
			j := bytes.Index(b[i:], []byte(n))
			if j < 0 {
				break
			}
			hide(i+j, i+j+len(n))
			i += j + 1
		}
		for k := min(len(n)-1, len(b)); k > 0; k-- {
			if cut && bytes.HasPrefix(b, []byte(n[len(n)-k:])) {
				hide(0, k)
				break
			}
		}
		for k := min(len(n)-1, len(b)); k >= minPartial; k-- {
			if bytes.HasSuffix(b, []byte(n[:k])) {
				hide(len(b)-k, len(b))
				break
			}
		}
	}
	var out []byte
	for i := 0; i < len(b); i++ {
		if !hidden[i] {
			out = append(out, b[i])
		} else if i == 0 || !hidden[i-1] {
			out = append(out, config.Redacted...)
		}
	}
	return out
}
