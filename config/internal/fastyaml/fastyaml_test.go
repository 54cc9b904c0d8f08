package fastyaml

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"gopkg.in/yaml.v3"
)

// seeds are snippets at and just past the edges of Parse's subset.
var seeds = []string{
	"a: 1\n",
	"a: 1\nb:\n  c: d\n  e: [1, 2, \"x\"]\n",
	"secrets:\n- a: 1\n  b: 2\n- c: 3\nx: y\n",
	"secrets:\n  - a: 1\n    b: 2\n  - c: 3\n# end\n",
	"secrets:\n  -\n    a: 1\n  - 'q'\n  - \"d\\n\"\n",
	"# head\n\nversion: 1 # one\nlist:\n  - {type: file, path: /x/y.ini, profile: p}\n  - [a, [b, c], {d: e}]\n",
	"a: -5\nb: .5\nc: 0x1F\nd: ~\ne: null\nf: True\ng: 2001-12-14\nh: 1_000\ni: +1\nj: yes\nk: .inf\n",
	"a: 'it''s'\nb: \"q\\\"q\"\nc: it's\nd: a#b\ne: a # b\nf: http://x.y/z?a=b\n",
	"'a': 1\n\"b\": 2\na b: c d\n",
	"- a\n- b\n",
	"  a: 1\n  b: 2\n",
	"a:\n  - x\n  -   y: 1\n      z: 2\n",
	"a: {b: c\n",
	"a: b: c\n",
	"a:\n",
	"a: |\n  x\n",
	"a: &x 1\nb: *x\n",
	"<<: {a: 1}\n",
	"---\na: 1\n",
	"a: [b,]\n",
	"a: {b: c, d}\n",
	"a: [b: c]\n",
	"a: b\n  c\n",
	"a: \"x\ny\"\n",
	"a:\tb\n",
	"a: {url: http://x}\n",
	"a: [-1, -x, - y]\n",
	"a: b\n- c\n",
	"a:b\n",
	"?a: 1\n",
	":a: 1\n",
	"a: \"\\x41\"\n",
	"a: ''\nb: \"\"\n",
	"a: [ ]\nb: { }\nc: []\n",
	"secrets: []\nsecrets:\n  - a\n",
	"secrets:\n  - true\n  - 'true'\nx:\n  secrets:\n    - b\n",
	"a: [Null, NULL, False, FALSE, True, TRUE, Yes, ON, 0o17, 0b1, -0, +.5, 1e3, .NaN, 007, 9223372036854775808]\n",
	"a: \"\\t\\r\\0\\/\\\\\"\nb: \"\\u0041\"\n",
}

// words stand for the words a caller shares (Options.Words).
var words = map[string]string{"a": "a", "b": "b", "true": "true", "secrets": "secrets", "": ""}

// FuzzParse checks the package's contract on any input: Parse declines,
// or returns the tree yaml.v3 builds; and leaving the secrets items to
// parse one at a time, with or without a Pool, changes nothing.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("../../../testdata/*/*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no configuration fixtures: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data)
	})
}

// check compares Parse with yaml.v3 on data, and reports whether Parse
// accepted it.
func check(t *testing.T, data []byte) bool {
	t.Helper()
	eager, _, eagerOK := Parse(data, Options{})
	lazy, seq, lazyOK := Parse(data, Options{Lazy: "secrets", Words: words})
	if lazyOK && seq != nil {
		checkSpans(t, data, seq)
	}
	var items []*yaml.Node // the lazy items, parsed with a pool
	switch {
	case !eagerOK && !lazyOK:
		return false
	case !eagerOK:
		// only the unparsed items may be outside the subset
		if seq == nil || seq.Materialize() {
			t.Fatalf("Parse accepts %q only with Lazy", data)
		}
		return false
	case !lazyOK:
		t.Fatalf("Parse accepts %q only without Lazy", data)
	case seq != nil:
		items = poolItems(t, data, seq)
		if !seq.Materialize() {
			t.Fatalf("a lazy item of %q is outside the subset", data)
		}
	}
	var want yaml.Node
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatalf("Parse accepts %q, which yaml.v3 rejects: %v", data, err)
	}
	for name, got := range map[string]*yaml.Node{"eager": eager, "lazy": lazy} {
		if diff := nodeDiff(&want, got, "doc"); diff != "" {
			t.Fatalf("%s parse of %q: %s", name, data, diff)
		}
	}
	if seq != nil {
		for i, n := range items {
			if diff := nodeDiff(seq.node.Content[i], n, fmt.Sprintf("item %d", i)); diff != "" {
				t.Fatalf("pooled parse of %q: %s", data, diff)
			}
		}
	}
	return true
}

