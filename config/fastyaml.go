package config

import (
	"reflect"

	"github.com/rotatord/rotatord/config/internal/fastyaml"
	"gopkg.in/yaml.v3"
)

// fastPathMin is the size from which Parse tries the fast path: package
// fastyaml for the syntax, and the secrets decoded and checked in chunks
// (parseChunked) on every CPU, reusing a reload's unchanged secrets.
// Smaller files are parsed by yaml.v3 alone. Both give the same result;
// the threshold only decides what pays.
// For now every file tries it, as before.
const fastPathMin = 0

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
		GraceTimingAfter, GraceTimingBefore, RetireDelete, RetireDeactivate,
		SinkFile, SinkSecretsManager, SinkSSM, SinkWebhook, SinkCommand,
		FormatAWSCredentials, FormatEnv, FormatJSON, FormatTemplate, DefaultProfile, "0600", "0640", "0400"} {
		m[w] = w
	}
	return m
}()
