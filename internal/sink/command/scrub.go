package command

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
)

// window is the length of the shortest piece of the secret access key
// that withholds a line: a run of 8 characters of the key, or of one of
// its encodings. Shorter pieces are as likely an accident as a leak, and
// reveal too little of a 40-character key to matter.
const window = 8

// scrubber finds the lines of a program's output that hold a piece of one
// secret access key: any run of window characters of the key itself, of
// its JSON and URL escapes, of its base64 encodings (standard and URL
// alphabets, at each of the three offsets the key can start at in a longer
// encoded text) and of its hex encodings (lower and upper case). It knows
// the key only as the set of its pieces, packed in integers.
type scrubber struct {
	n      int                 // the length of a piece: window, or the key's length if shorter
	pieces map[uint64]struct{} // every piece of every encoding
	keep   [256]bool           // the bytes that the key's encodings hold: never skipped
}

// newScrubber returns the scrubber of secret, which is not empty.
func newScrubber(secret string) *scrubber {
	s := &scrubber{n: min(window, len(secret)), pieces: make(map[uint64]struct{})}
	for _, enc := range encodings(secret) {
		for i := 0; i < len(enc); i++ {
			s.keep[enc[i]] = true
		}
		for i := 0; i+s.n <= len(enc); i++ {
			s.pieces[pack(enc[i:i+s.n])] = struct{}{}
		}
	}
	return s
}

// pack returns the bytes of p, at most 8, as one integer.
func pack(p string) uint64 {
	var v uint64
	for i := 0; i < len(p); i++ {
		v = v<<8 | uint64(p[i])
	}
	return v
}

// encodings returns the forms of secret a program might print.
func encodings(secret string) []string {
	out := []string{secret, strings.ReplaceAll(secret, "/", `\/`)}
	if j, err := json.Marshal(secret); err == nil {
		out = append(out, string(j[1:len(j)-1]))
	}
	for _, e := range []string{url.QueryEscape(secret), url.PathEscape(secret)} {
		out = append(out, e, lowerEscapes(e))
	}
	out = append(out, hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret))))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for off := range 3 {
			// The key starts off bytes into a group of three: the
			// characters before (8*off+5)/6 mix in the bytes before
			// it. Those after it are the key's, up to the padding.
			b := enc.EncodeToString(append(make([]byte, off), secret...))
			out = append(out, b[(8*off+5)/6:])
		}
	}
	return out
}

// lowerEscapes returns e with the hex digits of its %XX escapes in lower
// case, as some programs write them.
func lowerEscapes(e string) string {
	b := []byte(e)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// skipped reports whether c is left out when lines are joined to look for
// pieces: line breaks, blanks and other control characters, unless the
// key's encodings hold c. A piece split by them ("wJalrX", "UtnF" on the
// next line, or one character per line) is found all the same, and a piece
// printed whole is never split by a byte that is skipped.
func (s *scrubber) skipped(c byte) bool {
	return (c <= ' ' || c == 0x7f) && !s.keep[c]
}

// withheld returns, for each line, whether it holds a piece of the key or
// a part of a piece that runs on over the lines next to it. A line at
// either end of such a piece that gives it fewer than edge characters,
// among window or more of its own, is not withheld: that is likely a
// coincidence (a line that happens to start with the key's next
// character), and what it shows of the piece is too short to matter. Two
// passes over the lines' bytes: one to size the lines, one to look.
func (s *scrubber) withheld(lines [][]byte) []bool {
	out := make([]bool, len(lines))
	size := make([]int, len(lines)) // the bytes of each line that are not skipped
	for li, line := range lines {
		for _, c := range line {
			if !s.skipped(c) {
				size[li]++
			}
		}
	}
	mask := ^uint64(0)
	if s.n < 8 {
		mask = 1<<(8*s.n) - 1
	}
	// from[j%s.n] is the line of the j-th byte joined: the ring of the
	// lines of the bytes in the window.
	from := make([]int, s.n)
	var v uint64
	joined := 0
	for li, line := range lines {
		for _, c := range line {
			if s.skipped(c) {
				continue
			}
			v = (v<<8 | uint64(c)) & mask
			from[joined%s.n] = li
			joined++
			if joined < s.n {
				continue
			}
			if _, ok := s.pieces[v]; ok {
				s.mark(out, size, from, joined)
			}
		}
	}
	return out
}

// edge is the fewest characters of a piece split over lines that withhold
// a line at its start or end that is long enough to stand on its own.
const edge = 4

// mark withholds the lines of the piece that ends with the joined-th
// byte: from its oldest byte's line to its newest's.
func (s *scrubber) mark(out []bool, size, from []int, joined int) {
	first, last := from[joined%s.n], from[(joined-1)%s.n]
	inFirst, inLast := 0, 0
	for k := range s.n {
		switch from[(joined+k)%s.n] {
		case first:
			inFirst++
		case last:
			inLast++
		}
	}
	for l := first; l <= last; l++ {
		switch {
		case l == first && first != last && inFirst < edge && size[l] >= s.n:
		case l == last && first != last && inLast < edge && size[l] >= s.n:
		default:
			out[l] = true
		}
	}
}

// holds reports whether text holds a piece of the key, counting pieces
// split by skipped bytes.
func (s *scrubber) holds(text string) bool {
	for _, w := range s.withheld([][]byte{[]byte(text)}) {
		if w {
			return true
		}
	}
	return false
}
