package dynamodbfake

import (
	"slices"
	"strings"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// maxInOperands is the most values IN may list.
const maxInOperands = 100

// cond is a parsed condition (ConditionExpression, FilterExpression,
// KeyConditionExpression).
type cond struct {
	op   string    // AND, OR, NOT, a comparator, BETWEEN, IN or a function name
	kids []*cond   // AND, OR, NOT
	args []operand // the others
}

// operand is a path, a :value, or size(path).
type operand struct {
	kind byte   // 'p' path, 'v' value, 's' size(path)
	name string // the attribute, for 'p' and 's'
	val  av     // for 'v'
}

// conditionFuncs are the functions a condition may call, with their
// operand counts.
var conditionFuncs = map[string]int{
	"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2,
}

// attributeTypes are the type names attribute_type accepts.
var attributeTypes = []string{"B", "NULL", "SS", "BOOL", "L", "BS", "N", "NS", "S", "M"}

// parseCondition reads a condition expression of the given kind
// ("ConditionExpression", "FilterExpression", "KeyConditionExpression").
func (x *exprCtx) parseCondition(kind, src string) (*cond, *awsfake.Error) {
	p, err := x.newParser(kind, src)
	if err != nil {
		return nil, err
	}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	return c, p.end()
}

// keyConditionOnly rejects what a KeyConditionExpression may not use.
func (p *parser) keyConditionOnly(op string) *awsfake.Error {
	if p.kind != "KeyConditionExpression" {
		return nil
	}
	switch op {
	case "AND", "=", "<", "<=", ">", ">=", "BETWEEN", "begins_with":
		return nil
	}
	return p.errf("Invalid operator used in KeyConditionExpression: %s", op)
}

// The grammar, loosest first: OR, AND, NOT, then comparisons, BETWEEN,
// IN, functions and parentheses.

func (p *parser) or() (*cond, *awsfake.Error) {
	return p.binary("OR", (*parser).and)
}

func (p *parser) and() (*cond, *awsfake.Error) {
	return p.binary("AND", (*parser).not)
}

func (p *parser) binary(op string, sub func(*parser) (*cond, *awsfake.Error)) (*cond, *awsfake.Error) {
	c, err := sub(p)
	if err != nil {
		return nil, err
	}
	for p.peek().isKeyword(op) {
		if err := p.keyConditionOnly(op); err != nil {
			return nil, err
		}
		p.next()
		d, err := sub(p)
		if err != nil {
			return nil, err
		}
		c = &cond{op: op, kids: []*cond{c, d}}
	}
	return c, nil
}

func (p *parser) not() (*cond, *awsfake.Error) {
	if !p.peek().isKeyword("NOT") {
		return p.primary()
	}
	if err := p.keyConditionOnly("NOT"); err != nil {
		return nil, err
	}
	p.next()
	c, err := p.not()
	if err != nil {
		return nil, err
	}
	return &cond{op: "NOT", kids: []*cond{c}}, nil
}

func (p *parser) primary() (*cond, *awsfake.Error) {
	t := p.peek()
	if t.is("(") {
		p.next()
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		return c, p.expect(")")
	}
	if t.kind == tokIdent && p.peekAt(1).is("(") && t.text != "size" {
		return p.function()
	}
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	op := p.next()
	var c *cond
	switch {
	case op.is("=") || op.is("<>") || op.is("<") || op.is("<=") || op.is(">") || op.is(">="):
		right, err := p.operand()
		if err != nil {
			return nil, err
		}
		c = &cond{op: op.text, args: []operand{left, right}}
	case op.isKeyword("BETWEEN"):
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if t := p.next(); !t.isKeyword("AND") {
			return nil, p.syntaxAt(t)
		}
		hi, err := p.operand()
		if err != nil {
			return nil, err
		}
		c = &cond{op: "BETWEEN", args: []operand{left, lo, hi}}
	case op.isKeyword("IN"):
		list, err := p.operandList()
		if err != nil {
			return nil, err
		}
		c = &cond{op: "IN", args: append([]operand{left}, list...)}
	case left.kind == 's':
		return nil, p.errf("The function is not allowed to be used this way in an expression; function: size")
	default:
		return nil, p.syntaxAt(op)
	}
	if err := p.keyConditionOnly(c.op); err != nil {
		return nil, err
	}
	return c, p.check(c)
}

// operandList reads "(a, b, ...)".
func (p *parser) operandList() ([]operand, *awsfake.Error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var list []operand
	for {
		o, err := p.operand()
		if err != nil {
			return nil, err
		}
		list = append(list, o)
		if t := p.next(); t.is(")") {
			return list, nil
		} else if !t.is(",") {
			return nil, p.syntaxAt(t)
		}
	}
}

func (p *parser) function() (*cond, *awsfake.Error) {
	name := p.next().text
	n, ok := conditionFuncs[name]
	switch {
	case name == "if_not_exists" || name == "list_append":
		return nil, p.errf("The function is not allowed to be used this way in an expression; function: %s", name)
	case !ok:
		return nil, p.errf("Invalid function name; function: %s", name)
	}
	if err := p.keyConditionOnly(name); err != nil {
		return nil, err
	}
	args, err := p.operandList()
	if err != nil {
		return nil, err
	}
	if len(args) != n {
		return nil, p.errf("Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", name, len(args))
	}
	c := &cond{op: name, args: args}
	return c, p.check(c)
}

// operand reads a path, a :value or size(path).
func (p *parser) operand() (operand, *awsfake.Error) {
	t := p.peek()
	switch {
	case t.kind == tokValue:
		v, err := p.value()
		return operand{kind: 'v', val: v}, err
	case t.kind == tokIdent && p.peekAt(1).is("("):
		p.next()
		if _, ok := conditionFuncs[t.text]; ok || t.text == "if_not_exists" || t.text == "list_append" {
			return operand{}, p.errf("The function is not allowed to be used this way in an expression; function: %s", t.text)
		}
		if t.text != "size" {
			return operand{}, p.errf("Invalid function name; function: %s", t.text)
		}
		if p.kind == "KeyConditionExpression" {
			return operand{}, p.keyConditionOnly("size")
		}
		args, err := p.operandList()
		if err != nil {
			return operand{}, err
		}
		if len(args) != 1 {
			return operand{}, p.errf("Incorrect number of operands for operator or function; operator or function: size, number of operands: %d", len(args))
		}
		if args[0].kind != 'p' {
			return operand{}, p.errf("Operator or function requires a document path; operator or function: size")
		}
		return operand{kind: 's', name: args[0].name}, nil
	}
	name, err := p.path()
	return operand{kind: 'p', name: name}, err
}

// check applies DynamoDB's static checks to c's operands: what can be
// known to be wrong before any item is read.
func (p *parser) check(c *cond) *awsfake.Error {
	a := c.args
	switch c.op {
	case "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains":
		if a[0].kind != 'p' {
			return p.errf("Operator or function requires a document path; operator or function: %s", c.op)
		}
	}
	switch c.op {
	case "attribute_type":
		if a[1].kind != 'v' || a[1].val.typ != "S" || !slices.Contains(attributeTypes, a[1].val.s) {
			got := a[1].val.s
			if a[1].kind != 'v' || a[1].val.typ != "S" {
				got = a[1].val.typ
			}
			return p.errf("Invalid attribute type name found; type: %s, valid types: { %s }", got, strings.Join(attributeTypes, "; "))
		}
	case "begins_with":
		if v := a[1]; v.kind == 'v' && v.val.typ != "S" && v.val.typ != "B" {
			return p.errf("Incorrect operand type for operator or function; operator or function: begins_with, operand type: %s", v.val.typ)
		}
	case "<", "<=", ">", ">=", "BETWEEN":
		for _, o := range a {
			if o.kind == 'v' && !o.val.orderable() {
				return p.errf("Incorrect operand type for operator or function; operator: %s, operand type: %s", c.op, o.val.typ)
			}
		}
	case "IN":
		if len(a)-1 > maxInOperands {
			return p.errf("The IN operator is provided with too many operands; number of operands: %d", len(a)-1)
		}
	}
	if c.op == "BETWEEN" && a[1].kind == 'v' && a[2].kind == 'v' {
		lo, hi := a[1].val, a[2].val
		if lo.typ != hi.typ {
			return p.errf("The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: %s, upper bound operand: %s", lo.describe(), hi.describe())
		}
		if n, _ := lo.compare(hi); n > 0 {
			return p.errf("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: %s, upper bound operand: %s", lo.describe(), hi.describe())
		}
	}
	if len(a) >= 2 && a[0].kind == 'p' {
		for _, o := range a[1:] {
			if o.kind == 'p' && o.name == a[0].name {
				return p.errf("The first operand must be distinct from the remaining operands for this operator or function; operator: %s, first operand: [%s]", c.op, a[0].name)
			}
		}
	}
	return nil
}
