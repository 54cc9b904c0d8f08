package edit

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/rotatord/rotatord/config"
)

// ErrDeleteProtected is wrapped by the error of Document.DeleteSecret for a
// secret with delete_protection: true.
var ErrDeleteProtected = errors.New("delete_protection is true")

// Field is one key of a mapping and the value an edit writes to it. Value
// is a string, an int or a bool (written as a YAML string, integer or
// boolean, whatever the text looks like), or a []Fields (a list of
// mappings, such as sinks).
type Field struct {
	Key   string
	Value any
}

// Fields is a mapping written in this order.
type Fields []Field

// Entry is one entry of targets: or secrets: in a Document, a YAML mapping
// edited in place.
type Entry struct {
	doc  *Document
	list string // "targets" or "secrets"
	name string // canonical for secrets
	node *yaml.Node
}

// Name returns the entry's name; a secret's is canonical.
func (e *Entry) Name() string { return e.name }

// line returns the entry's line in the file being edited, or 0 for a new
// entry.
func (e *Entry) line() int { return e.node.Line }

// Secret returns the entry of the rotated secret named name, compared by
// CanonicalName, or nil.
func (d *Document) Secret(name string) *Entry { return d.find("secrets", config.CanonicalName(name)) }

// Target returns the entry of the named target, or nil.
func (d *Document) Target(name string) *Entry { return d.find("targets", name) }

// AddSecret appends a rotated secret with the canonical form of name to
// secrets:, adding that key if the file lacks it. It fails if a secret of
// that name exists.
func (d *Document) AddSecret(name string) (*Entry, error) {
	return d.add("secrets", config.CanonicalName(name))
}

// AddTarget appends a target named name to targets:, adding that key if the
// file lacks it. It fails if a target of that name exists.
func (d *Document) AddTarget(name string) (*Entry, error) { return d.add("targets", name) }

// DeleteSecret removes the rotated secret named name, with its comments. A
// secret whose delete_protection is true (or anything but false) is
// refused with an error that wraps ErrDeleteProtected. The secret file it
// uses is removed after the configuration is replaced, if rotatord named
// it (see Entry.SetSecretKey) and no other entry uses it.
func (d *Document) DeleteSecret(name string) error {
	e := d.Secret(name)
	if e == nil {
		return fmt.Errorf("%s has no secret %s", d.file, strconv.Quote(config.CanonicalName(name)))
	}
	if v := e.value("delete_protection"); v != nil && !config.ReadsFalse(v) {
		return fmt.Errorf("secret %s (%s:%d) is protected (%w); set delete_protection: false first, then delete it",
			e.name, d.file, e.line(), ErrDeleteProtected)
	}
	seq := mapValue(d.top, "secrets")
	seq.Content = slices.DeleteFunc(seq.Content, func(n *yaml.Node) bool { return n == e.node })
	if p, ok := e.ownKeyFile(); ok && !d.keyFileUsed(p) {
		d.remove = append(d.remove, p)
	}
	return nil
}

// Set writes value to key: in place when the key exists (keeping its
// comments), otherwise as a new key placed in the order of the fields of
// Target or RotatedSecret. key must be one of those fields.
func (e *Entry) Set(key string, value any) error {
	n, err := valueNode(value)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return setKey(e.node, entryType(e.list), key, n)
}

// unset removes key and its value, if present.
func (e *Entry) unset(key string) {
	for i := 0; i+1 < len(e.node.Content); i += 2 {
		if e.node.Content[i].Value == key {
			e.node.Content = slices.Delete(e.node.Content, i, i+2)
			return
		}
	}
}

// value returns the scalar value of key, or nil.
func (e *Entry) value(key string) *yaml.Node {
	if v := mapValue(e.node, key); v != nil && v.Kind == yaml.ScalarNode {
		return v
	}
	return nil
}

func entryType(list string) reflect.Type {
	if list == "targets" {
		return reflect.TypeFor[config.Target]()
	}
	return reflect.TypeFor[config.RotatedSecret]()
}

// find returns the entry of list whose name (canonical for secrets) is
// name.
func (d *Document) find(list, name string) *Entry {
	seq := mapValue(d.top, list)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	for _, item := range seq.Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		v := mapValue(item, "name")
		if v == nil || v.Kind != yaml.ScalarNode {
			continue
		}
		got := v.Value
		if list == "secrets" {
			got = config.CanonicalName(got)
		}
		if got == name {
			return &Entry{doc: d, list: list, name: name, node: item}
		}
	}
	return nil
}

// add appends a new entry with only its name to list.
func (d *Document) add(list, name string) (*Entry, error) {
	if e := d.find(list, name); e != nil {
		return nil, fmt.Errorf("%s already has %s %s (line %d)", d.file, list[:len(list)-1], strconv.Quote(name), e.line())
	}
	seq := mapValue(d.top, list)
	switch {
	case seq != nil && seq.Kind == yaml.SequenceNode:
	case seq == nil || seq.ShortTag() == "!!null":
		seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if err := setKey(d.top, reflect.TypeFor[config.Config](), list, seq); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s:%d: %s is not a list; fix the file first", d.file, seq.Line, list)
	}
	seq.Style = 0 // a flow "[]" would put the new entry on one line
	item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	seq.Content = append(seq.Content, item)
	e := &Entry{doc: d, list: list, name: name, node: item}
	return e, e.Set("name", name)
}

// mapValue returns the value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setKey sets key of mapping m (whose fields are those of t) to n. An
// existing scalar is changed in place, keeping its comments; any other
// existing value is replaced, its comments moved to n. A new key goes
// before the first key that t declares after it.
func setKey(m *yaml.Node, t reflect.Type, key string, n *yaml.Node) error {
	order := config.Keys(t)
	rank := slices.Index(order, key)
	if rank < 0 {
		return fmt.Errorf("%s is not a field of %s", key, t.Name())
	}
	at := len(m.Content)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Value == key {
			return replace(&m.Content[i+1], n, key)
		}
		if r := slices.Index(order, k.Value); r > rank && at == len(m.Content) {
			at = i
		}
	}
	m.Content = slices.Insert(m.Content, at, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, n)
	return nil
}

// replace puts n where *old is.
func replace(old **yaml.Node, n *yaml.Node, key string) error {
	o := *old
	if o.Anchor != "" {
		return fmt.Errorf("%s is an anchor (&%s) that other values may share; change it in the file itself", key, o.Anchor)
	}
	if o.Kind == yaml.ScalarNode && n.Kind == yaml.ScalarNode {
		o.Tag, o.Value, o.Style = n.Tag, n.Value, 0
		return nil
	}
	n.HeadComment, n.LineComment, n.FootComment = o.HeadComment, o.LineComment, o.FootComment
	*old = n
	return nil
}

// valueNode makes the node of a Field's value.
func valueNode(v any) (*yaml.Node, error) {
	scalar := func(tag, s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s} }
	switch v := v.(type) {
	case string:
		return scalar("!!str", v), nil
	case int:
		return scalar("!!int", strconv.Itoa(v)), nil
	case bool:
		return scalar("!!bool", strconv.FormatBool(v)), nil
	case []Fields:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, fs := range v {
			m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for _, f := range fs {
				n, err := valueNode(f.Value)
				if err != nil {
					return nil, err
				}
				m.Content = append(m.Content, scalar("!!str", f.Key), n)
			}
			seq.Content = append(seq.Content, m)
		}
		return seq, nil
	}
	return nil, fmt.Errorf("cannot write a value of type %T", v)
}

// resolve makes a path from the file absolute, as config.Parse does.
func (d *Document) resolve(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(d.dir, p)
}
