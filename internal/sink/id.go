package sink

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/rotatord/rotatord/config"
)

// ID returns a stable identifier of c's destination, the key under which
// the state store records which versions that sink holds. It depends only
// on the fields that say where the sink writes, never on the sink's place
// in the file, so reordering or reformatting the configuration keeps it;
// changing the destination makes a new ID (a sink that must be delivered
// to again). IDs may be logged: they never contain a secret.
//
// Each kind says its IDs (Spec.SinkID), such as "file:/run/x.ini#app",
// "secretsmanager:prod/team-a/deployer" or "webhook:" + a hash of its
// URL. A spec that gives none (a webhook whose URL is not yet read from
// url_file or url_env) is type + ":" + the first 16 hex digits of the
// SHA-256 of its non-empty fields, secret ones included. Such IDs are
// opaque but still stable: a new config field that is left empty does not
// change them.
//
// Names that two kinds could spell two ways (a secret_id given as a name
// or as an ARN, a URL) are different IDs for one destination; that only
// costs one more delivery.
func ID(c config.Sink) string {
	if s, ok := c.Spec.(Spec); ok {
		if id := s.SinkID(); id != "" {
			return id
		}
	}
	return c.Type + ":" + digest(c.Spec)
}

// Escapers of the parts of IDs: valid names never hold these characters,
// so the escaping only ensures that no two destinations share an ID. '%',
// '/' and '+' in a target, '%' and '+' in a parameter name.
var (
	TargetEscaper = strings.NewReplacer("%", "%25", "/", "%2F", "+", "%2B")
	ParamEscaper  = strings.NewReplacer("%", "%25", "+", "%2B")
)

// HashStrings returns the first 16 hex digits of the SHA-256 of ss, each
// string preceded by its length so that ["a b"] and ["a", "b"] differ.
func HashStrings(ss []string) string {
	h := sha256.New()
	for _, s := range ss {
		h.Write([]byte(strconv.Itoa(len(s)) + ":" + s))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// digest hashes every non-zero field of spec (a pointer to a struct, or
// nil), as sorted "yaml_name=value" lines, secret values included (read
// through reflection, which bypasses config.SecretValue's redaction).
func digest(spec config.SinkSpec) string {
	var fields []string
	v := reflect.ValueOf(spec)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	for i := 0; v.Kind() == reflect.Struct && i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() || f.Name == "Type" || f.Name == "Pos" || v.Field(i).IsZero() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			name = f.Name
		}
		var b strings.Builder
		encode(&b, v.Field(i))
		fields = append(fields, name+"="+b.String())
	}
	sort.Strings(fields)
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// encode writes v unambiguously (lengths before strings) without calling
// any String or Format method, so that secrets are hashed, not redacted.
func encode(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		b.WriteString(strconv.Itoa(v.Len()) + ":" + v.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	case reflect.Slice, reflect.Array:
		b.WriteString("[" + strconv.Itoa(v.Len()))
		for i := 0; i < v.Len(); i++ {
			b.WriteString(",")
			encode(b, v.Index(i))
		}
		b.WriteString("]")
	case reflect.Map:
		keys := v.MapKeys()
		enc := make([]string, len(keys))
		for i, k := range keys {
			var kb strings.Builder
			encode(&kb, k)
			kb.WriteString("=")
			encode(&kb, v.MapIndex(k))
			enc[i] = kb.String()
		}
		sort.Strings(enc)
		b.WriteString("{" + strings.Join(enc, ",") + "}")
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		encode(b, v.Elem())
	case reflect.Struct:
		b.WriteString("{")
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				b.WriteString(v.Type().Field(i).Name + ":")
				encode(b, v.Field(i))
				b.WriteString(";")
			}
		}
		b.WriteString("}")
	default:
		b.WriteString(v.Kind().String())
	}
}
