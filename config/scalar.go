package config

import (
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

const quotedStyle = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle

// quote prints a value for a message: quoted, cut when long, and hidden
// when it looks like a secret key pasted into the wrong field.
func quote(s string) string {
	if looksSecret(s) {
		return "(a value that looks like a secret key, not shown)"
	}
	return strconv.Quote(cut(s))
}

// cut shortens s to at most 48 characters.
func cut(s string) string {
	if utf8.RuneCountInString(s) <= 48 {
		return s
	}
	return string([]rune(s)[:45]) + "..."
}

// show prints a scalar node as the file wrote it: strings quoted, numbers
// and booleans bare.
func show(n *yaml.Node) string {
	if n.ShortTag() == "!!str" || looksSecret(n.Value) {
		return quote(n.Value)
	}
	return cut(n.Value)
}

// describe names what a node is, for "expected X, got Y" messages. With
// secret set, a scalar's value is never shown.
func describe(n *yaml.Node, secret bool) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if secret {
			return "a value"
		}
		return show(n)
	}
	return "an alias"
}

// resolvesAs reports the tag text would have if written without quotes.
func resolvesAs(text string) string {
	return (&yaml.Node{Kind: yaml.ScalarNode, Value: text}).ShortTag()
}

// fail reports that the value n at path cannot be decoded.
func (d *decoder) fail(n *yaml.Node, path, msg string) {
	d.pos[path] = nodePos(n)
	d.add(nodePos(n), path, path, msg)
}

// ok records the position of a decoded value.
func (d *decoder) ok(n *yaml.Node, path string) { d.pos[path] = nodePos(n) }

// typeError reports a value of the wrong kind.
func (d *decoder) typeError(n *yaml.Node, path, want string, secret bool) {
	msg := "expected " + want + ", got " + describe(n, secret)
	if want == "a list" && n.Kind == yaml.MappingNode {
		msg += `; start each entry with "- "`
	}
	d.fail(n, path, msg)
}

// quotedAs reports a quoted value that would be a want without quotes.
func (d *decoder) quotedAs(n *yaml.Node, path, tag, want string) bool {
	if n.Style&quotedStyle == 0 || resolvesAs(n.Value) != tag {
		return false
	}
	d.fail(n, path, show(n)+" is quoted, so it is a string, not "+want+"; remove the quotes")
	return true
}

func (d *decoder) str(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, "a string", false)
		return
	}
	v.SetString(n.Value)
	d.ok(n, path)
}

// secret decodes a SecretValue. No message about it shows the value. The
// placeholder that Marshal prints in place of a secret is accepted, so
// that the printed configuration parses, with a warning: it is not the
// secret.
func (d *decoder) secret(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, "a string", true)
		return
	}
	v.SetString(n.Value)
	d.ok(n, path)
	if n.Value == Redacted {
		field := path[strings.LastIndex(path, ".")+1:]
		d.warnf(path, "is %s, which `rotatord validate --print` writes in place of a secret, not the secret itself; set %s_file to the file that holds it", Redacted, field)
	}
}

// decodeInt, decodeFloat and decodeBool are n.Decode, which costs a
// decoder per call, with a shortcut for the common spellings: plain
// decimal digits, and the words true and false.
func decodeInt(n *yaml.Node, i *int64) bool {
	if digits(n.Value) {
		var err error
		*i, err = strconv.ParseInt(n.Value, 10, 64)
		return err == nil
	}
	return n.Decode(i) == nil
}

func decodeFloat(n *yaml.Node, f *float64) bool {
	if digits(n.Value) {
		var err error
		*f, err = strconv.ParseFloat(n.Value, 64)
		return err == nil
	}
	return n.Decode(f) == nil
}

func decodeBool(n *yaml.Node, b *bool) bool {
	switch n.Value {
	case "true":
		*b = true
		return true
	case "false":
		*b = false
		return true
	}
	return n.Decode(b) == nil
}

