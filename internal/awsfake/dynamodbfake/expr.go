package dynamodbfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// maxExpression is the longest expression DynamoDB accepts, in bytes.
const maxExpression = 4096

// exprCtx holds a request's ExpressionAttributeNames and
// ExpressionAttributeValues and notes which of them its expressions used:
// DynamoDB rejects a request that defines one it does not use.
type exprCtx struct {
	names      map[string]string
	values     map[string]av
	usedNames  map[string]bool
	usedValues map[string]bool
}

// newExprCtx checks and decodes a request's expression attribute names
// and values. Either may be nil (absent), but not empty.
func newExprCtx(names map[string]string, rawValues map[string]json.RawMessage) (*exprCtx, *awsfake.Error) {
	x := &exprCtx{names: names, values: map[string]av{}, usedNames: map[string]bool{}, usedValues: map[string]bool{}}
	if names != nil && len(names) == 0 {
		return nil, awsfake.ValidationError("ExpressionAttributeNames must not be empty")
	}
	if rawValues != nil && len(rawValues) == 0 {
		return nil, awsfake.ValidationError("ExpressionAttributeValues must not be empty")
	}
	for k, v := range names {
		if len(k) < 2 || k[0] != '#' || !isWord(k[1:]) {
			return nil, awsfake.ValidationError(fmt.Sprintf("ExpressionAttributeNames contains invalid key: Syntax error; key: %q", k))
		}
		if v == "" {
			return nil, awsfake.ValidationError(fmt.Sprintf("ExpressionAttributeNames contains invalid value: Empty attribute name; for key: %q", k))
		}
	}
	for k, raw := range rawValues {
		if len(k) < 2 || k[0] != ':' || !isWord(k[1:]) {
			return nil, awsfake.ValidationError(fmt.Sprintf("ExpressionAttributeValues contains invalid key: Syntax error; key: %q", k))
		}
		v, err := parseAV(raw)
		if err != nil {
			return nil, awsfake.ValidationError("ExpressionAttributeValues contains invalid value: " + err.Message + " for key " + k)
		}
		x.values[k] = v
	}
	return x, nil
}

// checkUnused fails if a name or value was defined but no expression of
// the request used it.
func (x *exprCtx) checkUnused() *awsfake.Error {
	var names, values []string
	for k := range x.names {
		if !x.usedNames[k] {
			names = append(names, k)
		}
	}
	for k := range x.values {
		if !x.usedValues[k] {
			values = append(values, k)
		}
	}
	slices.Sort(names)
	slices.Sort(values)
	switch {
	case len(names) > 0:
		return awsfake.ValidationError("Value provided in ExpressionAttributeNames unused in expressions: keys: {" + strings.Join(names, ", ") + "}")
	case len(values) > 0:
		return awsfake.ValidationError("Value provided in ExpressionAttributeValues unused in expressions: keys: {" + strings.Join(values, ", ") + "}")
	}
	return nil
}

func isWord(s string) bool {
	for i := range len(s) {
		if c := s[i]; !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

// Token kinds.
const (
	tokEOF   = iota
	tokIdent // a bare name or keyword: status, AND
	tokName  // #name
	tokValue // :value
	tokNum   // a number, as in a[0]
	tokPunct // ( ) , = <> < <= > >= + - [ ] .
)

type token struct {
	kind     int
	text     string
	pos, end int // byte offsets in the expression
}

// parser reads one expression. kind ("ConditionExpression", ...) heads
// its error messages, as in DynamoDB's.
type parser struct {
	kind string
	src  string
	toks []token
	i    int
	x    *exprCtx
}

func (x *exprCtx) newParser(kind, src string) (*parser, *awsfake.Error) {
	p := &parser{kind: kind, src: src, x: x}
	if strings.TrimSpace(src) == "" {
		return nil, p.errf("The expression can not be empty;")
	}
	if len(src) > maxExpression {
		return nil, p.errf("Expression size has exceeded the maximum allowed size; expression size: %d", len(src))
	}
	return p, p.lex()
}

func (p *parser) lex() *awsfake.Error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '#' || c == ':':
			i++
			for i < len(s) && isWord(s[i:i+1]) {
				i++
			}
			if i == start+1 {
				return p.syntaxAt(token{tokPunct, s[start:i], start, i})
			}
			kind := tokName
			if c == ':' {
				kind = tokValue
			}
			p.toks = append(p.toks, token{kind, s[start:i], start, i})
			continue
		case c >= '0' && c <= '9':
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			p.toks = append(p.toks, token{tokNum, s[start:i], start, i})
			continue
		case isWord(s[i : i+1]):
			for i < len(s) && isWord(s[i:i+1]) {
				i++
			}
			p.toks = append(p.toks, token{tokIdent, s[start:i], start, i})
			continue
		}
		switch two := s[i:min(i+2, len(s))]; {
		case two == "<>" || two == "<=" || two == ">=":
			i += 2
		case strings.IndexByte("()=<>,+-[].", c) >= 0:
			i++
		default:
			return p.syntaxAt(token{tokPunct, s[i : i+1], i, i + 1})
		}
		p.toks = append(p.toks, token{tokPunct, s[start:i], start, i})
	}
	p.toks = append(p.toks, token{tokEOF, "<EOF>", len(s), len(s)})
	return nil
}

