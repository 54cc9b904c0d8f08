package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	s := SecretValue(value)
	type holder struct {
		Key    SecretValue
		hidden SecretValue
	}
	h := holder{Key: s, hidden: s}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10s", "%-8v"} {
		out = append(out, fmt.Sprintf(verb, s), fmt.Sprintf(verb, h.Key), fmt.Sprintf(verb, &h.Key))
	}
	out = append(out, fmt.Sprint(s), s.String(), s.GoString(), fmt.Sprintf("%v", []SecretValue{s}), fmt.Sprintf("%v", map[string]SecretValue{"k": s}))
	j, err := json.Marshal(struct{ Key SecretValue }{s})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(j))
	y, err := yaml.Marshal(struct{ Key SecretValue }{s})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(y))
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("x", "key", s, "holder", h.Key)
	tlog := slog.New(slog.NewTextHandler(&buf, nil))
	tlog.Info("x", "key", s)
	out = append(out, buf.String())
	for _, o := range out {
		if strings.Contains(o, value) || strings.Contains(o, fmt.Sprintf("%x", value)) || strings.Contains(o, "EXAMPLEKEY") {
			t.Errorf("secret leaked: %q", o)
		}
		if !strings.Contains(o, Redacted) {
			t.Errorf("no redaction marker in %q", o)
		}
	}
	if s.Reveal() != value {
		t.Errorf("Reveal() = %q, want the value", s.Reveal())
	}
	if SecretValue("").String() != "" {
		t.Errorf("empty secret prints %q, want empty", SecretValue("").String())
	}
}
