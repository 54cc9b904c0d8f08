package config

import (
	"strings"
)

// sink checks one sink of a secret: its type, then its kind's own rules.
// The decoder has already rejected fields that do not apply to the type.
func (k *checker) sink(s *Sink, path string) {
	switch {
	case len(sinkKinds) == 0:
		// A program that parses configurations imports
		// internal/sink/kinds; this one was built without it.
		k.errorf(path+".type", "this program knows no sink type (it was built without internal/sink/kinds); use the rotatord binary")
	case s.Type == "":
		k.errorf(path+".type", "required; say which kind of sink this is (supported: %s)", strings.Join(sinkTypes(), ", "))
	case s.Spec == nil:
		if c := closest(s.Type, sinkTypes()); c != "" {
			k.errorf(path+".type", "%s is not a sink type (did you mean %s?)", quote(s.Type), c)
		} else {
			k.errorf(path+".type", "%s is not a sink type (supported: %s)", quote(s.Type), strings.Join(sinkTypes(), ", "))
		}
	default:
		k.sc = SinkChecker{k: k, path: path}
		s.Spec.CheckSink(&k.sc)
	}
}

// readers names who besides the owner may read a file of mode m.
func readers(m uint32) string {
	switch {
	case m&0o044 == 0o044:
		return "group and others"
	case m&0o040 != 0:
		return "its group"
	}
	return "others"
}
