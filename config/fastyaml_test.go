package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// fastSeeds are snippets at and just past the edges of fastParse's subset.
var fastSeeds = []string{
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
}

// FuzzFastYAML checks that whatever fastParse accepts, yaml.v3 parses to
// the same nodes, and that leaving the secrets items to parse one at a
// time changes nothing.
func FuzzFastYAML(f *testing.F) {
	files, _ := filepath.Glob("../testdata/*/*.yaml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFast(t, data)
	})
}

// checkFast compares fastParse with yaml.v3 on data, and reports whether
// fastParse accepted it.
func checkFast(t *testing.T, data []byte) bool {
	t.Helper()
	fast, _ := fastParse(data, "")
	lazy, seq := fastParse(data, "secrets")
	switch {
	case fast == nil && lazy == nil:
		return false
	case fast == nil:
		// only the unparsed items may be outside the subset
		if seq == nil || seq.materialize() {
			t.Fatalf("fastParse accepts %q only with lazy secrets", data)
		}
		return false
	case lazy == nil:
		t.Fatalf("fastParse accepts %q only without lazy secrets", data)
	case seq != nil && !seq.materialize():
		t.Fatalf("a lazy item of %q is outside the subset", data)
	}
	var want yaml.Node
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatalf("fastParse accepts %q, which yaml.v3 rejects: %v", data, err)
	}
	for name, got := range map[string]*yaml.Node{"eager": fast, "lazy": lazy} {
		if diff := nodeDiff(&want, got, "doc"); diff != "" {
			t.Fatalf("%s parse of %q: %s", name, data, diff)
		}
	}
	return true
}

// nodeDiff describes the first difference between two trees, comments
// aside.
func nodeDiff(want, got *yaml.Node, at string) string {
	w := fmt.Sprintf("kind %d style %d tag %q value %q anchor %q at %d:%d, %d children",
		want.Kind, want.Style, want.Tag, want.Value, want.Anchor, want.Line, want.Column, len(want.Content))
	g := fmt.Sprintf("kind %d style %d tag %q value %q anchor %q at %d:%d, %d children",
		got.Kind, got.Style, got.Tag, got.Value, got.Anchor, got.Line, got.Column, len(got.Content))
	if w != g || (want.Alias == nil) != (got.Alias == nil) {
		return at + ": yaml.v3 " + w + ", fastParse " + g
	}
	for i := range want.Content {
		if d := nodeDiff(want.Content[i], got.Content[i], fmt.Sprintf("%s/%d", at, i)); d != "" {
			return d
		}
	}
	return ""
}

// TestFastYAMLSubset checks that the configurations rotatord is given in
// practice take the fast path, and the seeds agree with yaml.v3.
func TestFastYAMLSubset(t *testing.T) {
	for _, s := range fastSeeds {
		checkFast(t, []byte(s))
	}
	b, err := os.ReadFile("../testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !checkFast(t, b) {
		t.Error("the minimal configuration left the fast path")
	}
	big := strings.Repeat("  - name: /a/b\n    target: t\n    sinks:\n      - {type: file, path: /x, profile: p}\n", 3)
	if !checkFast(t, []byte("version: 1\nsecrets:\n"+big+"notify: []\n")) {
		t.Error("a generated list of secrets left the fast path")
	}
}

// TestChunkedMatchesTree checks that decoding the secrets in chunks, with
// positions found again on demand, reports exactly what decoding the whole
// yaml.v3 tree reports, for every fixture and for a file of many secrets
// with problems spread over several chunks.
func TestChunkedMatchesTree(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*/*.yaml")
	inputs := map[string][]byte{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		inputs[file] = b
	}
	var b strings.Builder
	b.WriteString("version: 1\ntargets:\n  - name: t\n    access_key_id: AKIAIOSFODNN7EXAMPLE\n    secret_access_key_env: K\nsecrets:\n")
	for i := range 3 * chunkSize {
		name := fmt.Sprintf("/s/%d", i)
		switch i % 700 {
		case 3:
			name = "/s/1" // a duplicate of an earlier chunk's name
		case 5:
			name = "bad name"
		}
		fmt.Fprintf(&b, "  - name: %s\n    target: t\n    authentication_credentials: use-target-creds\n    access_key_id: AKIAIOSFODNN7EXAMPLE\n", name)
		if i%900 == 7 {
			b.WriteString("    rotation_interval: 0\n    bogus: 1\n")
		}
		fmt.Fprintf(&b, "    sinks:\n      - {type: file, path: /x/%d.ini, profile: p}\n", i%1000)
	}
	inputs["many.yaml"] = []byte(b.String())
	chunked := 0
	for file, data := range inputs {
		if doc, seq := fastParse(data, "secrets"); doc != nil && seq != nil && len(seq.items) > 0 {
			chunked++
		}
		c1, err1 := finish(parse(file, data))
		col := newCollector(file)
		root := readYAML(data, col)
		if col.errs != nil {
			continue
		}
		c2, err2 := finish(parseTree(file, root))
		if fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Errorf("%s: chunked:\n%v\nwhole tree:\n%v", file, err1, err2)
			continue
		}
		if fmt.Sprint(c1.Warnings) != fmt.Sprint(c2.Warnings) {
			t.Errorf("%s: warnings differ:\n%v\n%v", file, c1.Warnings, c2.Warnings)
		}
		if err1 == nil {
			m1, _ := c1.Marshal()
			m2, _ := c2.Marshal()
			if string(m1) != string(m2) {
				t.Errorf("%s: configurations differ:\n%s\n---\n%s", file, m1, m2)
			}
		}
	}
	if chunked < len(inputs)/2 {
		t.Errorf("only %d of %d inputs took the chunked path", chunked, len(inputs))
	}
	if _, err := Parse("many.yaml", inputs["many.yaml"]); !strings.Contains(fmt.Sprint(err), "is already the name of secrets[1] (line") {
		t.Errorf("many.yaml: %v", err)
	}
}
