package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/config/internal/fastyaml"
)

// manySecrets writes a configuration of n secrets over 4 targets, each
// with a file sink, as a platform team's generator would.
func manySecrets(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nstate:\n  path: state.db\n  protection_key_env: PK\ntargets:\n")
	for t := range 4 {
		fmt.Fprintf(&b, "  - name: t%d\n    access_key_id: AKIAADMIN%07d\n    secret_access_key_env: T%d\n", t, t, t)
	}
	b.WriteString("secrets:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: /bench/s%06d\n    target: t%d\n    authentication_credentials: use-target-creds\n"+
			"    access_key_id: AKIA%016d\n    user_name: u%06d\n    auto_rotate: true\n    rotation_interval: 30\n"+
			"    rotation_hour: 3\n    sinks:\n      - {type: file, path: /run/s/%06d.ini, profile: p}\n", i, i%4, i, i, i)
	}
	return []byte(b.String())
}

// BenchmarkParse decodes and validates configurations of 1,000, 10,000
// and 100,000 secrets (what rotatord validate does, less reading the
// file and its secret references).
func BenchmarkParse(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		data := manySecrets(n)
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse("/etc/rotatord/rotatord.yaml", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// pathSizes are the numbers of secrets BenchmarkSyntax and BenchmarkPaths
// compare the two paths at, to place fastPathMin.
var pathSizes = []int{5, 20, 50, 100, 1_000, 10_000, 100_000}

// BenchmarkSyntax parses configurations of n secrets into a yaml.Node
// tree: with yaml.v3 (readDocument), and with fastyaml, the whole tree.
func BenchmarkSyntax(b *testing.B) {
	for _, n := range pathSizes {
		data := manySecrets(n)
		b.Run(fmt.Sprintf("yaml.v3/secrets=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := readDocument(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("fastyaml/secrets=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, ok := fastyaml.Parse(data, fastyaml.Options{Words: common}); !ok {
					b.Fatal("fastyaml declined")
				}
			}
		})
	}
}

// BenchmarkPaths runs Parse on configurations of n secrets down each
// path: yaml.v3 and the whole tree decoded, or fastyaml and the secrets
// decoded in chunks (parseFast).
func BenchmarkPaths(b *testing.B) {
	const file = "/etc/rotatord/rotatord.yaml"
	for _, n := range pathSizes {
		data := manySecrets(n)
		b.Run(fmt.Sprintf("yaml.v3/secrets=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				col := newCollector(file)
				root := readYAML(data, col)
				if _, err := finish(parseTree(file, root)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("fast/secrets=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				c, col, ok := parseFast(file, data, nil)
				if !ok {
					b.Fatal("fastyaml declined")
				}
				if _, err := finish(c, col); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReload loads a file of 100,000 secrets of which 1% changed,
// with the previous Config, as the daemon's reload does.
func BenchmarkReload(b *testing.B) {
	dir := b.TempDir()
	data := manySecrets(100_000)
	path := writeFile(b, dir, "rotatord.yaml", string(data), 0o600)
	env := lookupIn(map[string]string{"PK": testKey, "T0": "t0-secret", "T1": "t1-secret", "T2": "t2-secret", "T3": "t3-secret"})
	prev, err := LoadWith(path, LoadOptions{LookupEnv: env})
	if err != nil {
		b.Fatal(err)
	}
	items := strings.Split(string(data), "\n  - name: ")
	for i := 1; i < len(items); i += 100 {
		items[i] = strings.Replace(items[i], "rotation_hour: 3", "rotation_hour: 4", 1)
	}
	writeFile(b, dir, "rotatord.yaml", strings.Join(items, "\n  - name: "), 0o600)
	b.ReportAllocs()
	for b.Loop() {
		c, err := LoadWith(path, LoadOptions{LookupEnv: env, Previous: prev})
		if err != nil {
			b.Fatal(err)
		}
		if c.items.reused != 99_000 {
			b.Fatalf("%d secrets reused, want 99,000", c.items.reused)
		}
	}
}
