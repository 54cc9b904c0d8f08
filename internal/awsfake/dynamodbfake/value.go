package dynamodbfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// av is one DynamoDB attribute value. typ names the form that is set. A
// stored av is never changed in place: updates build new values, so items
// may share them.
type av struct {
	typ string        // S, N, B, BOOL, NULL, M, L, SS, NS or BS
	s   string        // S; N in canonical form (see canonicalNumber)
	b   []byte        // B
	bl  bool          // BOOL
	m   map[string]av // M
	l   []av          // L
	ss  []string      // SS; NS in canonical form
	bs  [][]byte      // BS
}

// item is a stored item: attribute name to value.
type item map[string]av

func strAV(s string) av { return av{typ: "S", s: s} }

// MarshalJSON writes v in DynamoDB JSON, e.g. {"N":"12"}.
func (v av) MarshalJSON() ([]byte, error) {
	var inner any
	switch v.typ {
	case "S", "N":
		inner = v.s
	case "B":
		inner = v.b
	case "BOOL", "NULL":
		inner = v.bl
	case "M":
		inner = map[string]av(v.m)
	case "L":
		inner = v.l
	case "SS", "NS":
		inner = v.ss
	case "BS":
		inner = v.bs
	default:
		return nil, fmt.Errorf("attribute value of unknown type %q", v.typ)
	}
	return json.Marshal(map[string]any{v.typ: inner})
}

// equal reports whether v and w are the same value; sets compare as sets.
func (v av) equal(w av) bool {
	if v.typ != w.typ {
		return false
	}
	switch v.typ {
	case "S", "N":
		return v.s == w.s
	case "B":
		return bytes.Equal(v.b, w.b)
	case "BOOL", "NULL":
		return v.bl == w.bl
	case "M":
		if len(v.m) != len(w.m) {
			return false
		}
		for k, x := range v.m {
			if y, ok := w.m[k]; !ok || !x.equal(y) {
				return false
			}
		}
		return true
	case "L":
		return slices.EqualFunc(v.l, w.l, av.equal)
	case "SS", "NS":
		return len(v.ss) == len(w.ss) && !slices.ContainsFunc(v.ss, func(s string) bool { return !slices.Contains(w.ss, s) })
	case "BS":
		return len(v.bs) == len(w.bs) && !slices.ContainsFunc(v.bs, func(b []byte) bool {
			return !slices.ContainsFunc(w.bs, func(c []byte) bool { return bytes.Equal(b, c) })
		})
	}
	return false
}

// compare orders v against w: numerically for Numbers, by UTF-8 bytes for
// Strings, by unsigned bytes for Binary. ok is false for other types and
// for values of different types, which DynamoDB never orders.
func (v av) compare(w av) (c int, ok bool) {
	if v.typ != w.typ {
		return 0, false
	}
	switch v.typ {
	case "N":
		return rat(v.s).Cmp(rat(w.s)), true
	case "S":
		return strings.Compare(v.s, w.s), true
	case "B":
		return bytes.Compare(v.b, w.b), true
	}
	return 0, false
}

// orderable reports whether v's type can be compared with < and friends.
func (v av) orderable() bool { return v.typ == "N" || v.typ == "S" || v.typ == "B" }

// size is v's size as DynamoDB counts it toward the 400 KB item limit.
func (v av) size() int {
	switch v.typ {
	case "S":
		return len(v.s)
	case "N":
		return numberSize(v.s)
	case "B":
		return len(v.b)
	case "BOOL", "NULL":
		return 1
	case "M":
		n := 3
		for k, e := range v.m {
			n += len(k) + e.size() + 1
		}
		return n
	case "L":
		n := 3
		for _, e := range v.l {
			n += e.size() + 1
		}
		return n
	case "SS":
		n := 0
		for _, s := range v.ss {
			n += len(s)
		}
		return n
	case "NS":
		n := 0
		for _, s := range v.ss {
			n += numberSize(s)
		}
		return n
	case "BS":
		n := 0
		for _, b := range v.bs {
			n += len(b)
		}
		return n
	}
	return 0
}

// sizeFunc is the size() function of expressions: a String's length, a
// Binary's bytes, the elements of a set, list or map. ok is false for
// the other types.
func (v av) sizeFunc() (int, bool) {
	switch v.typ {
	case "S":
		return utf8.RuneCountInString(v.s), true
	case "B":
		return len(v.b), true
	case "SS", "NS":
		return len(v.ss), true
	case "BS":
		return len(v.bs), true
	case "L":
		return len(v.l), true
	case "M":
		return len(v.m), true
	}
	return 0, false
}

// size is the size of an item: its attribute names and values.
func (it item) size() int {
	n := 0
	for k, v := range it {
		n += len(k) + v.size()
	}
	return n
}

// clone returns a copy of the item map; the values are shared, which is
// safe because stored values are never changed in place.
func (it item) clone() item {
	out := make(item, len(it))
	for k, v := range it {
		out[k] = v
	}
	return out
}

// export turns v into the helpers' form: a one-key map as in DynamoDB
// JSON, with B and BS as raw bytes. Everything is copied.
func (v av) export() map[string]any {
	var inner any
	switch v.typ {
	case "S", "N":
		inner = v.s
	case "B":
		inner = slices.Clone(v.b)
	case "BOOL", "NULL":
		inner = v.bl
	case "M":
		m := make(map[string]any, len(v.m))
		for k, e := range v.m {
			m[k] = e.export()
		}
		inner = m
	case "L":
		l := make([]any, len(v.l))
		for i, e := range v.l {
			l[i] = e.export()
		}
		inner = l
	case "SS", "NS":
		inner = slices.Clone(v.ss)
	case "BS":
		bs := make([][]byte, len(v.bs))
		for i, b := range v.bs {
			bs[i] = slices.Clone(b)
		}
		inner = bs
	}
	return map[string]any{v.typ: inner}
}

// describe renders v for an error message, as DynamoDB does:
// "AttributeValue: {N:5}".
func (v av) describe() string {
	switch v.typ {
	case "S", "N":
		return fmt.Sprintf("AttributeValue: {%s:%s}", v.typ, v.s)
	case "BOOL", "NULL":
		return fmt.Sprintf("AttributeValue: {%s:%t}", v.typ, v.bl)
	}
	return "AttributeValue: {" + v.typ + ":...}"
}
