package fastyaml

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// scalar reads a plain or quoted scalar at x and returns it and the offset
// after it. In a flow collection (flow) a plain scalar also ends at , [ ] {
// }.
func (p *parser) scalar(x int, flow bool) (*yaml.Node, int) {
	if c := p.data[x]; c == '\'' || c == '"' {
		return p.quoted(x)
	}
	n := p.node(yaml.ScalarNode, x)
	y := p.plainEnd(x, flow)
	n.Value = p.intern(p.data[x:y])
	n.Tag = plainTag(n.Value)
	return n, y
}

// intern returns b as a string, shared when it is one of the words.
func (p *parser) intern(b []byte) string {
	if s, ok := p.words[string(b)]; ok { // no allocation for the lookup
		return s
	}
	return string(b)
}

// plainEnd returns where the plain scalar at x ends, trailing blanks
// excluded.
func (p *parser) plainEnd(x int, flow bool) int {
	d := p.data
	switch d[x] {
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		bail()
	case '?', ':':
		bail()
	case '-':
		if x+1 == p.end || d[x+1] == ' ' || (flow && strings.IndexByte(",[]{}", d[x+1]) >= 0) {
			bail()
		}
	}
	last := x // the offset after the last non-blank character
	for y := x; y < p.end; y++ {
		switch b := d[y]; {
		case b == ' ':
			continue
		case b == ':' && (y+1 == p.end || d[y+1] == ' '):
			return last
		case b == ':' && flow && strings.IndexByte(",[]{}", d[y+1]) >= 0:
			bail()
		case b == '#' && d[y-1] == ' ':
			return last
		case flow && strings.IndexByte(",[]{}", b) >= 0:
			return last
		case flow && b == '?':
			bail() // yaml.v3 ends a plain scalar there in a flow collection
		}
		last = y + 1
	}
	return last
}

// plainTag is the tag yaml.v3 resolves a plain scalar to (resolve in its
// resolve.go), without its cost for the common cases.
func plainTag(v string) string {
	if v == "<<" {
		bail() // a merge key
	}
	if v == "" {
		return "!!null"
	}
	switch v[0] {
	case 'y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O', '~':
		switch v {
		case "true", "True", "TRUE", "false", "False", "FALSE":
			return "!!bool"
		case "~", "null", "Null", "NULL":
			return "!!null"
		}
		return "!!str"
	case '+', '-', '.':
	default:
		if v[0] < '0' || v[0] > '9' {
			return "!!str"
		}
		if digits(v) {
			return "!!int"
		}
	}
	return (&yaml.Node{Kind: yaml.ScalarNode, Value: v}).ShortTag()
}

// digits reports whether s is a decimal integer without sign or leading
// zero that fits an int64.
func digits(s string) bool {
	if len(s) == 0 || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// quoted reads a single- or double-quoted scalar at x, on one line;
// double quotes take the common escapes.
func (p *parser) quoted(x int) (*yaml.Node, int) {
	q := p.data[x]
	n := p.node(yaml.ScalarNode, x)
	n.Tag, n.Style = "!!str", yaml.SingleQuotedStyle
	if q == '"' {
		n.Style = yaml.DoubleQuotedStyle
	}
	var b []byte
	for y := x + 1; ; y++ {
		if y >= p.end {
			bail()
		}
		c := p.data[y]
		switch {
		case c == '\'' && q == '\'' && y+1 < p.end && p.data[y+1] == '\'':
			y++ // '' is a quote
		case c == q:
			n.Value = p.intern(b)
			return n, p.afterQuote(y + 1)
		case c == '\\' && q == '"':
			y++
			c = p.escape(y)
		}
		b = append(b, c)
	}
}

// escape is the character the escape sequence whose letter is at y
// stands for. yaml.v3 rejects "\/", though YAML 1.2 has it: so does
// escape, by declining.
func (p *parser) escape(y int) byte {
	if y >= p.end {
		bail()
	}
	switch c := p.data[y]; c {
	case '\\', '"':
		return c
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case '0':
		return 0
	}
	bail()
	return 0
}

// afterQuote checks what follows a closing quote at y: a blank, the end of
// the line, a ":" or, in a flow collection, its punctuation.
func (p *parser) afterQuote(y int) int {
	if y < p.end && strings.IndexByte(" :,]}", p.data[y]) < 0 {
		bail()
	}
	return y
}
