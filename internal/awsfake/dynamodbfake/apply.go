package dynamodbfake

import (
	"bytes"
	"slices"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// Errors raised while applying an update, worded as DynamoDB's.
func errUpdateMissingAttr() *awsfake.Error {
	return awsfake.ValidationError("The provided expression refers to an attribute that does not exist in the item")
}

func errUpdateType() *awsfake.Error {
	return awsfake.ValidationError("An operand in the update expression has an incorrect data type")
}

// value evaluates o against old, the item before the update.
func (o updOperand) value(old item) (av, *awsfake.Error) {
	switch o.kind {
	case 'v':
		return o.val, nil
	case 'p':
		v, ok := old[o.name]
		if !ok {
			return av{}, errUpdateMissingAttr()
		}
		return v, nil
	}
	if o.name == "if_not_exists" {
		if v, ok := old[o.args[0].name]; ok {
			return v, nil
		}
		return o.args[1].value(old)
	}
	a, err := o.args[0].value(old)
	if err != nil {
		return av{}, err
	}
	b, err := o.args[1].value(old)
	if err != nil {
		return av{}, err
	}
	if a.typ != "L" || b.typ != "L" {
		return av{}, errUpdateType()
	}
	return av{typ: "L", l: slices.Concat(a.l, b.l)}, nil
}

// apply returns the item that results from applying u to old (nil for a
// new item). Every operand is evaluated against old, as DynamoDB does.
func (u *update) apply(old item) (item, *awsfake.Error) {
	next := old.clone()
	for _, a := range u.set {
		v, err := a.left.value(old)
		if err != nil {
			return nil, err
		}
		if a.op != "" {
			w, err := a.right.value(old)
			if err != nil {
				return nil, err
			}
			if v.typ != "N" || w.typ != "N" {
				return nil, errUpdateType()
			}
			n, err := addNumbers(v.s, w.s, a.op == "-")
			if err != nil {
				return nil, err
			}
			v = av{typ: "N", s: n}
		}
		next[a.path] = v
	}
	for _, p := range u.remove {
		delete(next, p)
	}
	for _, a := range u.add {
		cur, ok := old[a.path]
		switch {
		case !ok:
			next[a.path] = a.val
		case cur.typ != a.val.typ:
			return nil, errUpdateType()
		case cur.typ == "N":
			n, err := addNumbers(cur.s, a.val.s, false)
			if err != nil {
				return nil, err
			}
			next[a.path] = av{typ: "N", s: n}
		default:
			next[a.path] = setUnion(cur, a.val)
		}
	}
	for _, a := range u.del {
		cur, ok := old[a.path]
		switch {
		case !ok:
		case cur.typ != a.val.typ:
			return nil, errUpdateType()
		default:
			if rest, empty := setMinus(cur, a.val); empty {
				delete(next, a.path)
			} else {
				next[a.path] = rest
			}
		}
	}
	return next, nil
}

// setUnion returns the set v with w's elements added.
func setUnion(v, w av) av {
	out := av{typ: v.typ, ss: slices.Clone(v.ss), bs: slices.Clone(v.bs)}
	for _, s := range w.ss {
		if !slices.Contains(out.ss, s) {
			out.ss = append(out.ss, s)
		}
	}
	for _, b := range w.bs {
		if !slices.ContainsFunc(out.bs, func(c []byte) bool { return bytes.Equal(b, c) }) {
			out.bs = append(out.bs, b)
		}
	}
	return out
}

// setMinus returns the set v without w's elements, and whether nothing
// is left.
func setMinus(v, w av) (av, bool) {
	out := av{typ: v.typ}
	for _, s := range v.ss {
		if !slices.Contains(w.ss, s) {
			out.ss = append(out.ss, s)
		}
	}
	for _, b := range v.bs {
		if !slices.ContainsFunc(w.bs, func(c []byte) bool { return bytes.Equal(b, c) }) {
			out.bs = append(out.bs, b)
		}
	}
	return out, len(out.ss)+len(out.bs) == 0
}
