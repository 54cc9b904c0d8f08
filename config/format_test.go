package config

import (
	"reflect"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestReadsFalse(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"false", true}, {"no", true}, {"Off", true}, {"!!bool false", true},
		{"true", false}, {"yes", false}, {`"false"`, false}, {"'no'", false},
		{"!!str no", false}, {"maybe", false}, {"0", false}, {"", false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte("v: "+tt.text), &doc); err != nil {
				t.Fatal(err)
			}
			if got := ReadsFalse(doc.Content[0].Content[1]); got != tt.want {
				t.Errorf("ReadsFalse(%s) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestCheckNames(t *testing.T) {
	tests := []struct {
		check      func(string) error
		name, want string // want "" for a valid name
	}{
		{CheckTargetName, "prod-1.eu_x", ""},
		{CheckTargetName, "", `target name "" may only hold letters, digits and ._-`},
		{CheckTargetName, "a/b", `target name "a/b" may only hold letters, digits and ._-`},
		{CheckSecretName, "/team-a/ci/deployer", ""},
		{CheckSecretName, "", "a secret needs a name, a path such as /team-a/ci/deployer"},
		{CheckSecretName, "/a/../b", `secret name "/a/../b" has a ".." segment; folders are plain names`},
		{CheckSecretName, "/a//b", `secret name "/a//b" has an empty segment (//)`},
	}
	for _, tt := range tests {
		err := tt.check(tt.name)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v, want no error", tt.name, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("%q: got %v, want %s", tt.name, err, tt.want)
		}
	}
}

func TestKeysFollowDeclarationOrder(t *testing.T) {
	keys := Keys(reflect.TypeFor[RotatedSecret]())
	name, target := slices.Index(keys, "name"), slices.Index(keys, "target")
	if name < 0 || target < 0 || name > target {
		t.Errorf("Keys(RotatedSecret) = %q, want name before target", keys)
	}
	keys[0] = "changed"
	if again := Keys(reflect.TypeFor[RotatedSecret]()); again[0] == "changed" {
		t.Errorf("Keys returned a shared slice")
	}
}
