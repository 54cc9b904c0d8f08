package fastyaml

import "gopkg.in/yaml.v3"

// blockNode parses the node that starts at offset x of the current line,
// inside a collection at column parent. atLineStart says x begins the line
// or follows "- ", where a block collection may start.
func (p *parser) blockNode(x, parent int, atLineStart bool) *yaml.Node {
	c := p.col(x)
	if c <= parent {
		bail()
	}
	if p.isSeqEntry(x) {
		if x != p.start+p.indent {
			bail() // "- - a" and "key: - a"
		}
		return p.blockSeq(x)
	}
	switch p.data[x] {
	case '[', '{':
		n, y := p.flowNode(x)
		if !p.lineDone(y) {
			bail()
		}
		p.advance()
		return n
	}
	key, y := p.scalar(x, false)
	if p.isKey(y) {
		if !atLineStart {
			bail() // "a: b: c"
		}
		return p.blockMap(x, key, y)
	}
	if !p.lineDone(y) {
		bail()
	}
	p.advance()
	return key
}

// blockMap parses a block mapping whose first key, already read, starts at
// x and whose ":" is at y.
func (p *parser) blockMap(x int, key *yaml.Node, y int) *yaml.Node {
	m := p.node(yaml.MappingNode, x)
	c := p.col(x)
	for {
		if y-x > 1000 {
			bail() // yaml.v3 allows a key 1024 characters
		}
		m.Content = append(m.Content, key, p.mapValue(key, y+1, c))
		if p.eof || p.indent < c {
			return m
		}
		if p.indent > c {
			bail()
		}
		x = p.start + p.indent
		if p.isSeqEntry(x) || p.data[x] == '[' || p.data[x] == '{' {
			bail()
		}
		key, y = p.scalar(x, false)
		if !p.isKey(y) {
			bail()
		}
	}
}

// mapValue parses the value after a key's ":" at offset x - 1 of a
// mapping at column c.
func (p *parser) mapValue(key *yaml.Node, x, c int) *yaml.Node {
	if !p.lineDone(x) {
		x = p.spaces(x)
		if p.isSeqEntry(x) {
			bail()
		}
		return p.blockNode(x, c, false)
	}
	p.advance()
	switch {
	case p.eof || p.indent < c:
		bail() // an empty value
	case p.indent == c:
		x = p.start + p.indent
		if !p.isSeqEntry(x) {
			bail()
		}
		if p.isLazy(key, c) {
			return p.lazySeq(x)
		}
		return p.blockSeq(x)
	}
	x = p.start + p.indent
	if p.isLazy(key, c) && p.isSeqEntry(x) {
		return p.lazySeq(x)
	}
	return p.blockNode(x, c, true)
}

// isLazy reports whether key, in a mapping at column c, is the top-level
// key whose sequence is left unparsed, met for the first time.
func (p *parser) isLazy(key *yaml.Node, c int) bool {
	return c == 0 && p.lazy != "" && key.Value == p.lazy && p.seq == nil
}

// blockSeq parses a block sequence whose first "-" is at offset x.
func (p *parser) blockSeq(x int) *yaml.Node {
	s := p.node(yaml.SequenceNode, x)
	c := p.col(x)
	for {
		s.Content = append(s.Content, p.seqItem(x, c))
		if p.eof || p.indent < c {
			return s
		}
		if p.indent > c {
			bail()
		}
		x = p.start + p.indent
		if !p.isSeqEntry(x) {
			return s // a key of the mapping the sequence is the value of
		}
	}
}

// seqItem parses the item after the "-" at offset x of a sequence at
// column c, and moves past it.
func (p *parser) seqItem(x, c int) *yaml.Node {
	if p.lineDone(x + 1) {
		p.advance()
		if p.eof || p.indent <= c {
			bail() // an empty item
		}
		return p.blockNode(p.start+p.indent, c, true)
	}
	return p.blockNode(p.spaces(x+1), c, true)
}
