// Package fastyaml parses the plain YAML that configuration files are
// written in several times faster than gopkg.in/yaml.v3, with about a
// third of its allocations, into the same yaml.Node tree
// (config.BenchmarkSyntax). It knows YAML only: which sequence to leave
// unparsed and which words to share are its caller's choice (Options).
//
// # Contract
//
// Given bytes, Parse either declines (ok is false) or returns exactly the
// document node that yaml.v3 builds from them (yaml.Unmarshal into a
// yaml.Node): the same nodes in the same order, each with the same Kind,
// Style, Tag, Value, Anchor, Line and Column. A caller that gets ok false
// parses the bytes with yaml.v3, which also reports the syntax errors:
// declining is always allowed, a different tree never is. The one thing
// left out is comments: HeadComment, LineComment and FootComment stay
// empty.
//
// Options change how the tree is built, never what it is. With
// Options.Lazy, one top-level block sequence is handed back unparsed as a
// Seq, whose items are parsed one at a time by Seq.Item under the same
// contract: each is the node yaml.v3 puts at that place in the sequence,
// or declined. Seq.Materialize fills the sequence so that the document is
// the whole tree Parse without Lazy returns.
//
// # Subset
//
// Parse reads block mappings and sequences, single-line plain and quoted
// scalars, one-line flow collections and comments. Anything else
// (anchors, aliases, tags, merge keys, block scalars, multi-line
// scalars, empty values, tabs, non-ASCII text, directives, document
// markers) makes it decline. FuzzParse checks the contract against
// yaml.v3 on any input; TestFuzzParse runs it for a bounded time under
// go test.
package fastyaml

import "gopkg.in/yaml.v3"

// Options say how Parse builds the tree; none of them changes the tree.
type Options struct {
	// Lazy names a top-level key ("" for none) whose value, when it is a
	// block sequence starting on the line after the key, is left
	// unparsed: its node has no Content and Parse returns its items as a
	// Seq. Only the first such key is.
	Lazy string
	// Words are strings that scalars equal to a key share rather than each
	// holding a copy of their text: the words a file repeats in every
	// entry. Words[w] must be w. Parse only reads the map.
	Words map[string]string
}

// Parse parses data into a document node, or reports false when data is
// outside the subset (see the package doc). seq holds the items of
// Options.Lazy's sequence, and is nil when that key is not a block
// sequence at the top level.
func Parse(data []byte, opt Options) (doc *yaml.Node, seq *Seq, ok bool) {
	if !plainText(data) {
		return nil, nil, false
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ours := r.(giveUp); !ours {
				panic(r)
			}
			doc, seq, ok = nil, nil, false
		}
	}()
	p := &parser{data: data, lazy: opt.Lazy, words: opt.Words}
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
	return doc, p.seq, true
}

// giveUp is the panic value that leaves the fast path.
type giveUp struct{}

func bail() { panic(giveUp{}) }

// plainText reports whether data is printable ASCII in lines, the only
// text Parse reads (yaml.v3 counts columns in characters and treats tabs,
// CR and BOMs specially).
func plainText(data []byte) bool {
	for _, b := range data {
		if (b < 0x20 && b != '\n') || b > 0x7e {
			return false
		}
	}
	return true
}
