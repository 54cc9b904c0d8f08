package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
			b.WriteString("    rotation_interval: 0\n    rotation_hour: -1\n    catch_up: \"\"\n    bogus: 1\n")
		}
		fmt.Fprintf(&b, "    sinks:\n      - {type: file, path: /x/%d.ini, profile: p}\n", i%1000)
	}
	inputs["many.yaml"] = []byte(b.String())
	chunked := 0
	for file, data := range inputs {
		c, col, ok := parseFast(file, data, nil)
		if ok && c.items != nil && len(c.Secrets) > 0 {
			chunked++
		}
		if !ok {
			c, col = parse(file, data)
		}
		c1, err1 := finish(c, col)
		col = newCollector(file)
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

// TestFastPathMin checks that Parse takes the fast path from fastPathMin
// bytes on, and yaml.v3 below.
func TestFastPathMin(t *testing.T) {
	small, big := manySecrets(1), manySecrets(1)
	for n := 2; len(big) < fastPathMin; n++ {
		small, big = big, manySecrets(n)
	}
	for _, c := range []struct {
		name string
		data []byte
		fast bool
	}{{"below", small, false}, {"above", big, true}} {
		got, col := parse("f.yaml", c.data)
		if len(col.errs) > 0 {
			t.Fatalf("%s: %v", c.name, col.errs)
		}
		if fast := got.items != nil; fast != c.fast {
			t.Errorf("%s the threshold (%d bytes): fast path %v, want %v", c.name, len(c.data), fast, c.fast)
		}
	}
}
