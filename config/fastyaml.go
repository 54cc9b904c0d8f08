package config

import (
	"reflect"

	"github.com/rotatord/rotatord/config/internal/fastyaml"
	"gopkg.in/yaml.v3"
)

// fastPathMin is the size, in bytes, from which Parse tries the fast
// path: package fastyaml for the syntax, and the secrets decoded and
// checked in chunks on every CPU (parseChunked), reusing a reload's
// unchanged secrets. Smaller files are parsed by yaml.v3 and decoded as
// one tree. Both paths give the same result; the threshold only decides
// where the fast one pays.
//
// BenchmarkPaths (Parse's work on manySecrets' files, about 290 bytes a
// secret; medians of 5 runs, 2 for the largest, on 2 shared CPUs):
//
//	secrets  bytes   yaml.v3  fast     saved
//	5        1.8 KB  0.36 ms  0.17 ms  0.2 ms
//	20       6.2 KB  1.6 ms   0.61 ms  1.0 ms
//	50       15 KB   2.7 ms   1.4 ms   1.3 ms
//	100      29 KB   8.3 ms   2.6 ms   5.7 ms
//	1,000    290 KB  72 ms    27 ms    45 ms
//	10,000   2.9 MB  0.84 s   0.23 s   0.61 s
//	100,000  29 MB   9.0 s    2.5 s    6.5 s
//
// The fast path is quicker at every size, but below 16 KiB (about 55
// secrets, four times the largest fixture) yaml.v3
// takes under 3 ms, a tenth of the 35 ms rotatord validate needs to
// start, and the saving is under 1.5 ms: there the parser everyone uses
// is worth more than the time. Above it the saving grows with the file,
// to seconds for 100,000 secrets.
const fastPathMin = 16 << 10

// parseFast is parseWith on the fast path, or false when fastyaml
// declines the file or one of its secrets.
func parseFast(file string, data []byte, prev *Config) (*Config, *collector, bool) {
	doc, seq, ok := fastyaml.Parse(data, fastyaml.Options{Lazy: "secrets", Words: common})
	switch {
	case !ok:
		return nil, nil, false
	case seq != nil && secretsKeys(doc.Content[0]) == 1:
		return parseChunked(file, doc, seq, prev)
	case seq == nil || seq.Materialize():
		c, col := parseTree(file, doc)
		return c, col, true
	}
	return nil, nil, false
}

// secretsKeys counts the secrets keys of a top-level mapping.
func secretsKeys(top *yaml.Node) int {
	n := 0
	for i := 0; i < len(top.Content); i += 2 {
		if top.Content[i].Value == "secrets" {
			n++
		}
	}
	return n
}

// common holds the words a configuration repeats in every secret: field
// names and the usual values. Scalars that are one of them share it
// rather than each holding a copy (fastyaml.Options.Words).
var common = func() map[string]string {
	m := map[string]string{}
	for _, t := range []reflect.Type{reflect.TypeFor[Config](), reflect.TypeFor[State](), reflect.TypeFor[Target](),
		reflect.TypeFor[RotatedSecret](), reflect.TypeFor[Sink](), reflect.TypeFor[Notify]()} {
		for _, f := range fieldsOf(t) {
			m[f.name] = f.name
		}
	}
	for _, w := range []string{"true", "false", "0", "1", "2", "3", "7", "30", "60", "90",
		UseUserCreds, UseTargetCreds, RotatorAPIKey, RotatorTarget, CatchUpImmediate, CatchUpNextHour,
		GraceTimingAfter, GraceTimingBefore, RetireDelete, RetireDeactivate, RetireWhenAlways, RetireWhenUnused,
		"aws-credentials", "env", "json", "template", "default", "0600", "0640", "0400"} { // and each sink kind's (RegisterSink)
		m[w] = w
	}
	return m
}()
