package dynamodbfake

import (
	"slices"
	"strings"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// update is a parsed UpdateExpression.
type update struct {
	set    []setAction
	remove []string
	add    []valueAction
	del    []valueAction
}

// setAction is "path = left", "path = left + right" or "path = left -
// right".
type setAction struct {
	path        string
	left, right updOperand
	op          string // "", "+" or "-"
}

// valueAction is "path :value" in ADD and DELETE.
type valueAction struct {
	path string
	val  av
}

// updOperand is a SET operand: a path, a :value, or if_not_exists or
// list_append of operands.
type updOperand struct {
	kind byte   // 'p' path, 'v' value, 'f' function
	name string // the attribute for 'p', the function for 'f'
	val  av
	args []updOperand
}

// parseUpdate reads an UpdateExpression: SET, REMOVE, ADD and DELETE
// clauses, each at most once, in any order.
func (x *exprCtx) parseUpdate(src string) (*update, *awsfake.Error) {
	p, err := x.newParser("UpdateExpression", src)
	if err != nil {
		return nil, err
	}
	u := &update{}
	seen := map[string]bool{}
	for p.peek().kind != tokEOF {
		t := p.next()
		clause := strings.ToUpper(t.text)
		if t.kind != tokIdent || (clause != "SET" && clause != "REMOVE" && clause != "ADD" && clause != "DELETE") {
			return nil, p.syntaxAt(t)
		}
		if seen[clause] {
			return nil, p.errf("The %q section can only be used once in an update expression;", clause)
		}
		seen[clause] = true
		for {
			if err := p.updateAction(u, clause); err != nil {
				return nil, err
			}
			if !p.peek().is(",") {
				break
			}
			p.next()
		}
	}
	paths := u.paths()
	for i, a := range paths {
		if j := slices.Index(paths[:i], a); j >= 0 {
			return nil, p.errf("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]", paths[j], a)
		}
	}
	return u, nil
}

func (p *parser) updateAction(u *update, clause string) *awsfake.Error {
	path, err := p.path()
	if err != nil {
		return err
	}
	switch clause {
	case "REMOVE":
		u.remove = append(u.remove, path)
		return nil
	case "ADD", "DELETE":
		v, err := p.value()
		if err != nil {
			return err
		}
		ok := v.typ == "SS" || v.typ == "NS" || v.typ == "BS" || (clause == "ADD" && v.typ == "N")
		if !ok {
			return p.errf("Incorrect operand type for operator or function; operator: %s, operand type: %s", clause, v.typ)
		}
		a := valueAction{path, v}
		if clause == "ADD" {
			u.add = append(u.add, a)
		} else {
			u.del = append(u.del, a)
		}
		return nil
	}
	if err := p.expect("="); err != nil {
		return err
	}
	a := setAction{path: path}
	if a.left, err = p.updOperand(); err != nil {
		return err
	}
	if t := p.peek(); t.is("+") || t.is("-") {
		a.op = p.next().text
		if a.right, err = p.updOperand(); err != nil {
			return err
		}
		for _, o := range []updOperand{a.left, a.right} {
			if o.kind == 'v' && o.val.typ != "N" {
				return p.errf("Incorrect operand type for operator or function; operator or function: %s, operand type: %s", a.op, o.val.typ)
			}
		}
	}
	u.set = append(u.set, a)
	return nil
}

func (p *parser) updOperand() (updOperand, *awsfake.Error) {
	t := p.peek()
	switch {
	case t.kind == tokValue:
		v, err := p.value()
		return updOperand{kind: 'v', val: v}, err
	case t.kind == tokIdent && p.peekAt(1).is("("):
		p.next()
		if t.text != "if_not_exists" && t.text != "list_append" {
			if _, ok := conditionFuncs[t.text]; ok || t.text == "size" {
				return updOperand{}, p.errf("The function is not allowed in an update expression; function: %s", t.text)
			}
			return updOperand{}, p.errf("Invalid function name; function: %s", t.text)
		}
		p.next() // the "(" peeked at
		var args []updOperand
		for {
			a, err := p.updOperand()
			if err != nil {
				return updOperand{}, err
			}
			args = append(args, a)
			if n := p.next(); n.is(")") {
				break
			} else if !n.is(",") {
				return updOperand{}, p.syntaxAt(n)
			}
		}
		if len(args) != 2 {
			return updOperand{}, p.errf("Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", t.text, len(args))
		}
		if t.text == "if_not_exists" && args[0].kind != 'p' {
			return updOperand{}, p.errf("Operator or function requires a document path; operator or function: if_not_exists")
		}
		if t.text == "list_append" {
			for _, a := range args {
				if a.kind == 'v' && a.val.typ != "L" {
					return updOperand{}, p.errf("Incorrect operand type for operator or function; operator or function: list_append, operand type: %s", a.val.typ)
				}
			}
		}
		return updOperand{kind: 'f', name: t.text, args: args}, nil
	}
	name, err := p.path()
	return updOperand{kind: 'p', name: name}, err
}

// touched returns the attributes of it that u writes or removes; none
// without an update.
func (u *update) touched(it item) item {
	if u == nil {
		return nil
	}
	return project(it, u.paths())
}

// paths lists every attribute the update writes or removes.
func (u *update) paths() []string {
	out := []string{}
	for _, a := range u.set {
		out = append(out, a.path)
	}
	out = append(out, u.remove...)
	for _, a := range u.add {
		out = append(out, a.path)
	}
	for _, a := range u.del {
		out = append(out, a.path)
	}
	return out
}