// poolItems parses every item of seq with one Pool, reset between items,
// and returns deep copies of what it got.
func poolItems(t *testing.T, data []byte, seq *Seq) []*yaml.Node {
	t.Helper()
	var pool Pool
	items := make([]*yaml.Node, seq.Len())
	for i := range items {
		pool.Reset()
		n, ok := seq.Item(i, &pool)
		if !ok {
			t.Fatalf("item %d of %q declined with a pool, accepted without", i, data)
		}
		items[i] = deepCopy(n)
	}
	return items
}

func deepCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = nil
	for _, k := range n.Content {
		c.Content = append(c.Content, deepCopy(k))
	}
	return &c
}

// checkSpans checks that the text before the items, their spans and the
// text after them make up data, and that each span starts on its line.
func checkSpans(t *testing.T, data []byte, seq *Seq) {
	t.Helper()
	before, after := seq.Outside()
	whole := bytes.Clone(before)
	for i := range seq.Len() {
		text, line := seq.Span(i)
		if got := bytes.Count(whole, []byte("\n")) + 1; got != line {
			t.Fatalf("item %d of %q: line %d, starts on line %d", i, data, line, got)
		}
		whole = append(whole, text...)
	}
	if whole = append(whole, after...); !bytes.Equal(whole, data) {
		t.Fatalf("spans of %q make up %q", data, whole)
	}
}

// nodeDiff describes the first difference between two trees, comments
// aside.
func nodeDiff(want, got *yaml.Node, at string) string {
	w := fmt.Sprintf("kind %d style %d tag %q value %q anchor %q at %d:%d, %d children",
		want.Kind, want.Style, want.Tag, want.Value, want.Anchor, want.Line, want.Column, len(want.Content))
	g := fmt.Sprintf("kind %d style %d tag %q value %q anchor %q at %d:%d, %d children",
		got.Kind, got.Style, got.Tag, got.Value, got.Anchor, got.Line, got.Column, len(got.Content))
	if w != g || (want.Alias == nil) != (got.Alias == nil) {
		return at + ": yaml.v3 " + w + ", fastyaml " + g
	}
	for i := range want.Content {
		if d := nodeDiff(want.Content[i], got.Content[i], fmt.Sprintf("%s/%d", at, i)); d != "" {
			return d
		}
	}
	return ""
}

// TestSubset checks that the configurations rotatord is given in practice
// take the fast path, and that the seeds agree with yaml.v3.
func TestSubset(t *testing.T) {
	for _, s := range seeds {
		check(t, []byte(s))
	}
	b, err := os.ReadFile("../../../testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !check(t, b) {
		t.Error("the minimal configuration left the fast path")
	}
	big := strings.Repeat("  - name: /a/b\n    target: t\n    sinks:\n      - {type: file, path: /x, profile: p}\n", 3)
	if !check(t, []byte("version: 1\nsecrets:\n"+big+"notify: []\n")) {
		t.Error("a generated list of secrets left the fast path")
	}
	if _, seq, ok := Parse([]byte("version: 1\nsecrets:\n"+big), Options{Lazy: "secrets"}); !ok || seq == nil || seq.Len() != 3 {
		t.Errorf("the secrets were not left for Seq: ok %v, seq %v", ok, seq)
	}
}

// TestWordsShared checks that a scalar equal to one of the words holds
// the word's own string, not a copy.
func TestWordsShared(t *testing.T) {
	w := strings.Clone("target")
	doc, _, ok := Parse([]byte("target: x\nb: target\n"), Options{Words: map[string]string{w: w}})
	if !ok {
		t.Fatal("declined")
	}
	m := doc.Content[0]
	for _, i := range []int{0, 3} {
		if got := m.Content[i].Value; unsafe.StringData(got) != unsafe.StringData(w) {
			t.Errorf("node %d holds %q at its own address, want the word's", i, got)
		}
	}
}
