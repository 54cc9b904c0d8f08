package config

import (
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// budgetFor bounds the values a document may expand to through aliases
// and merge keys, relative to its size as written, so that a few anchors
// cannot make decoding take forever (as yaml.v3 bounds its alias ratio).
func budgetFor(root *yaml.Node) int {
	n := 0
	var count func(*yaml.Node)
	count = func(x *yaml.Node) {
		n++
		for _, c := range x.Content {
			count(c)
		}
	}
	count(root)
	return 10*n + 10_000
}

// spend takes one unit of the budget, reporting once when it runs out.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	if d.budget--; d.budget >= 0 {
		return true
	}
	d.add(nodePos(n), path, "\x00budget", "the file expands to too many values through aliases and merge keys")
	return false
}

// decoder walks a yaml.Node tree into the Config structs by their yaml
// tags. Unlike yaml.Node.Decode it knows every value's position, rejects
// unknown and duplicate keys, and never echoes a Secret.
type decoder struct {
	*collector
	budget int
}

var (
	secretType   = reflect.TypeFor[Secret]()
	durationType = reflect.TypeFor[Duration]()
	modeType     = reflect.TypeFor[FileMode]()
	sinkType     = reflect.TypeFor[Sink]()
	posType      = reflect.TypeFor[Pos]()
)

// field is one yaml-tagged field of a struct.
type field struct {
	name  string
	index int
}

// fieldsOf lists the yaml-tagged fields of t in declaration order.
func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		fs = append(fs, field{name: tag, index: i})
	}
	return fs
}

// fieldNames lists the yaml names of fs.
func fieldNames(fs []field) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

// resolveAlias follows aliases to the node they name.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; i < 64 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func nodePos(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// value decodes n into v, whose field path is path. A null value leaves v
// as it is and the path absent from the positions table.
func (d *decoder) value(n *yaml.Node, path string, v reflect.Value) {
	if !d.spend(n, path) {
		return
	}
	n = resolveAlias(n)
	if isNull(n) {
		return
	}
	switch v.Type() {
	case secretType:
		d.secret(n, path, v)
		return
	case durationType:
		d.duration(n, path, v)
		return
	case modeType:
		d.mode(n, path, v)
		return
	case sinkType:
		d.sink(n, path, v)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, path, v)
	case reflect.Slice:
		d.sequence(n, path, v)
	case reflect.String:
		d.str(n, path, v)
	case reflect.Int:
		d.integer(n, path, v)
	case reflect.Float64:
		d.float(n, path, v)
	case reflect.Bool:
		d.boolean(n, path, v)
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

// entity checks that n is a mapping and records it as the entity at path,
// setting v's Pos field when it has one.
func (d *decoder) entity(n *yaml.Node, path string, v reflect.Value) bool {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping of fields", false)
		return false
	}
	p := nodePos(n)
	d.pos[path] = p
	if f := v.FieldByName("Pos"); f.IsValid() && f.Type() == posType {
		f.Set(reflect.ValueOf(p))
	}
	return true
}

// mapping decodes a mapping into the struct v.
func (d *decoder) mapping(n *yaml.Node, path string, v reflect.Value) {
	if !d.entity(n, path, v) {
		return
	}
	d.fields(d.pairs(n, path, true, 0), path, v)
}

// fields decodes key/value pairs into the struct v, reporting unknown keys
// at the key with the closest known name.
func (d *decoder) fields(ps []pair, path string, v reflect.Value) {
	fs := fieldsOf(v.Type())
	byName := make(map[string]int, len(fs))
	for _, f := range fs {
		byName[f.name] = f.index
	}
	for _, p := range ps {
		i, ok := byName[p.key.Value]
		if !ok {
			d.unknown(p.key, path, fieldNames(fs))
			continue
		}
		d.value(p.val, joinPath(path, p.key.Value), v.Field(i))
	}
}

// unknown reports an unknown key at the key itself.
func (d *decoder) unknown(key *yaml.Node, path string, known []string) {
	msg := "unknown field " + quote(key.Value)
	if s := closest(key.Value, known); s != "" {
		msg += " (did you mean " + s + "?)"
	}
	d.add(nodePos(key), path, joinPath(path, "\x00"+key.Value), msg)
}

// sequence decodes a list into the slice v, one entity per item.
func (d *decoder) sequence(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.typeError(n, path, "a list", false)
		return
	}
	d.pos[path] = nodePos(n)
	elems := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, item := range n.Content {
		e := reflect.New(v.Type().Elem()).Elem()
		p := indexPath(path, i)
		if item = resolveAlias(item); isNull(item) {
			d.add(nodePos(item), p, p, "empty entry; each entry is a mapping of fields")
		} else {
			d.value(item, p, e)
		}
		elems = reflect.Append(elems, e)
	}
	v.Set(elems)
}

// sink decodes one sink. Only the fields of supported types are decoded:
// the other types are reported by validation, not field by field.
func (d *decoder) sink(n *yaml.Node, path string, v reflect.Value) {
	if !d.entity(n, path, v) {
		return
	}
	ps := d.pairs(n, path, true, 0)
	for _, p := range ps {
		if p.key.Value == "type" {
			d.fields([]pair{p}, path, v)
		}
	}
	if v.FieldByName("Type").String() != SinkFile {
		return
	}
	rest := ps[:0:0]
	for _, p := range ps {
		if p.key.Value != "type" {
			rest = append(rest, p)
		}
	}
	d.fields(rest, path, v)
}
