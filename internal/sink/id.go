package sink

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
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
//   - file, format aws-credentials: "file:" + path + "#" + profile, such
//     as "file:/run/rotatord/deployer.ini#deployer" (defaults applied);
//   - file, other formats (env, json, template): "file:" + path;
//   - secretsmanager: "secretsmanager:" + target + "/" + secret_id, such as
//     "secretsmanager:prod/team-a/deployer";
//   - ssm: "ssm:" + target + "/" + name, such as "ssm:prod//team-a/deployer"
//     (the name's own leading slash kept), or with two parameters
//     "ssm:" + target + "/" + id_parameter + "+" + secret_parameter;
//   - command: "command:" + the first 16 hex digits of the SHA-256 of argv.
//     Arguments should hold no secret, but one might (a token for curl),
//     and the whole argv would make a long ID: only its hash is shown;
//   - webhook: "webhook:" + the first 16 hex digits of the SHA-256 of the
//     URL, which is secret (it may carry a token). A URL not yet read from
//     url_file or url_env is hashed as the other types below;
//   - any other type: type + ":" + the first 16 hex digits of the SHA-256
//     of its non-empty fields, secret ones included. Such IDs are opaque
//     but still stable: a new config field that is left empty does not
//     change them.
//
// Load sets a Secrets Manager or SSM sink's target to the secret's when the
// file names none, so loaded IDs always name one. An empty target, in a
// sink built otherwise, stays empty: "secretsmanager:/team-a/deployer".
//
// A secret_id given as a name or as an ARN, or a URL spelt two ways, are
// different IDs for one destination; that only costs one more delivery.
//
// Paths are cleaned, and '%' and '#' in them escaped as %25 and %23; '%',
// '/' and '+' in a target and '%' and '+' in a parameter name are escaped
// likewise (%2F, %2B). Valid names never hold these, so the escaping only
// ensures that no two destinations share an ID.
func ID(c config.Sink) string {
	switch c.Type {
	case config.SinkFile:
		path := c.Path
		if path != "" {
			path = filepath.Clean(path)
		}
		path = fileEscaper.Replace(path)
		format := c.Format
		if format == "" {
			format = config.FormatAWSCredentials
		}
		if format != config.FormatAWSCredentials {
			return "file:" + path
		}
		profile := c.Profile
		if profile == "" {
			profile = config.DefaultProfile
		}
		return "file:" + path + "#" + profile
	case config.SinkSecretsManager:
		return "secretsmanager:" + targetEscaper.Replace(c.Target) + "/" + c.SecretID
	case config.SinkSSM:
		where := "ssm:" + targetEscaper.Replace(c.Target) + "/"
		if c.Name != "" {
			return where + paramEscaper.Replace(c.Name)
		}
		return where + paramEscaper.Replace(c.IDParameter) + "+" + paramEscaper.Replace(c.SecretParameter)
	case config.SinkCommand:
		return "command:" + hashStrings(c.Command)
	case config.SinkWebhook:
		if !c.URL.IsZero() {
			return "webhook:" + hashStrings([]string{c.URL.Reveal()})
		}
	}
	return c.Type + ":" + digest(c)
}

var (
	fileEscaper   = strings.NewReplacer("%", "%25", "#", "%23")
	targetEscaper = strings.NewReplacer("%", "%25", "/", "%2F", "+", "%2B")
	paramEscaper  = strings.NewReplacer("%", "%25", "+", "%2B")
)

// hashStrings returns the first 16 hex digits of the SHA-256 of ss, each
// string preceded by its length so that ["a b"] and ["a", "b"] differ.
func hashStrings(ss []string) string {
	h := sha256.New()
	for _, s := range ss {
		h.Write([]byte(strconv.Itoa(len(s)) + ":" + s))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// digest hashes every non-zero field of c but Type and Pos, as sorted
// "yaml_name=value" lines, secret values included (read through reflection,
// which bypasses config.Secret's redaction).
func digest(c config.Sink) string {
	v := reflect.ValueOf(c)
	var fields []string
	for i := 0; i < v.NumField(); i++ {
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
