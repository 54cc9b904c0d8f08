package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks, for any input, that Parse does not panic; that a
// failure is Errors of positioned, non-empty messages and a Config with
// nothing but File and Warnings; and that a success survives Marshal →
// Parse, printing the same the second time.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("../testdata/*/*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(head + secret))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			checkErrors(t, c, err)
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		c2, err := Parse("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("Parse(Marshal()): %v\n%s", err, out)
		}
		out2, err := c2.Marshal()
		if err != nil {
			t.Fatalf("Marshal again: %v", err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("Marshal(Parse(Marshal())) differs:\n%s\n---\n%s", out, out2)
		}
	})
}

// checkErrors checks what Parse returns on failure.
func checkErrors(t *testing.T, c *Config, err error) {
	t.Helper()
	var es Errors
	if !errors.As(err, &es) || len(es) == 0 {
		t.Fatalf("error %T %v, want non-empty Errors", err, err)
	}
	for _, e := range es {
		if e.Msg == "" || e.Line < 1 || e.Col < 1 || e.File != "fuzz.yaml" {
			t.Fatalf("bad error %#v", e)
		}
	}
	for i := 1; i < len(es); i++ {
		if es[i].Line < es[i-1].Line || (es[i].Line == es[i-1].Line && es[i].Col < es[i-1].Col) {
			t.Fatalf("errors not sorted: %v", es)
		}
	}
	if c == nil || c.Targets != nil || c.Secrets != nil || c.Notify != nil || c.File != "fuzz.yaml" {
		t.Fatalf("failed Parse returned config %+v", c)
	}
	_ = Report(c, err)
}
