package config

import (
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// fastyaml parses the plain YAML that configuration files are written in
// about ten times faster than yaml.v3, and builds the same yaml.Node tree.
// It covers block mappings and sequences, single-line plain and quoted
// scalars, one-line flow collections and comments. Anything else (anchors,
// tags, block scalars, multi-line scalars, empty values, tabs, non-ASCII
// text, document markers) makes it give up, and the caller parses the file
// with yaml.v3, which also gives the syntax errors. FuzzFastYAML checks that
// whatever it accepts, yaml.v3 parses to the same nodes.
//
// Comments are skipped, not attached to nodes: the decoder never reads
// them.

// fastParser reads one document. A top-level key named lazy whose value is
// a block sequence is not parsed item by item: its node is left empty and
// the item boundaries are kept in seq, for parseItem to parse on demand.
type fastParser struct {
	data []byte
	// the current significant line: [start, end) and its indentation
	start, end, indent int
	line               int // 1-based
	eof                bool
	// next is where the following line starts
	next int

	lazy  string
	seq   *lazySeq
	nodes *nodePool
}

// nodePool hands out nodes from blocks that it reuses after reset, so that
// parsing many items one after the other allocates once.
type nodePool struct {
	blocks [][]yaml.Node
	b, i   int // the next node is blocks[b][i]
}

const poolBlock = 64

func (np *nodePool) get() *yaml.Node {
	if np.i == poolBlock {
		np.b, np.i = np.b+1, 0
	}
	if np.b == len(np.blocks) {
		np.blocks = append(np.blocks, make([]yaml.Node, poolBlock))
	}
	n := &np.blocks[np.b][np.i]
	np.i++
	content := n.Content[:0]
	*n = yaml.Node{Content: content}
	return n
}

// reset makes every node available again: the nodes handed out before
// must no longer be used.
func (np *nodePool) reset() { np.b, np.i = 0, 0 }

// lazySeq is a block sequence whose items are parsed one at a time.
type lazySeq struct {
	node  *yaml.Node
	col   int // 0-based column of the items' "-"
	items []itemRef
	end   int // the offset of the first line after the sequence
	data  []byte
}

// itemRef is where one item starts: its line's offset and number.
type itemRef struct{ off, line int }

// giveUp is the panic value that leaves the fast path.
type giveUp struct{}

func bail() { panic(giveUp{}) }

// fastParse parses data into a document node, or returns nil when data is
// outside the subset. lazy names a top-level key to leave unparsed ("" for
// none); the second result holds its items when it was left so.
func fastParse(data []byte, lazy string) (doc *yaml.Node, seq *lazySeq) {
	if !plainText(data) {
		return nil, nil
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(giveUp); !ok {
				panic(r)
			}
			doc, seq = nil, nil
		}
	}()
	p := &fastParser{data: data, lazy: lazy}
	p.advance()
	if p.eof {
		bail() // empty: yaml.v3 says how it reads that
	}
	if p.data[p.start+p.indent] == '%' {
		bail() // a directive
	}
	doc = &yaml.Node{Kind: yaml.DocumentNode, Line: p.line, Column: p.indent + 1}
	root := p.blockNode(p.start+p.indent, -1, true)
	if !p.eof {
		bail()
	}
	doc.Content = []*yaml.Node{root}
	return doc, p.seq
}

