package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var yamlLineRe = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// readYAML parses data into its one document. It returns nil for a file
// without a document. A syntax error is reported at its line.
func readYAML(data []byte, c *collector) *yaml.Node {
	root, err := readDocument(data)
	if err == nil {
		return root
	}
	var extra extraDocument
	if errors.As(err, &extra) {
		c.add(Pos{Line: extra.line, Col: 1}, "", "\x00yaml",
			"the file holds more than one YAML document (---); put everything in one")
		return nil
	}
	line, msg := locate(data, err)
	c.add(Pos{Line: line, Col: firstColumn(data, line)}, "", "\x00yaml", "invalid yaml: "+msg+syntaxHint(data, line, msg))
	return nil
}

type extraDocument struct{ line int }

func (e extraDocument) Error() string { return fmt.Sprintf("second document at line %d", e.line) }

// readDocument parses the first document and checks that no second one
// follows. yaml.v3 has panicked on odd input before: a panic is a syntax
// error, never a crash.
func readDocument(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: the parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
		return &doc, nil
	case err != nil:
		return nil, err
	}
	line := next.Line
	if len(next.Content) > 0 {
		line = next.Content[0].Line
	}
	return nil, extraDocument{line: max(line, 1)}
}

// locate returns the line of a syntax error and its message. yaml.v3 often
// reports the line before the block that holds the problem, or no line at
// all, so locate looks for the shortest run of leading lines that fails with
// the same message: that run ends on the line that breaks the file. Runs
// that end before the problem parse, or fail otherwise (at their end), so
// a binary search finds it.
func locate(data []byte, err error) (int, string) {
	text := err.Error()
	m := yamlLineRe.FindStringSubmatch(text)
	reported, msg := 1, strings.TrimPrefix(text, "yaml: ")
	if m != nil {
		msg = text[len(m[0]):]
		if n, e := strconv.Atoi(m[1]); e == nil && n > 0 {
			reported = n
		}
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(k int) bool {
		_, e := readDocument(bytes.Join(lines[:k], nil))
		return e != nil && strings.HasSuffix(e.Error(), msg)
	}
	lo, hi := min(reported, len(lines)), len(lines) // fails(hi) holds
	if lo > 1 && fails(lo-1) {
		lo = 1
	}
	for lo < hi {
		if mid := (lo + hi) / 2; fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi, msg
}

// lineOf returns the 1-based line n of data, without its newline.
func lineOf(data []byte, n int) string {
	lines := bytes.Split(data, []byte("\n"))
	if n < 1 || n > len(lines) {
		return ""
	}
	return string(lines[n-1])
}

// firstColumn is the column of the first non-space character of line n.
func firstColumn(data []byte, n int) int {
	l := lineOf(data, n)
	return len(l) - len(strings.TrimLeft(l, " ")) + 1
}

// syntaxHint adds what to do for the usual causes of a syntax error.
func syntaxHint(data []byte, line int, msg string) string {
	switch {
	case strings.Contains(lineOf(data, line), "\t"):
		return "; indent with spaces, not tabs"
	case strings.Contains(msg, "mapping values are not allowed"):
		return "; check the indentation, and quote a value that holds \": \""
	case strings.Contains(msg, "did not find expected ',' or"):
		return "; a bracket opened here is never closed"
	case strings.Contains(msg, "did not find expected"):
		return "; check the indentation"
	case strings.Contains(msg, "end of stream"):
		return "; a quote or bracket opened here is never closed"
	}
	return ""
}
