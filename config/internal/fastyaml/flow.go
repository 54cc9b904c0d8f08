package fastyaml

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// flowNode reads a flow collection or scalar at x that ends on this line,
// and returns it and the offset after it.
func (p *parser) flowNode(x int) (*yaml.Node, int) {
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
func (p *parser) flowPair(y int) (key, val *yaml.Node, z int) {
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
func (p *parser) flowNext(z int, closing byte) (int, bool) {
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
func (p *parser) flowEntry(x int) (*yaml.Node, int) {
	if x >= p.end || strings.IndexByte(",]}#", p.data[x]) >= 0 {
		bail()
	}
	n, y := p.flowNode(x)
	if z := p.spaces(y); z < p.end && p.data[z] == ':' {
		bail() // a single-pair mapping, or an empty value
	}
	return n, y
}
