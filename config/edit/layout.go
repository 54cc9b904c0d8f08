package edit

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rotatord/rotatord/config"
)

// maxLayoutCells bounds the table restoreLayout aligns lines with (lines of
// the old text times lines of the new): 16 MiB, files of some thousand
// lines. Larger files keep the encoder's layout.
const maxLayoutCells = 4 << 20

// restoreLayout puts back into out, the encoder's text of an edited
// document, what yaml.v3 drops from lines the edit did not change: blank
// lines, the spacing inside a line (such as aligned line comments) and the
// indentation of comment lines. It aligns the lines of orig and out (a
// longest common subsequence of lines with the same words, indentation
// aside) and writes each aligned line as orig has it, with out's
// indentation where the two differ, after a blank line where orig has one
// before it. Comment lines keep orig's indentation when every other
// aligned line has the same indentation in both, that is when the file was
// indented as the encoder indents. Lines are never dropped, added (except
// blank ones) or reordered; and if the result does not decode to the same
// data as out, out is returned unchanged.
func restoreLayout(orig, out []byte) []byte {
	a, b := splitLines(orig), splitLines(out)
	n, m := len(a), len(b)
	if n == 0 || (n+1)*(m+1) > maxLayoutCells {
		return out
	}
	ka, kb := layoutKeys(a), layoutKeys(b)
	// lcs[i*(m+1)+j] is the length of the alignment of a[i:] and b[j:].
	lcs := make([]int32, (n+1)*(m+1))
	at := func(i, j int) int32 { return lcs[i*(m+1)+j] }
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if ka[i] != "" && ka[i] == kb[j] {
				lcs[i*(m+1)+j] = at(i+1, j+1) + 1
			} else {
				lcs[i*(m+1)+j] = max(at(i+1, j), at(i, j+1))
			}
		}
	}
	match := make([]int, m) // the line of orig aligned with b[j], or -1
	sameIndent := true
	for i, j := 0, 0; j < m; {
		switch {
		case i < n && ka[i] != "" && ka[i] == kb[j]:
			match[j] = i
			if !strings.HasPrefix(ka[i], "#") && indent(a[i]) != indent(b[j]) {
				sameIndent = false
			}
			i, j = i+1, j+1
		case i < n && at(i+1, j) >= at(i, j+1):
			i++
		default:
			match[j] = -1
			j++
		}
	}
	res := make([]string, 0, m+m/4)
	for j, i := range match {
		switch {
		case i < 0:
			res = append(res, b[j])
			continue
		case i > 0 && strings.TrimSpace(a[i-1]) == "" && len(res) > 0 && strings.TrimSpace(res[len(res)-1]) != "":
			res = append(res, "")
		}
		if strings.HasPrefix(ka[i], "#") && sameIndent {
			res = append(res, a[i])
		} else {
			res = append(res, indent(b[j])+strings.TrimLeft(a[i], " "))
		}
	}
	text := []byte(strings.Join(res, "\n") + "\n")
	if !sameData(text, out) {
		return out
	}
	return text
}

// indent returns the spaces that start l.
func indent(l string) string { return l[:len(l)-len(strings.TrimLeft(l, " "))] }

// splitLines splits text into lines without their line ends.
func splitLines(text []byte) []string {
	s := strings.TrimSuffix(string(text), "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// layoutKeys returns what restoreLayout compares of each line: its words
// with single spaces between them (a comment line's whole text), or "" for
// a blank line, which matches nothing.
func layoutKeys(lines []string) []string {
	keys := make([]string, len(lines))
	for i, l := range lines {
		keys[i] = strings.Join(strings.Fields(l), " ")
	}
	return keys
}

// sameData reports whether two texts decode to the same YAML data: the
// same kinds, tags, values, anchors and aliases, comments and layout
// aside.
func sameData(x, y []byte) bool {
	a, err := config.ReadDocument(x)
	if err != nil {
		return false
	}
	b, err := config.ReadDocument(y)
	return err == nil && sameNode(a, b)
}

func sameNode(a, b *yaml.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.ShortTag() != b.ShortTag() || a.Value != b.Value ||
		a.Anchor != b.Anchor || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !sameNode(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}
