package config

import (
	"bytes"
	"reflect"

	"gopkg.in/yaml.v3"
)

// omitZero lists the fields whose zero value means "not given" and that
// Marshal leaves out when zero. allow_insecure_endpoint prints only where
// it is true, so that an insecure endpoint stands out.
var omitZero = map[string]bool{"rotation_interval": true, "lease_duration": true, "allow_insecure_endpoint": true, "retire_max_wait": true, "retire_on_timeout": true, "rate_limit_max": true}

// Marshal returns the effective configuration as YAML, for `rotatord
// validate --print`: every default filled in, fields in the order of the
// file format (the order DESIGN.md documents them in), empty optional
// fields left out. Inline secrets print as [redacted], and only where the
// file gave them inline; file and environment references print as the
// resolved path and the variable's name, and a template read from
// template_file as that path. The protection key never prints. A sink
// shows only the fields of its type. Parse accepts the output.
func (c *Config) Marshal() ([]byte, error) {
	n, err := marshalStruct(reflect.ValueOf(c).Elem())
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// marshalStruct builds a mapping node from v's yaml-tagged fields. A sink
// shows its type, then the fields of its kind's spec, in their order.
func marshalStruct(v reflect.Value) (*yaml.Node, error) {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if err := marshalFields(m, v); err != nil {
		return nil, err
	}
	if v.Type() == sinkType {
		if spec := v.FieldByName("Spec"); !spec.IsNil() {
			return m, marshalFields(m, spec.Elem().Elem())
		}
	}
	return m, nil
}

// marshalFields appends v's yaml-tagged fields to the mapping m.
func marshalFields(m *yaml.Node, v reflect.Value) error {
	fs := fieldsOf(v.Type())
	for _, f := range fs {
		fv := v.Field(f.index)
		if skipField(v, f.name, fv) {
			continue
		}
		val, err := marshalValue(fv)
		if err != nil {
			return err
		}
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.name}
		m.Content = append(m.Content, key, val)
	}
	return nil
}

// skipField reports whether Marshal leaves the field out: empty strings,
// lists and maps, zero "not given" numbers, and a value (a SecretValue, a
// template) that Load read from its _file or _env sibling.
func skipField(parent reflect.Value, name string, v reflect.Value) bool {
	if sibling(parent, name+"_file") != "" || sibling(parent, name+"_env") != "" {
		return true
	}
	switch {
	case v.Kind() == reflect.String, v.Kind() == reflect.Slice, v.Kind() == reflect.Map:
		return v.Len() == 0
	case omitZero[name]:
		return v.IsZero()
	}
	return false
}

// sibling returns the string field named by yaml tag in parent, or "".
func sibling(parent reflect.Value, name string) string {
	for _, f := range fieldsOf(parent.Type()) {
		if f.name == name {
			return parent.Field(f.index).String()
		}
	}
	return ""
}

// marshalValue builds the node of one field.
func marshalValue(v reflect.Value) (*yaml.Node, error) {
	switch {
	case v.Kind() == reflect.Struct && v.Type() != durationType:
		return marshalStruct(v)
	case v.Kind() == reflect.Slice:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if v.Type().Elem().Kind() != reflect.Struct {
			seq.Style = yaml.FlowStyle // command: [/usr/bin/systemctl, reload, app]
		}
		for i := range v.Len() {
			item, err := marshalValue(v.Index(i))
			if err != nil {
				return nil, err
			}
			seq.Content = append(seq.Content, item)
		}
		return seq, nil
	}
	n := &yaml.Node{}
	if err := n.Encode(v.Interface()); err != nil {
		return nil, err
	}
	return n, nil
}
