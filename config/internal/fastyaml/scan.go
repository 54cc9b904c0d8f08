package fastyaml

import "gopkg.in/yaml.v3"

// parser reads one document, a line at a time. A top-level key named lazy
// whose value is a block sequence is not parsed item by item: its node is
// left empty and the item boundaries are kept in seq, for Seq.Item to
// parse on demand.
type parser struct {
	data []byte
	// the current significant line: [start, end) and its indentation
	start, end, indent int
	line               int // 1-based
	eof                bool
	// next is where the following line starts
	next int

	lazy  string
	seq   *Seq
	words map[string]string
	nodes *Pool
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// advance moves to the next line that holds more than white space and a
// comment.
func (p *parser) advance() {
	for {
		if p.next >= len(p.data) {
			p.eof, p.start, p.end, p.indent = true, len(p.data), len(p.data), -1
			return
		}
		p.start = p.next
		p.line++
		e := p.start
		for e < len(p.data) && p.data[e] != '\n' {
			e++
		}
		p.end, p.next = e, e+1
		i := p.start
		for i < e && p.data[i] == ' ' {
			i++
		}
		if i < e && p.data[i] != '#' {
			p.indent = i - p.start
			if line := p.data[i:e]; i == p.start && (hasPrefix(line, "---") || hasPrefix(line, "...")) {
				bail() // a document marker, or a scalar yaml.v3 may read as one
			}
			return
		}
	}
}

// col is the 0-based column of offset x on the current line.
func (p *parser) col(x int) int { return x - p.start }

// node makes a node of kind whose position is offset x of the current
// line, from the pool when the parser has one.
func (p *parser) node(kind yaml.Kind, x int) *yaml.Node {
	var n *yaml.Node
	if p.nodes != nil {
		n = p.nodes.get()
	} else {
		n = new(yaml.Node)
	}
	n.Kind, n.Line, n.Column = kind, p.line, p.col(x)+1
	switch kind {
	case yaml.MappingNode:
		n.Tag = "!!map"
	case yaml.SequenceNode:
		n.Tag = "!!seq"
	}
	return n
}

// spaces skips blanks from x.
func (p *parser) spaces(x int) int {
	for x < p.end && p.data[x] == ' ' {
		x++
	}
	return x
}

// lineDone reports whether only white space and a comment follow x.
func (p *parser) lineDone(x int) bool {
	y := p.spaces(x)
	return y == p.end || (p.data[y] == '#' && y > x)
}

// isSeqEntry reports whether the current line holds "- " or a lone "-" at
// offset x.
func (p *parser) isSeqEntry(x int) bool {
	return x < p.end && p.data[x] == '-' && (x+1 == p.end || p.data[x+1] == ' ')
}

// isKey reports whether a ":" that ends a key is at y.
func (p *parser) isKey(y int) bool {
	return y < p.end && p.data[y] == ':' && (y+1 == p.end || p.data[y+1] == ' ')
}
