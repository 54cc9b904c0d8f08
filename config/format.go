package config

import (
	"errors"
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"
)

// What a program that edits the file's YAML text itself (config/edit)
// needs to know of the format, so that it reads, orders and names things
// as Parse and Load do.

// MaxFileSize is the largest configuration file Load reads, in bytes.
const MaxFileSize = maxConfigFile

// MaxSecretFileSize is the largest secret file Load reads, in bytes.
const MaxSecretFileSize = maxSecretFile

// ReadDocument parses data into its YAML node tree as Parse reads it:
// the one document (nil, and no error, when data holds none), an error
// when a second document follows, and an error, never a panic, on input
// that makes the YAML parser panic.
func ReadDocument(data []byte) (*yaml.Node, error) { return readDocument(data) }

// Keys lists the YAML keys of t, a struct type of the file (Config,
// Target, RotatedSecret, ...), in the order t declares them: the order
// Marshal writes them in. The slice is the caller's.
func Keys(t reflect.Type) []string { return fieldNames(fieldsOf(t)) }

// ReadsFalse reports whether the scalar n is a boolean that Parse reads as
// false: false (tagged !!bool, or plain), or an unquoted, untagged YAML 1.1
// word for false (no, off). Anything else, a quoted "false" or a value
// Parse rejects included, is not false.
func ReadsFalse(n *yaml.Node) bool {
	var b bool
	if n.ShortTag() == "!!bool" && n.Decode(&b) == nil {
		return !b
	}
	w, word := yaml11Bools[n.Value]
	return word && n.Style&(quotedStyle|yaml.TaggedStyle) == 0 && !w
}

// CheckTargetName returns an error that says what is wrong with name as a
// target's name, or nil. The message never shows a name that looks like
// a secret key.
func CheckTargetName(name string) error {
	if !targetNameRe.MatchString(name) {
		return fmt.Errorf("target name %s may only hold letters, digits and ._-", quote(name))
	}
	return nil
}

// CheckSecretName returns an error that says what is wrong with name, a
// rotated secret's name in canonical form (see CanonicalName), or nil. The
// empty name is an error. The message never shows a name that looks like
// a secret key.
func CheckSecretName(name string) error {
	if name == "" {
		return errors.New("a secret needs a name, a path such as /team-a/ci/deployer")
	}
	if p := secretNameProblem(name); p != "" {
		return fmt.Errorf("secret name %s %s", quote(name), p)
	}
	return nil
}
