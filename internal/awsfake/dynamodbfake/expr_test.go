package dynamodbfake

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// exprValues are the ExpressionAttributeValues of the expression tests.
var exprValues = map[string]json.RawMessage{
	":s": json.RawMessage(`{"S":"abc"}`), ":p": json.RawMessage(`{"S":"ab"}`), ":n": json.RawMessage(`{"N":"10"}`),
	":lo": json.RawMessage(`{"N":"1"}`), ":hi": json.RawMessage(`{"N":"20"}`), ":t": json.RawMessage(`{"S":"SS"}`),
	":b": json.RawMessage(`{"BOOL":true}`), ":ss": json.RawMessage(`{"SS":["x","y"]}`), ":l": json.RawMessage(`{"L":[{"S":"z"}]}`),
}

// exprItem is the item conditions are evaluated against.
var exprItem = item{
	"a": strAV("abc"), "num": {typ: "N", s: "9"}, "tags": {typ: "SS", ss: []string{"x", "q"}},
	"status": strAV("open"), "lst": {typ: "L", l: []av{strAV("z")}},
}

func evalCondition(t *testing.T, expr string) (bool, *awsfake.Error) {
	t.Helper()
	x, err := newExprCtx(map[string]string{"#st": "status", "#a": "a"}, exprValues)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x.parseCondition("ConditionExpression", expr)
	if err != nil {
		return false, err
	}
	return c.eval(exprItem, "ConditionExpression")
}

func TestConditionEval(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"attribute_exists(a)", true},
		{"attribute_not_exists(a)", false},
		{"attribute_not_exists(gone)", true},
		{"#a = :s", true},
		{"a <> :s", false},
		{"gone = :s", false},
		{"gone <> :s", true}, // a missing attribute differs from everything
		{"gone < :n", false},
		{"num < :n", true}, // numerically, 9 < 10, though "9" > "10"
		{"a < :n", false},  // no order between String and Number
		{"num BETWEEN :lo AND :hi", true},
		{"num BETWEEN :n AND :hi", false},
		{"begins_with(a, :p)", true},
		{"begins_with(num, :p)", false},
		{"contains(tags, :p)", false},
		{"contains(a, :p)", true},
		{"contains(lst, :s) OR contains(tags, :s)", false},
		{"size(a) = :n OR size(tags) < :n", true},
		{"num IN (:lo, :n, :hi)", false},
		{"a IN (:p, :s)", true},
		{"attribute_type(tags, :t)", true},
		{"NOT a = :s OR num < :n", true},
		{"NOT (a = :s OR num < :n)", false},
		{"a = :p AND num < :n OR #st = :s", false}, // (a AND b) OR c
		{"a = :s OR num = :lo AND #st = :s", true}, // a OR (b AND c)
		{"not (A = :s) and a = :s", true},          // keywords in any case; names are case-sensitive
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := evalCondition(t, tt.expr)
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if got != tt.want {
				t.Errorf("got %t, want %t", got, tt.want)
			}
		})
	}
}

func TestConditionErrors(t *testing.T) {
	tests := []struct {
		expr, msg string
	}{
		{"", "Invalid ConditionExpression: The expression can not be empty;"},
		{"status = :s", "Attribute name is a reserved keyword; reserved keyword: status"},
		{"a = :nope", "An expression attribute value used in expression is not defined; attribute value: :nope"},
		{"#nope = :s", "An expression attribute name used in the document path is not defined; attribute name: #nope"},
		{"a = = :s", `Syntax error; token: "=", near: "= = :s"`},
		{"a = :s AND", `Syntax error; token: "<EOF>", near: "AND"`},
		{"(a = :s", `Syntax error; token: "<EOF>"`},
		{"a $ :s", `Syntax error; token: "$", near: "a $"`},
		{"a.b = :s", "nested document paths are not supported"},
		{"num BETWEEN :hi AND :lo", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound"},
		{"num BETWEEN :lo AND :s", "The BETWEEN operator requires same data type for lower and upper bounds"},
		{"begins_with(a, :n)", "operator or function: begins_with, operand type: N"},
		{"a < :b", "operator: <, operand type: BOOL"},
		{"a = a", "The first operand must be distinct from the remaining operands"},
		{"foo(a)", "Invalid function name; function: foo"},
		{"size(a)", "The function is not allowed to be used this way in an expression; function: size"},
		{"attribute_exists(:s)", "Operator or function requires a document path; operator or function: attribute_exists"},
		{"attribute_exists(a, num)", "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
		{"attribute_type(a, :s)", "Invalid attribute type name found; type: abc"},
		{"size(num) = :n", "operator or function: size, operand type: N"}, // found on evaluation
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := evalCondition(t, tt.expr)
			if err == nil || !strings.Contains(err.Message, tt.msg) {
				t.Fatalf("got error %v, want one containing %q", err, tt.msg)
			}
			if err.Code != "ValidationError" { // ValidationException on the JSON wire
				t.Errorf("got code %s, want ValidationError", err.Code)
			}
		})
	}
}

