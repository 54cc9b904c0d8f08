package command

import (
	"bytes"
	"strconv"
	"sync"
)

// maxOutput and maxLines bound the excerpt of a program's output that an
// error quotes: its end, since that is where a failing program says why.
// tailSize is how much of the end is kept to make it from: more than the
// excerpt, so that lines withheld as a whole still leave room for others.
const (
	maxOutput = 2 << 10
	maxLines  = 10
	tailSize  = 4 * maxOutput
)

// tail is an io.Writer that keeps the last tailSize bytes written to it.
// It is the only place a program's output is kept, and only in memory:
// what leaves it is an excerpt.
type tail struct {
	mu    sync.Mutex
	buf   []byte
	total int64
}

// Write implements io.Writer; it never fails.
func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	if len(p) >= tailSize {
		t.buf = append(t.buf[:0], p[len(p)-tailSize:]...)
		return len(p), nil
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*tailSize { // compact now and then, not on every write
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(p), nil
}

// excerpt returns the end of what was written, at most maxLines lines and
// maxOutput bytes, with every line that holds a piece of the secret access
// key (see scrubber) replaced by a marker: a run of such lines by one
// marker. Nothing else is changed: the access key id, which is no secret,
// stays. Trailing space is trimmed; "…" marks output left out.
func (t *tail) excerpt(s *scrubber) string {
	t.mu.Lock()
	raw := bytes.Clone(t.buf[max(0, len(t.buf)-tailSize):])
	cut := t.total > int64(len(raw))
	t.mu.Unlock()

	lines := bytes.Split(raw, []byte("\n"))
	withheld := s.withheld(lines) // the cut-off first line too: a piece may run on from it
	if cut && len(lines) > 1 {
		// The first line's start was not kept: leave it out.
		lines, withheld = lines[1:], withheld[1:]
	}
	var out [][]byte
	for i := 0; i < len(lines); i++ {
		if !withheld[i] {
			out = append(out, lines[i])
			continue
		}
		n := 1
		for i+1 < len(lines) && withheld[i+1] {
			i, n = i+1, n+1
		}
		out = append(out, marker(s, n))
	}
	text := bytes.TrimRight(bytes.Join(out, []byte("\n")), " \t\r\n")
	if len(text) > maxOutput {
		text, cut = text[len(text)-maxOutput:], true
	}
	if n := bytes.Count(text, []byte("\n")); n >= maxLines {
		for range n - maxLines + 1 {
			text = text[bytes.IndexByte(text, '\n')+1:]
		}
		cut = true
	}
	if cut && len(text) > 0 {
		return "…" + string(text)
	}
	return string(text)
}

// marker is what stands for n withheld lines. Should the words hold a
// piece of the key (a key is random: it might), a mark too short to hold
// one stands instead.
func marker(s *scrubber, n int) []byte {
	m := "[line withheld: it held part of the secret access key]"
	if n > 1 {
		m = "[" + strconv.Itoa(n) + " lines withheld: they held part of the secret access key]"
	}
	if s.holds(m) {
		m = "[-]"
	}
	return []byte(m)
}
