package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// sinkTypes lists the sink types, in the order messages name them.
var sinkTypes = []string{SinkFile, SinkSecretsManager, SinkSSM, SinkWebhook, SinkCommand}

// sinkFields lists, for each sink type, the fields of Sink that apply to
// it besides type, in the order Marshal prints them. A field of Sink that
// is not in its type's list is an error where the file sets it.
var sinkFields = map[string][]string{
	SinkFile: {"path", "format", "profile", "mode", "owner", "template", "template_file"},
	SinkSecretsManager: {"secret_id", "target", "create", "kms_key_id", "tags",
		"key_id_field", "secret_field"},
	SinkSSM: {"name", "id_parameter", "secret_parameter", "target", "key_id", "tier"},
	SinkWebhook: {"url", "url_file", "url_env", "hmac_secret", "hmac_secret_file", "hmac_secret_env",
		"bearer_token", "bearer_token_file", "bearer_token_env", "ca_file", "cert_file", "key_file",
		"include_value", "timeout"},
	SinkCommand: {"command", "timeout"},
}

// sinkIndex maps each yaml name of Sink to its field index.
var sinkIndex = func() map[string]int {
	m := map[string]int{}
	for _, f := range fieldsOf(sinkType) {
		m[f.name] = f.index
	}
	return m
}()

// sink decodes one sink: its type first, then the fields that apply to
// that type. A field of another type is reported at its key, naming the
// fields the type takes; a sink without a known type reports only that
// (validation does), since its other fields mean nothing yet.
func (d *decoder) sink(n *yaml.Node, path string, v reflect.Value) {
	if !d.entity(n, path, v) {
		return
	}
	ps := d.pairs(n, path, true, 0)
	var rest []pair
	for _, p := range ps {
		if p.key.Value == "type" {
			d.value(p.val, joinPath(path, "type"), v.Field(sinkIndex["type"]))
		} else {
			rest = append(rest, p)
		}
	}
	typ := v.Field(sinkIndex["type"]).String()
	allowed, ok := sinkFields[typ]
	if !ok {
		return
	}
	for _, p := range rest {
		key := p.key.Value
		i, exists := sinkIndex[key]
		switch {
		case slices.Contains(allowed, key):
			d.value(p.val, joinPath(path, key), v.Field(i))
		case exists:
			d.add(nodePos(p.key), path, joinPath(path, "\x00"+key),
				fmt.Sprintf("field %s does not apply to type %s (it takes: %s)", quote(key), typ, strings.Join(allowed, ", ")))
		default:
			d.unknown(p.key, path, append([]string{"type"}, allowed...))
		}
	}
}