func TestUpdateApply(t *testing.T) {
	tests := []struct {
		expr string
		want string // the resulting item as JSON, or the error message
	}{
		{"SET a = :s, b = :n", `{"a":{"S":"abc"},"b":{"N":"10"},"num":{"N":"9"}}`},
		{"SET num = num + :n", `{"a":{"S":"old"},"num":{"N":"19"}}`},
		{"SET num = :lo - num", `{"a":{"S":"old"},"num":{"N":"-8"}}`},
		{"SET a = if_not_exists(a, :s), b = if_not_exists(b, :s)", `{"a":{"S":"old"},"b":{"S":"abc"},"num":{"N":"9"}}`},
		{"SET l = list_append(:l, :l) REMOVE a, num", `{"l":{"L":[{"S":"z"},{"S":"z"}]}}`},
		{"ADD num :n, s :ss", `{"a":{"S":"old"},"num":{"N":"19"},"s":{"SS":["x","y"]}}`},
		{"DELETE gone :ss", `{"a":{"S":"old"},"num":{"N":"9"}}`},
		{"SET b = gone + :n", "The provided expression refers to an attribute that does not exist in the item"},
		{"SET b = a + :n", "An operand in the update expression has an incorrect data type"},
		{"ADD a :n", "An operand in the update expression has an incorrect data type"},
		{"SET a = :s SET b = :s", `The "SET" section can only be used once in an update expression;`},
		{"SET a = :s REMOVE a", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"ADD a :s", "operator: ADD, operand type: S"},
		{"SET a = size(a)", "The function is not allowed in an update expression; function: size"},
		{"SET a :s", `Syntax error; token: ":s"`},
		{"UPSERT a = :s", `Syntax error; token: "UPSERT"`},
	}
	old := item{"a": strAV("old"), "num": {typ: "N", s: "9"}}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			x, err := newExprCtx(nil, exprValues)
			if err != nil {
				t.Fatal(err)
			}
			u, err := x.parseUpdate(tt.expr)
			var next item
			if err == nil {
				next, err = u.apply(old)
			}
			if err != nil {
				if !strings.Contains(err.Message, tt.want) {
					t.Errorf("got error %v, want %s", err, tt.want)
				}
				return
			}
			got, jerr := json.Marshal(next)
			if jerr != nil {
				t.Fatal(jerr)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if old["a"].s != "old" || len(old) != 2 {
				t.Errorf("apply changed the old item: %v", old)
			}
		})
	}
}

func TestCanonicalNumber(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"1.50", "1.5", ""},
		{"-0", "0", ""},
		{"00012.3400", "12.34", ""},
		{"1e2", "100", ""},
		{"1E-3", "0.001", ""},
		{".5", "0.5", ""},
		{"-12.5e1", "-125", ""},
		{"12345678901234567890123456789012345678", "12345678901234567890123456789012345678", ""},
		{"123456789012345678901234567890123456789", "", "more than 38 significant digits"},
		{"1e126", "", "Number overflow"},
		{"1e-131", "", "Number underflow"},
		{"abc", "", "cannot be converted to a numeric value: abc"},
		{"1e99999999999999999999", "", "Number overflow"},
	}
	for _, tt := range tests {
		got, err := canonicalNumber(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Message, tt.err)):
			t.Errorf("canonicalNumber(%q): got %q, %v; want error %q", tt.in, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("canonicalNumber(%q): got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestExprCtxUnused(t *testing.T) {
	x, err := newExprCtx(map[string]string{"#a": "a", "#b": "b"}, exprValues)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.parseCondition("ConditionExpression", "#a = :s"); err != nil {
		t.Fatal(err)
	}
	if err := x.checkUnused(); err == nil || err.Message != "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}" {
		t.Errorf("got %v, want #b reported unused", err)
	}
	if _, err := newExprCtx(map[string]string{"a": "a"}, nil); err == nil || !strings.Contains(err.Message, `invalid key: Syntax error; key: "a"`) {
		t.Errorf("a name without #: got %v", err)
	}
	if _, err := newExprCtx(nil, map[string]json.RawMessage{}); err == nil || err.Message != "ExpressionAttributeValues must not be empty" {
		t.Errorf("empty values: got %v", err)
	}
	if _, err := newExprCtx(nil, map[string]json.RawMessage{":v": json.RawMessage(`{"SS":["a","a"]}`)}); err == nil || !strings.Contains(err.Message, "contains duplicates") {
		t.Errorf("a set with duplicates: got %v", err)
	}
}
