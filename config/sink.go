package config

import (
	"fmt"
	"reflect"
)

// Sink is where each new current value of a secret is delivered. Type names
// its kind; Spec holds the kind's own fields, decoded into the struct that
// the kind's package registered (RegisterSink). Spec is nil when the file
// gives no type or one that no package registered, which validation
// reports.
type Sink struct {
	Type string   `yaml:"type"`
	Spec SinkSpec `yaml:"-"`

	Pos Pos `yaml:"-"`
}

// SinkSpec is one sink kind's configuration: a pointer to a struct whose
// yaml-tagged fields are the fields the kind takes, in the order `validate
// --print` shows them. Its fields may be strings, bools, ints, SecretValue,
// Duration, FileMode, []string and map[string]string; the decoder fills
// them with positions, and rejects a field of another kind at its key. A
// field X read from a sibling X_file or X_env (a SecretValue, a template) is
// cleared again by the same rule when a reload reuses the sink, and does
// not print.
type SinkSpec interface {
	// SinkDefaults fills in what the file left out, before CheckSink. A
	// field the file gave, even empty, keeps its value (d.Given).
	SinkDefaults(d *SinkChecker)
	// CheckSink reports every problem of the kind's own fields through c,
	// at their line and column.
	CheckSink(c *SinkChecker)
}

// SinkResolver is a SinkSpec that refers to secrets or files that Load
// reads (a URL from url_file, a template_file), after validation.
type SinkResolver interface {
	ResolveSink(r *SinkRefs)
}

// NamedFile is a file that a sink's configuration names.
type NamedFile struct {
	// Field is its yaml name, such as ca_file.
	Field string
	// Path is made absolute against the configuration file's directory.
	Path *string
	// Reads says what rotatord reads from it, such as "a CA certificate
	// file"; no sink may write such a file. "" is the file a sink writes.
	Reads string
}

// SinkFiler is a SinkSpec whose fields name files.
type SinkFiler interface {
	SinkFiles() []NamedFile
}

// WrittenFile is the file on this host that a local sink writes (its path
// field), in Format; Profile, when not empty, is the part of the file it
// writes, and sinks of one format may share a file in different profiles.
type WrittenFile struct {
	Path, Format, Profile string
}

// LocalSink is a SinkSpec that writes a file on this host, which may be
// none of rotatord's own, nor written by another sink but in another
// profile. Each replica writes its own.
type LocalSink interface {
	WrittenFile() WrittenFile
}

// Destination is where a sink other than a local file delivers, for the
// check that no two sinks deliver to the same place.
type Destination struct {
	// Key compares destinations of the sink's kind.
	Key string
	// Field names the field that names the destination.
	Field string
	// What is said of the earlier sink, such as `writes parameter "/x" of
	// target prod`; never a secret.
	What string
	// Global compares Key across all secrets; otherwise only within one
	// (a webhook may serve several secrets, but not twice the same one).
	Global bool
}

// SinkDestinations is a SinkSpec that delivers somewhere other sinks must
// not deliver too.
type SinkDestinations interface {
	Destinations() []Destination
}

// Local reports whether the sink writes a file on this host.
func (s *Sink) Local() bool {
	_, ok := s.Spec.(LocalSink)
	return ok
}

// Files lists the files the sink's configuration names.
func (s *Sink) Files() []NamedFile {
	if f, ok := s.Spec.(SinkFiler); ok {
		return f.SinkFiles()
	}
	return nil
}

// absolute makes the sink's relative paths relative to dir.
func (s *Sink) absolute(dir string) {
	for _, f := range s.Files() {
		absPath(f.Path, dir)
	}
}

// sinkKind is a registered sink type.
type sinkKind struct {
	name    string
	newSpec func() SinkSpec
	fields  []field
}

// Sink kinds, in the order of registration, which messages keep.
var (
	sinkKinds      []*sinkKind
	sinkKindByName = map[string]*sinkKind{}
	// sinkFieldNames holds the fields of every kind, to tell a field of
	// another kind from an unknown one.
	sinkFieldNames = map[string]bool{}
)

// RegisterSink makes the sink type name known: a sink with that type:
// decodes into the struct that newSpec returns a new pointer to. Call it
// from an init function (internal/sink/kinds registers rotatord's), before
// any Parse; messages list the types in the order they were registered.
// It panics on a name registered twice or a spec that is not a pointer to
// a struct.
func RegisterSink(name string, newSpec func() SinkSpec) {
	if _, dup := sinkKindByName[name]; dup || name == "" {
		panic(fmt.Sprintf("config: sink type %q registered twice or empty", name))
	}
	t := reflect.TypeOf(newSpec())
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("config: sink type %q: its spec is %v, not a pointer to a struct", name, t))
	}
	k := &sinkKind{name: name, newSpec: newSpec, fields: fieldsOf(t.Elem())}
	sinkKinds = append(sinkKinds, k)
	sinkKindByName[name] = k
	common[name] = name
	for _, f := range k.fields {
		sinkFieldNames[f.name] = true
		common[f.name] = f.name
	}
}

// sinkTypes lists the registered sink types, in the order messages name
// them.
func sinkTypes() []string {
	names := make([]string, len(sinkKinds))
	for i, k := range sinkKinds {
		names[i] = k.name
	}
	return names
}