func (p *parser) errf(format string, args ...any) *awsfake.Error {
	return awsfake.ValidationError("Invalid " + p.kind + ": " + fmt.Sprintf(format, args...))
}

// syntaxAt is DynamoDB's syntax error, which quotes the token and its
// neighbours.
func (p *parser) syntaxAt(t token) *awsfake.Error {
	from, to := t.pos, t.end
	for _, u := range p.toks {
		if u.pos < t.pos {
			from = u.pos
		}
		if u.pos > t.pos && u.kind != tokEOF {
			to = u.end
			break
		}
	}
	return p.errf("Syntax error; token: %q, near: %q", t.text, p.src[from:to])
}

func (p *parser) peek() token        { return p.toks[p.i] }
func (p *parser) peekAt(n int) token { return p.toks[min(p.i+n, len(p.toks)-1)] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (t token) is(punct string) bool { return t.kind == tokPunct && t.text == punct }

// isKeyword reports whether t is the (case-insensitive) keyword w.
func (t token) isKeyword(w string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, w) }

func (p *parser) expect(punct string) *awsfake.Error {
	if t := p.next(); !t.is(punct) {
		return p.syntaxAt(t)
	}
	return nil
}

// end fails unless the whole expression has been read.
func (p *parser) end() *awsfake.Error {
	if t := p.peek(); t.kind != tokEOF {
		return p.syntaxAt(t)
	}
	return nil
}

// path reads a top-level attribute name, bare or as #name.
func (p *parser) path() (string, *awsfake.Error) {
	t := p.next()
	var name string
	switch t.kind {
	case tokName:
		n, ok := p.x.names[t.text]
		if !ok {
			return "", p.errf("An expression attribute name used in the document path is not defined; attribute name: %s", t.text)
		}
		p.x.usedNames[t.text] = true
		name = n
	case tokIdent:
		if isOperatorWord(t.text) {
			return "", p.syntaxAt(t)
		}
		if reservedWords[strings.ToUpper(t.text)] {
			return "", p.errf("Attribute name is a reserved keyword; reserved keyword: %s", t.text)
		}
		name = t.text
	default:
		return "", p.syntaxAt(t)
	}
	if n := p.peek(); n.is(".") || n.is("[") {
		return "", awsfake.ValidationError(fmt.Sprintf("awsfake: nested document paths are not supported (%s: %s)", p.kind, p.src))
	}
	return name, nil
}

// value reads a :value.
func (p *parser) value() (av, *awsfake.Error) {
	t := p.next()
	if t.kind != tokValue {
		return av{}, p.syntaxAt(t)
	}
	v, ok := p.x.values[t.text]
	if !ok {
		return av{}, p.errf("An expression attribute value used in expression is not defined; attribute value: %s", t.text)
	}
	p.x.usedValues[t.text] = true
	return v, nil
}

// isOperatorWord reports whether w is one of the expression keywords,
// which can never be a bare attribute name.
func isOperatorWord(w string) bool {
	switch strings.ToUpper(w) {
	case "AND", "OR", "NOT", "BETWEEN", "IN":
		return true
	}
	return false
}

// parseProjection reads a ProjectionExpression: attribute names separated
// by commas.
func (x *exprCtx) parseProjection(src string) ([]string, *awsfake.Error) {
	p, err := x.newParser("ProjectionExpression", src)
	if err != nil {
		return nil, err
	}
	var names []string
	for {
		n, err := p.path()
		if err != nil {
			return nil, err
		}
		names = append(names, n)
		if !p.peek().is(",") {
			break
		}
		p.next()
	}
	return names, p.end()
}

// project keeps only the named attributes of it; names nil keeps all.
func project(it item, names []string) item {
	if names == nil || it == nil {
		return it
	}
	out := item{}
	for _, n := range names {
		if v, ok := it[n]; ok {
			out[n] = v
		}
	}
	return out
}
