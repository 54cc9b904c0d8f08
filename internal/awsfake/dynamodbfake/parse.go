package dynamodbfake

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// errAttr is the ValidationException for a malformed attribute value.
func errAttr(msg string) *awsfake.Error {
	return awsfake.ValidationError("One or more parameter values were invalid: " + msg)
}

// parseItem decodes a map of attribute values (an Item, a Key, an
// ExclusiveStartKey) from its DynamoDB JSON.
func parseItem(raw map[string]json.RawMessage) (item, *awsfake.Error) {
	out := make(item, len(raw))
	for name, r := range raw {
		v, err := parseAV(r)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

// parseAV decodes one attribute value and checks it as DynamoDB does:
// exactly one type, valid numbers, non-empty sets without duplicates.
func parseAV(raw json.RawMessage) (av, *awsfake.Error) {
	var forms map[string]json.RawMessage
	if err := json.Unmarshal(raw, &forms); err != nil || forms == nil {
		return av{}, errSerialization()
	}
	switch len(forms) {
	case 0:
		return av{}, errAttr("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case 1:
	default:
		return av{}, errAttr("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	for typ, r := range forms {
		return parseForm(typ, r)
	}
	panic("unreachable")
}

// parseForm decodes the value r of the attribute value form typ ("S",
// "N", ...).
func parseForm(typ string, r json.RawMessage) (av, *awsfake.Error) {
	v := av{typ: typ}
	var err error
	switch typ {
	case "S":
		err = json.Unmarshal(r, &v.s)
	case "N":
		if err = json.Unmarshal(r, &v.s); err == nil {
			var aerr *awsfake.Error
			if v.s, aerr = canonicalNumber(v.s); aerr != nil {
				return av{}, aerr
			}
		}
	case "B":
		err = json.Unmarshal(r, &v.b)
		if err == nil && v.b == nil {
			v.b = []byte{}
		}
	case "BOOL":
		err = json.Unmarshal(r, &v.bl)
	case "NULL":
		err = json.Unmarshal(r, &v.bl)
		if err == nil && !v.bl {
			return av{}, errAttr("Null attribute value types must have the value of true")
		}
	case "M":
		var m map[string]json.RawMessage
		if err = json.Unmarshal(r, &m); err == nil {
			var aerr *awsfake.Error
			if v.m, aerr = parseItem(m); aerr != nil {
				return av{}, aerr
			}
		}
	case "L":
		var l []json.RawMessage
		if err = json.Unmarshal(r, &l); err == nil {
			v.l = make([]av, len(l))
			for i, e := range l {
				var aerr *awsfake.Error
				if v.l[i], aerr = parseAV(e); aerr != nil {
					return av{}, aerr
				}
			}
		}
	case "SS", "NS":
		if err = json.Unmarshal(r, &v.ss); err == nil {
			return v, checkSet(&v)
		}
	case "BS":
		if err = json.Unmarshal(r, &v.bs); err == nil {
			return v, checkSet(&v)
		}
	default:
		return av{}, errAttr("Supplied AttributeValue has an unknown datatype: " + typ)
	}
	if err != nil {
		return av{}, errSerialization()
	}
	return v, nil
}

// checkSet canonicalises a number set and rejects empty sets and
// duplicates.
func checkSet(v *av) *awsfake.Error {
	n := len(v.ss) + len(v.bs)
	if n == 0 {
		word := map[string]string{"SS": "string", "NS": "number", "BS": "binary"}[v.typ]
		return errAttr("An " + word + " set  may not be empty")
	}
	seen := map[string]bool{}
	for i := range n {
		var k string
		switch v.typ {
		case "NS":
			c, err := canonicalNumber(v.ss[i])
			if err != nil {
				return err
			}
			v.ss[i], k = c, c
		case "SS":
			k = v.ss[i]
		default:
			k = string(v.bs[i])
		}
		if seen[k] {
			return errAttr(fmt.Sprintf("Input collection %s contains duplicates.", v.setString()))
		}
		seen[k] = true
	}
	return nil
}

// setString renders a set for an error message as DynamoDB does; binary
// members are left out rather than echoed.
func (v av) setString() string {
	if v.typ == "BS" {
		return "[...]"
	}
	return "[" + strings.Join(v.ss, ", ") + "]"
}
