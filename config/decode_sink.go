package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// sink decodes one sink: its type first, then, into a new spec of that
// type's kind, the fields that apply to it. A field of another kind is
// reported at its key, naming the fields the type takes; a sink without a
// registered type reports only that (validation does), since its other
// fields mean nothing yet.
func (d *decoder) sink(n *yaml.Node, path string, v reflect.Value) {
	if !d.entity(n, path, v) {
		return
	}
	s := v.Addr().Interface().(*Sink)
	ps := d.pairs(n, path, true, 0)
	var rest []pair
	for _, p := range ps {
		if p.key.Value == "type" {
			d.value(p.val, joinPath(path, "type"), reflect.ValueOf(&s.Type).Elem())
		} else {
			rest = append(rest, p)
		}
	}
	kind, ok := sinkKindByName[s.Type]
	if !ok {
		return
	}
	spec := kind.newSpec()
	sv := reflect.ValueOf(spec).Elem()
	for _, p := range rest {
		key := p.key.Value
		i, ok := fieldIndex(kind.fields, key)
		switch {
		case ok:
			d.value(p.val, joinPath(path, key), sv.Field(i))
		case sinkFieldNames[key]:
			d.add(nodePos(p.key), path, joinPath(path, "\x00"+key),
				fmt.Sprintf("field %s does not apply to type %s (it takes: %s)", quote(key), s.Type, strings.Join(fieldNames(kind.fields), ", ")))
		default:
			d.unknown(p.key, path, append([]string{"type"}, fieldNames(kind.fields)...))
		}
	}
	s.Spec = spec
}
