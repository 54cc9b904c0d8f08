package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// positions maps a field path (secrets[1].sinks[0].mode) to the position of
// its value, and an entity's path (secrets[1]) to its mapping. A path is in
// the table exactly when the file gave it a non-null value.
type positions map[string]Pos

// at returns the position of path, or of its closest ancestor the file
// gave: a missing field is reported at its entity's mapping.
func (p positions) at(path string) Pos {
	for {
		if q, ok := p[path]; ok {
			return q
		}
		if path == "" {
			return Pos{Line: 1, Col: 1}
		}
		path = parentPath(path)
	}
}

// parentPath strips the last field or index: secrets[1].mode → secrets[1]
// → secrets → "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// joinPath appends a field name to an entity path.
func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// indexPath appends a list index to a path.
func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// collector gathers every error and warning of one file. It reports at most
// one error per key (normally the field's path), so that a value that
// failed to decode is not reported again by validation.
type collector struct {
	file  string
	pos   positions
	errs  Errors
	warns Errors
	seen  map[string]bool
}

func newCollector(file string) *collector {
	return &collector{file: file, pos: positions{}, seen: map[string]bool{}}
}

// given reports whether the file set path to a non-null value.
func (c *collector) given(path string) bool {
	_, ok := c.pos[path]
	return ok
}

// failed reports whether path already has an error.
func (c *collector) failed(path string) bool { return c.seen[path] }

// errorf reports a problem with path at the position of its value.
func (c *collector) errorf(path, format string, args ...any) {
	c.add(c.pos.at(path), path, path, fmt.Sprintf(format, args...))
}

// errorAt reports a problem at p, once per key.
func (c *collector) add(p Pos, path, key, msg string) {
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.errs = append(c.errs, &Error{File: c.file, Line: p.Line, Col: p.Col, Path: path, Msg: msg})
}

// warnf records a warning about path at the position of its value.
func (c *collector) warnf(path, format string, args ...any) {
	p := c.pos.at(path)
	c.warns = append(c.warns, &Error{File: c.file, Line: p.Line, Col: p.Col, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// sortErrors orders problems by line, then column, keeping the order in
// which equal positions were found.
func sortErrors(es Errors) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}
