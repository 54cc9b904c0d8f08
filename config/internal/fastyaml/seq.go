package fastyaml

import "gopkg.in/yaml.v3"

// Seq is the top-level block sequence that Parse left unparsed
// (Options.Lazy): the item boundaries, for its items to be parsed one at
// a time. Its methods may be called from several goroutines at once, but
// for Materialize.
type Seq struct {
	node  *yaml.Node
	col   int // 0-based column of the items' "-"
	items []itemRef
	end   int // the offset of the first line after the sequence
	data  []byte
	words map[string]string
}

// itemRef is where one item starts: its line's offset and number.
type itemRef struct{ off, line int }

// lazySeq records the items of the block sequence whose first "-" is at
// offset x, and moves past it.
func (p *parser) lazySeq(x int) *yaml.Node {
	c := p.col(x)
	ls := &Seq{node: p.node(yaml.SequenceNode, x), col: c, data: p.data, words: p.words}
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

// Len is the number of items.
func (ls *Seq) Len() int { return len(ls.items) }

// Span returns item i's text, from the start of the line of its "-" to
// the start of the next item's (comment and blank lines between them
// included), and the 1-based line it starts on.
func (ls *Seq) Span(i int) (text []byte, line int) {
	return ls.data[ls.items[i].off:ls.itemEnd(i)], ls.items[i].line
}

// Outside returns the document's text before the first item and after
// the last: together with the items' spans, the whole text.
func (ls *Seq) Outside() (before, after []byte) {
	first := ls.end
	if len(ls.items) > 0 {
		first = ls.items[0].off
	}
	return ls.data[:first], ls.data[ls.end:]
}

func (ls *Seq) itemEnd(i int) int {
	if i+1 < len(ls.items) {
		return ls.items[i+1].off
	}
	return ls.end
}

// Item parses item i into the node yaml.v3 puts at that place of the
// sequence, or reports false when it is outside the subset. With a pool,
// the nodes are valid until its next Reset.
func (ls *Seq) Item(i int, pool *Pool) (n *yaml.Node, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ours := r.(giveUp); !ours {
				panic(r)
			}
			n, ok = nil, false
		}
	}()
	ref := ls.items[i]
	p := &parser{data: ls.data, next: ref.off, line: ref.line - 1, words: ls.words, nodes: pool}
	p.advance()
	n = p.seqItem(p.start+ls.col, ls.col)
	if p.start != ls.itemEnd(i) {
		bail()
	}
	return n, true
}

// Materialize parses every item into the sequence's node, making the
// document the one Parse returns without Options.Lazy, or reports false
// when an item is outside the subset (the node is then left as it was).
func (ls *Seq) Materialize() bool {
	content := make([]*yaml.Node, len(ls.items))
	for i := range ls.items {
		var ok bool
		if content[i], ok = ls.Item(i, nil); !ok {
			return false
		}
	}
	ls.node.Content = content
	return true
}