// digits reports whether s is 1 to 18 decimal digits, without a leading
// zero (which yaml.v3 reads as octal) unless it is 0.
func digits(s string) bool {
	if len(s) == 0 || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (d *decoder) integer(n *yaml.Node, path string, v reflect.Value) {
	var i int64
	switch {
	case n.Kind != yaml.ScalarNode:
		d.typeError(n, path, "an integer", false)
	case n.ShortTag() == "!!int" && decodeInt(n, &i) && !v.OverflowInt(i):
		v.SetInt(i)
		d.ok(n, path)
	case n.ShortTag() == "!!int":
		d.fail(n, path, show(n)+" is too large")
	case d.quotedAs(n, path, "!!int", "an integer"):
	default:
		d.fail(n, path, show(n)+" is not an integer")
	}
}

func (d *decoder) float(n *yaml.Node, path string, v reflect.Value) {
	var f float64
	tag := n.ShortTag()
	switch {
	case n.Kind != yaml.ScalarNode:
		d.typeError(n, path, "a number", false)
	case (tag == "!!int" || tag == "!!float") && decodeFloat(n, &f):
		v.SetFloat(f)
		d.ok(n, path)
	case d.quotedAs(n, path, "!!int", "a number"), d.quotedAs(n, path, "!!float", "a number"):
	default:
		d.fail(n, path, show(n)+" is not a number")
	}
}

// yaml11Bools are the YAML 1.1 words yaml.v3 also accepts for a bool field.
var yaml11Bools = map[string]bool{
	"yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

func (d *decoder) boolean(n *yaml.Node, path string, v reflect.Value) {
	var b bool
	w, word := yaml11Bools[n.Value]
	switch {
	case n.Kind != yaml.ScalarNode:
		d.typeError(n, path, "true or false", false)
	case n.ShortTag() == "!!bool" && decodeBool(n, &b):
		v.SetBool(b)
		d.ok(n, path)
	case word && n.Style&(quotedStyle|yaml.TaggedStyle) == 0:
		v.SetBool(w)
		d.ok(n, path)
	case d.quotedAs(n, path, "!!bool", "true or false"):
	default:
		d.fail(n, path, show(n)+" is not true or false")
	}
}

// rate decodes a rate_limit: a number, or auto.
func (d *decoder) rate(n *yaml.Node, path string, v reflect.Value) {
	var f float64
	tag := n.ShortTag()
	switch {
	case n.Kind != yaml.ScalarNode:
		d.typeError(n, path, "a number or auto", false)
	case tag == "!!str" && n.Value == "auto":
		v.SetFloat(float64(AutoRate))
		d.ok(n, path)
	case (tag == "!!int" || tag == "!!float") && decodeFloat(n, &f):
		v.SetFloat(f)
		d.ok(n, path)
	case d.quotedAs(n, path, "!!int", "a number"), d.quotedAs(n, path, "!!float", "a number"):
	default:
		d.fail(n, path, show(n)+" is not a number or auto; write IAM calls per second, such as 5, or auto to find the rate the account allows")
	}
}

func (d *decoder) duration(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, "a duration such as 90s or 2m", false)
		return
	}
	if t := n.ShortTag(); t == "!!int" || t == "!!float" {
		d.fail(n, path, show(n)+" has no unit; write it as "+n.Value+"s, for seconds")
		return
	}
	dur, err := ParseDuration(n.Value)
	if err != nil {
		d.fail(n, path, show(n)+" is not a duration such as 90s, 2m or 14d")
		return
	}
	v.SetInt(int64(dur))
	d.ok(n, path)
}

// mode decodes a file mode from the node's text, so that an unquoted 0600
// (a YAML integer) reads as octal too.
func (d *decoder) mode(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, `an octal file mode such as "0600"`, false)
		return
	}
	m, ok := parseMode(n.Value)
	if !ok {
		d.fail(n, path, quote(n.Value)+` is not an octal file mode such as "0600"`)
		return
	}
	v.SetUint(uint64(m))
	d.ok(n, path)
}

// parseMode reads "0600", "600" or "0o600".
func parseMode(s string) (uint32, bool) {
	digits := strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O")
	if digits == "" || len(digits) > 8 || strings.Trim(digits, "01234567") != "" {
		return 0, false
	}
	m, err := strconv.ParseUint(digits, 8, 32)
	return uint32(m), err == nil
}
