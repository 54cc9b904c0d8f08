package config

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// maxMergeDepth bounds how deep merge keys (<<: *anchor) may nest.
const maxMergeDepth = 8

// pair is one key and its value in a mapping.
type pair struct{ key, val *yaml.Node }

// pairs lists the keys of the mapping n with their values, in file order,
// then the keys that merge keys (<<: *defaults) bring in and that the
// mapping does not set itself. With report set, it reports duplicate keys
// and keys that are not plain strings; merged mappings are reported where
// they are defined.
func (d *decoder) pairs(n *yaml.Node, path string, report bool, depth int) []pair {
	var seen keySet
	seen.list = seen.small[:0]
	own := make([]pair, 0, len(n.Content)/2)
	var merged []pair
	for i := 0; i+1 < len(n.Content) && d.spend(n, path); i += 2 {
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(v, path, report, depth)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			if report {
				d.add(nodePos(k), path, fmt.Sprintf("%s\x00key%d:%d", path, k.Line, k.Column),
					"field names must be plain words, got "+describe(k, false))
			}
			continue
		}
		if first, dup := seen.get(k.Value); dup {
			if report {
				// Later rules must not reason about a value that is
				// ambiguous: mark the field as failed.
				d.seen[joinPath(path, k.Value)] = true
				d.add(nodePos(k), path, fmt.Sprintf("%s\x00dup%d:%d", path, k.Line, k.Column),
					fmt.Sprintf("duplicate field %s (first at line %d); remove one of them", quote(k.Value), first.Line))
			}
			continue
		}
		seen.put(k.Value, k)
		own = append(own, pair{k, v})
	}
	for _, p := range merged {
		if _, ok := seen.get(p.key.Value); !ok {
			seen.put(p.key.Value, p.key)
			own = append(own, p)
		}
	}
	return own
}

// merge returns the pairs a merge key's value brings in: one mapping, or a
// list of mappings where the earlier ones win.
func (d *decoder) merge(v *yaml.Node, path string, report bool, depth int) []pair {
	v = resolveAlias(v)
	bad := func(msg string) []pair {
		if report {
			d.add(nodePos(v), path, fmt.Sprintf("%s\x00merge%d:%d", path, v.Line, v.Column), msg)
		}
		return nil
	}
	if depth >= maxMergeDepth {
		return bad("merge keys (<<) nest too deep")
	}
	switch v.Kind {
	case yaml.MappingNode:
		return d.pairs(v, path, false, depth+1)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range v.Content {
			item = resolveAlias(item)
			if item.Kind != yaml.MappingNode {
				return bad("a merge key (<<) takes a mapping or a list of mappings")
			}
			out = append(out, d.pairs(item, path, false, depth+1)...)
		}
		return out
	}
	return bad("a merge key (<<) takes a mapping or a list of mappings")
}

// keySet holds the keys of one mapping: a list while it is short, as most
// are, and a map beyond.
type keySet struct {
	small [16]*yaml.Node
	list  []*yaml.Node
	m     map[string]*yaml.Node
}

func (s *keySet) get(key string) (*yaml.Node, bool) {
	if s.m != nil {
		n, ok := s.m[key]
		return n, ok
	}
	for _, n := range s.list {
		if n.Value == key {
			return n, true
		}
	}
	return nil, false
}

func (s *keySet) put(key string, n *yaml.Node) {
	switch {
	case s.m != nil:
		s.m[key] = n
	case len(s.list) < 16:
		s.list = append(s.list, n)
	default:
		s.m = make(map[string]*yaml.Node, 2*len(s.list))
		for _, k := range s.list {
			s.m[k.Value] = k
		}
		s.m[key] = n
	}
}