// plainText reports whether data is printable ASCII in lines, the only
// text fastParse reads (yaml.v3 counts columns in characters and treats
// tabs, CR and BOMs specially).
func plainText(data []byte) bool {
	for _, b := range data {
		if (b < 0x20 && b != '\n') || b > 0x7e {
			return false
		}
	}
	return true
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// advance moves to the next line that holds more than white space and a
// comment.
func (p *fastParser) advance() {
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
func (p *fastParser) col(x int) int { return x - p.start }

// node makes a node of kind whose position is offset x of the current
// line, from the pool when the parser has one.
func (p *fastParser) node(kind yaml.Kind, x int) *yaml.Node {
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
func (p *fastParser) spaces(x int) int {
	for x < p.end && p.data[x] == ' ' {
		x++
	}
	return x
}

// lineDone reports whether only white space and a comment follow x.
func (p *fastParser) lineDone(x int) bool {
	y := p.spaces(x)
	return y == p.end || (p.data[y] == '#' && y > x)
}

// isSeqEntry reports whether the current line holds "- " or a lone "-" at
// offset x.
func (p *fastParser) isSeqEntry(x int) bool {
	return x < p.end && p.data[x] == '-' && (x+1 == p.end || p.data[x+1] == ' ')
}

// blockNode parses the node that starts at offset x of the current line,
// inside a collection at column parent. atLineStart says x begins the line
// or follows "- ", where a block collection may start.
func (p *fastParser) blockNode(x, parent int, atLineStart bool) *yaml.Node {
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

// isKey reports whether a ":" that ends a key is at y.
func (p *fastParser) isKey(y int) bool {
	return y < p.end && p.data[y] == ':' && (y+1 == p.end || p.data[y+1] == ' ')
}

// blockMap parses a block mapping whose first key, already read, starts at
// x and whose ":" is at y.
func (p *fastParser) blockMap(x int, key *yaml.Node, y int) *yaml.Node {
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
func (p *fastParser) mapValue(key *yaml.Node, x, c int) *yaml.Node {
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
		if c == 0 && p.lazy != "" && key.Value == p.lazy && p.seq == nil {
			return p.lazySeq(x)
		}
		return p.blockSeq(x)
	}
	x = p.start + p.indent
	if c == 0 && p.lazy != "" && key.Value == p.lazy && p.seq == nil && p.isSeqEntry(x) {
		return p.lazySeq(x)
	}
	return p.blockNode(x, c, true)
}

// blockSeq parses a block sequence whose first "-" is at offset x.
func (p *fastParser) blockSeq(x int) *yaml.Node {
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
func (p *fastParser) seqItem(x, c int) *yaml.Node {
	if p.lineDone(x + 1) {
		p.advance()
		if p.eof || p.indent <= c {
			bail() // an empty item
		}
		return p.blockNode(p.start+p.indent, c, true)
	}
	return p.blockNode(p.spaces(x+1), c, true)
}

// lazySeq records the items of the block sequence whose first "-" is at
// offset x, and moves past it.
func (p *fastParser) lazySeq(x int) *yaml.Node {
	c := p.col(x)
	ls := &lazySeq{node: p.node(yaml.SequenceNode, x), col: c, data: p.data}
	for {
		ls.items = append(ls.items, itemRef{off: p.start, line: p.line})
		for {
			p.advance()
			if p.eof || p.indent <= c {
				break
			}
		}
		if p.eof || p.indent < c || !p.isSeqEntry(p.start+p.indent) {
			break
		}
	}
	ls.end = p.start
	p.seq = ls
	return ls.node
}

// parseItem parses item i of the sequence, or returns nil when it is
// outside the subset. With a pool, the nodes are valid until its next
// reset.
func (ls *lazySeq) parseItem(i int, pool *nodePool) (n *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(giveUp); !ok {
				panic(r)
			}
			n = nil
		}
	}()
	ref := ls.items[i]
	p := &fastParser{data: ls.data, next: ref.off, line: ref.line - 1, nodes: pool}
	p.advance()
	n = p.seqItem(p.start+ls.col, ls.col)
	end := ls.end
	if i+1 < len(ls.items) {
		end = ls.items[i+1].off
	}
	if p.start != end {
		bail()
	}
	return n
}

// materialize parses every item into the node, or reports false.
func (ls *lazySeq) materialize() bool {
	content := make([]*yaml.Node, len(ls.items))
	for i := range ls.items {
		if content[i] = ls.parseItem(i, nil); content[i] == nil {
			return false
		}
	}
	ls.node.Content = content
	return true
}

// scalar reads a plain or quoted scalar at x and returns it and the offset
// after it. In a flow collection (flow) a plain scalar also ends at , [ ] {
// }.
func (p *fastParser) scalar(x int, flow bool) (*yaml.Node, int) {
	if c := p.data[x]; c == '\'' || c == '"' {
		return p.quoted(x)
	}
	n := p.node(yaml.ScalarNode, x)
	y := p.plainEnd(x, flow)
	n.Value = intern(p.data[x:y])
	n.Tag = plainTag(n.Value)
	return n, y
}

// common holds the words a configuration repeats in every secret: field
// names and the usual values. Scalars that are one of them share it
// rather than each holding a copy.
var common = func() map[string]string {
	m := map[string]string{}
	for _, t := range []reflect.Type{reflect.TypeFor[Config](), reflect.TypeFor[State](), reflect.TypeFor[Target](),
		reflect.TypeFor[RotatedSecret](), reflect.TypeFor[Sink](), reflect.TypeFor[Notify]()} {
		for _, f := range fieldsOf(t) {
			m[f.name] = f.name
		}
	}
	for _, w := range []string{"true", "false", "0", "1", "2", "3", "7", "30", "60", "90",
		UseUserCreds, UseTargetCreds, RotatorAPIKey, RotatorTarget, CatchUpImmediate, CatchUpNextHour,
		GraceTimingAfter, GraceTimingBefore, RetireDelete, RetireDeactivate,
		"aws-credentials", "env", "json", "template", "default", "0600", "0640", "0400"} { // and each sink kind's (RegisterSink)
		m[w] = w
	}
	return m
}()

// intern returns b as a string, shared when it is a common word.
func intern(b []byte) string {
	if s, ok := common[string(b)]; ok { // no allocation for the lookup
		return s
	}
	return string(b)
}

// plainEnd returns where the plain scalar at x ends, trailing blanks
// excluded.
func (p *fastParser) plainEnd(x int, flow bool) int {
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

// quoted reads a single- or double-quoted scalar at x, on one line;
// double quotes take the common escapes.
func (p *fastParser) quoted(x int) (*yaml.Node, int) {
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
			n.Value = intern(b)
			return n, p.afterQuote(y + 1)
		case c == '\\' && q == '"':
			y++
			c = p.escape(y)
		}
		b = append(b, c)
	}
}

// escape is the character the escape sequence whose letter is at y
// stands for.
func (p *fastParser) escape(y int) byte {
	if y >= p.end {
		bail()
	}
	switch c := p.data[y]; c {
	case '\\', '"', '/':
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
func (p *fastParser) afterQuote(y int) int {
	if y < p.end && strings.IndexByte(" :,]}", p.data[y]) < 0 {
		bail()
	}
	return y
}

// flowNode reads a flow collection or scalar at x that ends on this line,
// and returns it and the offset after it.
func (p *fastParser) flowNode(x int) (*yaml.Node, int) {
	open := p.data[x]
	if open != '[' && open != '{' {
		return p.scalar(x, true)
	}
	kind, closing := yaml.SequenceNode, byte(']')
	if open == '{' {
		kind, closing = yaml.MappingNode, '}'
	}
	n := p.node(kind, x)
	n.Style = yaml.FlowStyle
	y := p.spaces(x + 1)
	if y < p.end && p.data[y] == closing {
		return n, y + 1
	}
	for {
		var z int
		if kind == yaml.MappingNode {
			var key, val *yaml.Node
			key, val, z = p.flowPair(y)
			n.Content = append(n.Content, key, val)
		} else {
			var e *yaml.Node
			e, z = p.flowEntry(y)
			n.Content = append(n.Content, e)
		}
		var done bool
		if y, done = p.flowNext(z, closing); done {
			return n, y
		}
	}
}

// flowPair reads "key: value" inside a flow mapping.
func (p *fastParser) flowPair(y int) (key, val *yaml.Node, z int) {
	if y >= p.end || strings.IndexByte("[{]},", p.data[y]) >= 0 {
		bail()
	}
	key, z = p.scalar(y, true)
	if z >= p.end || p.data[z] != ':' || z+1 >= p.end || p.data[z+1] != ' ' || z-y > 1000 {
		bail()
	}
	val, z = p.flowEntry(p.spaces(z + 1))
	return key, val, z
}

// flowNext reads what follows an entry of a flow collection at z: the
// closing bracket (done, and the offset after it) or a comma (the offset
// of the next entry).
func (p *fastParser) flowNext(z int, closing byte) (int, bool) {
	z = p.spaces(z)
	switch {
	case z >= p.end:
		bail()
	case p.data[z] == closing:
		return z + 1, true
	case p.data[z] != ',':
		bail()
	}
	return p.spaces(z + 1), false
}

// flowEntry reads one value inside a flow collection, which must not be
// empty or a key.
func (p *fastParser) flowEntry(x int) (*yaml.Node, int) {
	if x >= p.end || strings.IndexByte(",]}#", p.data[x]) >= 0 {
		bail()
	}
	n, y := p.flowNode(x)
	if z := p.spaces(y); z < p.end && p.data[z] == ':' {
		bail() // a single-pair mapping, or an empty value
	}
	return n, y
}
