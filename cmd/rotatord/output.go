package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// outputFormat is the value of a read command's -o/--output flag: table
// (the default, for people), json or yaml (one document, for programs;
// see docs/output.md and report.go).
type outputFormat string

const (
	outputTable outputFormat = "table"
	outputJSON  outputFormat = "json"
	outputYAML  outputFormat = "yaml"
)

func (f *outputFormat) String() string { return string(*f) }

func (f *outputFormat) Type() string { return "format" }

// Set accepts table, json or yaml; anything else is an error that lists
// them (cobra makes it a usage error).
func (f *outputFormat) Set(s string) error {
	switch v := outputFormat(s); v {
	case outputTable, outputJSON, outputYAML:
		*f = v
		return nil
	}
	return fmt.Errorf("unknown output format %q: use table, json or yaml", s)
}

// outputFlag adds -o/--output to cmd and returns where its value lands.
func outputFlag(cmd *cobra.Command) *outputFormat {
	f := outputTable
	cmd.Flags().VarP(&f, "output", "o", "output `format`: table, json or yaml (json and yaml: see docs/output.md)")
	return &f
}

// writeDoc writes doc, one of the documents of report.go, as JSON
// (indented, ending in a newline) or YAML.
func writeDoc(w io.Writer, f outputFormat, doc any) error {
	var buf bytes.Buffer
	switch f {
	case outputJSON:
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("encode the JSON output: %w", err)
		}
	case outputYAML:
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("encode the YAML output: %w", err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("encode the YAML output: %w", err)
		}
	default:
		return fmt.Errorf("output format %q has no document form", f)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// rfc3339 is a time in a document: RFC 3339 in UTC to the second, or nil
// (null) for the zero time.
func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// optional is a string in a document: nil (null) when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
