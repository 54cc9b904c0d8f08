package dynamodbfake

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// value returns o's value for it; ok is false when o names an attribute
// it lacks.
func (o operand) value(it item, kind string) (v av, ok bool, err *awsfake.Error) {
	switch o.kind {
	case 'v':
		return o.val, true, nil
	case 'p':
		v, ok = it[o.name]
		return v, ok, nil
	}
	v, ok = it[o.name]
	if !ok {
		return av{}, false, nil
	}
	n, ok := v.sizeFunc()
	if !ok {
		return av{}, false, awsfake.ValidationError("Invalid " + kind + ": Incorrect operand type for operator or function; operator or function: size, operand type: " + v.typ)
	}
	return av{typ: "N", s: strconv.Itoa(n)}, true, nil
}

// eval reports whether it (nil for a missing item) satisfies c.
func (c *cond) eval(it item, kind string) (bool, *awsfake.Error) {
	switch c.op {
	case "AND", "OR":
		l, err := c.kids[0].eval(it, kind)
		if err != nil || l == (c.op == "OR") {
			return l, err
		}
		return c.kids[1].eval(it, kind)
	case "NOT":
		v, err := c.kids[0].eval(it, kind)
		return !v, err
	}
	vals := make([]av, len(c.args))
	present := make([]bool, len(c.args))
	for i, o := range c.args {
		var err *awsfake.Error
		if vals[i], present[i], err = o.value(it, kind); err != nil {
			return false, err
		}
	}
	switch c.op {
	case "attribute_exists":
		return present[0], nil
	case "attribute_not_exists":
		return !present[0], nil
	}
	if !present[0] {
		// A missing attribute equals nothing, so only <> holds.
		return c.op == "<>", nil
	}
	v := vals[0]
	switch c.op {
	case "=", "<>":
		eq := present[1] && v.equal(vals[1])
		return eq == (c.op == "="), nil
	case "<", "<=", ">", ">=":
		n, ok := v.compare(vals[1])
		if !present[1] || !ok {
			return false, nil
		}
		return map[string]bool{"<": n < 0, "<=": n <= 0, ">": n > 0, ">=": n >= 0}[c.op], nil
	case "BETWEEN":
		lo, okLo := v.compare(vals[1])
		hi, okHi := v.compare(vals[2])
		return present[1] && present[2] && okLo && okHi && lo >= 0 && hi <= 0, nil
	case "IN":
		for i, w := range vals[1:] {
			if present[i+1] && v.equal(w) {
				return true, nil
			}
		}
		return false, nil
	case "attribute_type":
		return v.typ == vals[1].s, nil
	case "begins_with":
		w := vals[1]
		switch {
		case !present[1] || v.typ != w.typ:
			return false, nil
		case v.typ == "S":
			return strings.HasPrefix(v.s, w.s), nil
		case v.typ == "B":
			return bytes.HasPrefix(v.b, w.b), nil
		}
		return false, nil
	case "contains":
		return present[1] && contains(v, vals[1]), nil
	}
	panic("awsfake: unknown condition operator " + c.op)
}

// contains is the contains() function: a substring of a String, a
// subsequence of a Binary, a member of a set or a list.
func contains(v, w av) bool {
	switch {
	case v.typ == "S" && w.typ == "S":
		return strings.Contains(v.s, w.s)
	case v.typ == "B" && w.typ == "B":
		return bytes.Contains(v.b, w.b)
	case v.typ == "SS" && w.typ == "S", v.typ == "NS" && w.typ == "N":
		return slices.Contains(v.ss, w.s)
	case v.typ == "BS" && w.typ == "B":
		return slices.ContainsFunc(v.bs, func(b []byte) bool { return bytes.Equal(b, w.b) })
	case v.typ == "L":
		return slices.ContainsFunc(v.l, w.equal)
	}
	return false
}
