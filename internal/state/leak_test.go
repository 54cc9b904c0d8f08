package state

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rotatord/rotatord/config"
)

// TestStateFileHoldsNoPlainValue writes many versions with known values,
// then searches the raw files for each value in plain text, base64 (any
// alignment, any alphabet) and hex.
func TestStateFileHoldsNoPlainValue(t *testing.T) {
	ctx := context.Background()
	b, path := openTemp(t)
	var values []string
	for s := range 3 {
		name := fmt.Sprintf("/team/secret-%d", s)
		for n := 1; n <= 12; n++ {
			value := fmt.Sprintf("wJalrXUtnFEMI/K7MDENG+bPxRfiCY%02d%02dSECRET", s, n)
			values = append(values, value)
			err := b.Update(ctx, name, func(tx *Tx) error {
				sec := tx.Secret
				for i := range sec.Versions {
					switch sec.Versions[i].State {
					case Current:
						sec.Versions[i].State = Previous
					case Previous:
						sec.Versions[i].State = Retired
					}
				}
				sec.Versions = append(sec.Versions, Version{
					N: n, AccessKeyID: fmt.Sprintf("AKIAKEYID%d%02d", s, n),
					State: Current, Value: config.SecretValue(value),
				})
				tx.Audit("r", "rotated", sec.Versions[len(sec.Versions)-1].AccessKeyID, "")
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	var raw []byte
	for _, p := range []string{path, path + ".lock"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, data...)
	}
	if !bytes.Contains(raw, []byte("AKIAKEYID212")) {
		t.Fatal("the raw file lacks a key id: the search below would prove nothing")
	}
	if !containsAny([]byte("{"+base64.StdEncoding.EncodeToString([]byte(`"a":"`+values[0]+`"`))), encodings(values[0])) {
		t.Fatal("the search misses a value base64-encoded inside a longer text")
	}
	for _, v := range values {
		for _, form := range encodings(v) {
			if bytes.Contains(raw, []byte(form)) {
				t.Errorf("the state file holds value %s as %q", v, form)
			}
		}
	}
}

// encodings returns the forms in which v could appear in a file: itself,
// hex, and the part of its base64 that is the same at any position in a
// longer base64 text.
func encodings(v string) []string {
	forms := []string{v, hex.EncodeToString([]byte(v)), strings.ToUpper(hex.EncodeToString([]byte(v)))}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for shift := range 3 {
			s := enc.EncodeToString(append(make([]byte, shift), v...))
			forms = append(forms, s[4:len(s)-4])
		}
	}
	return forms
}

func containsAny(b []byte, forms []string) bool {
	for _, f := range forms {
		if bytes.Contains(b, []byte(f)) {
			return true
		}
	}
	return false
}
