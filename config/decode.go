package config

import (
	"reflect"
	"strconv"
	"strings"
	"sync"

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
// unknown and duplicate keys, and never echoes a SecretValue.
type decoder struct {
	*collector
	budget int
}

var (
	secretType   = reflect.TypeFor[SecretValue]()
	durationType = reflect.TypeFor[Duration]()
	modeType     = reflect.TypeFor[FileMode]()
	rateType     = reflect.TypeFor[Rate]()
	sinkType     = reflect.TypeFor[Sink]()
	posType      = reflect.TypeFor[Pos]()
)

// field is one yaml-tagged field of a struct.
type field struct {
	name  string
	index int
}

// fieldCache holds fieldsOf's answers: a configuration of 100,000 secrets
// asks for the same few struct types millions of times.
var fieldCache sync.Map // reflect.Type → []field

// posFields caches posField's answers.
var posFields sync.Map // reflect.Type → int

// posField is the index of t's Pos field, or -1.
func posField(t reflect.Type) int {
	if i, ok := posFields.Load(t); ok {
		return i.(int)
	}
	i := -1
	if f, ok := t.FieldByName("Pos"); ok && f.Type == posType && len(f.Index) == 1 {
		i = f.Index[0]
	}
	posFields.Store(t, i)
	return i
}

// fieldsOf lists the yaml-tagged fields of t in declaration order. The
// slice is shared: callers must not modify it.
func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	fs := computeFields(t)
	fieldCache.Store(t, fs)
	return fs
}

func computeFields(t reflect.Type) []field {
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
	case rateType:
		d.rate(n, path, v)
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
	case reflect.Map:
		d.stringMap(n, path, v)
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
	if i := posField(v.Type()); i >= 0 {
		*v.Field(i).Addr().Interface().(*Pos) = p
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
	for _, p := range ps {
		i, ok := fieldIndex(fs, p.key.Value)
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

// sequence decodes a list into the slice v: one entity per item for a list
// of structs, one value per item for a list of strings or numbers.
func (d *decoder) sequence(n *yaml.Node, path string, v reflect.Value) {
	entities := v.Type().Elem().Kind() == reflect.Struct
	if n.Kind != yaml.SequenceNode {
		d.notAList(n, path, entities)
		return
	}
	d.pos[path] = nodePos(n)
	elems := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		e := elems.Index(i) // decoded in place: no copy of a large Sink
		p := indexPath(path, i)
		switch item = resolveAlias(item); {
		case isNull(item) && entities:
			d.add(nodePos(item), p, p, "empty entry; each entry is a mapping of fields")
		case isNull(item):
			d.add(nodePos(item), p, p, "empty entry; write a value or remove the entry")
		default:
			d.value(item, p, e)
		}
	}
	v.Set(elems)
}

// notAList reports a value where a list belongs. A single value that
// should have been a list of values gets an example of the list.
func (d *decoder) notAList(n *yaml.Node, path string, entities bool) {
	switch {
	case entities || n.Kind != yaml.ScalarNode:
		d.typeError(n, path, "a list", false)
	case strings.HasSuffix(path, ".command"):
		d.fail(n, path, "expected a list, got "+describe(n, false)+"; write the program and each argument as its own entry, such as [/usr/bin/systemctl, reload, app]")
	default:
		d.fail(n, path, "expected a list, got "+describe(n, false)+"; write it in brackets, such as ["+cut(n.Value)+"]")
	}
}

// stringMap decodes a mapping of names to string values (tags) into the
// map v, keeping each value's position and rejecting duplicate names.
func (d *decoder) stringMap(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping of names to values", false)
		return
	}
	d.pos[path] = nodePos(n)
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for _, p := range d.pairs(n, path, true, 0) {
		kp := keyPath(path, p.key.Value)
		val := reflect.New(v.Type().Elem()).Elem()
		if item := resolveAlias(p.val); isNull(item) {
			d.add(nodePos(item), kp, kp, `empty value; write the value, or "" for an empty one`)
			continue
		}
		d.value(p.val, kp, val)
		m.SetMapIndex(reflect.ValueOf(p.key.Value), val)
	}
	v.Set(m)
}

// keyPath appends a map key to a path: tags.team, or tags["cost center"]
// when the key is not a plain word.
func keyPath(path, key string) string {
	if plainKeyRe.MatchString(key) {
		return joinPath(path, key)
	}
	return path + "[" + strconv.Quote(cut(key)) + "]"
}

// fieldIndex finds a field by its yaml name; structs have few fields, so a
// scan beats building a map per mapping.
func fieldIndex(fs []field, name string) (int, bool) {
	for _, f := range fs {
		if f.name == name {
			return f.index, true
		}
	}
	return 0, false
}
