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
//
// When the secrets are decoded in chunks (parseChunked), each chunk has its
// own collector, whose pos holds its secrets' paths and whose file field
// reads the rest through shared; the file's collector then finds a
// secret's positions by decoding that secret again (itemPos).
type collector struct {
	file  string
	pos   positions
	errs  Errors
	warns Errors
	seen  map[string]bool

	defaults *SinkChecker // what sinkDefaults hands each sink, reused

	shared     positions       // a chunk's: the file's positions outside secrets
	sharedSeen map[string]bool // a chunk's: the file's failed paths outside secrets
	itemPos    func(i int) positions
}

func newCollector(file string) *collector {
	return &collector{file: file, pos: positions{}, seen: map[string]bool{}}
}

// chunk returns a collector for a chunk of secrets, which reads c's
// positions and failures and must not be used after c changes.
func (c *collector) chunk() *collector {
	return &collector{file: c.file, pos: positions{}, seen: map[string]bool{}, shared: c.pos, sharedSeen: c.seen}
}

// merge takes in what a chunk collected.
func (c *collector) merge(k *collector) {
	c.errs = append(c.errs, k.errs...)
	c.warns = append(c.warns, k.warns...)
	for key := range k.seen {
		c.seen[key] = true
	}
}

// lookup returns the position of path's value, if the file gave one.
func (c *collector) lookup(path string) (Pos, bool) {
	if c.itemPos != nil {
		if i, ok := secretItem(path); ok {
			p, ok := c.itemPos(i)[path]
			return p, ok
		}
	}
	if p, ok := c.pos[path]; ok {
		return p, true
	}
	p, ok := c.shared[path]
	return p, ok
}

// at returns the position of path, or of its closest ancestor the file
// gave: a missing field is reported at its entity's mapping.
func (c *collector) at(path string) Pos {
	for {
		if q, ok := c.lookup(path); ok {
			return q
		}
		if path == "" {
			return Pos{Line: 1, Col: 1}
		}
		path = parentPath(path)
	}
}

// secretItem returns i when path is secrets[i] or below it.
func secretItem(path string) (int, bool) {
	const prefix = "secrets["
	if !strings.HasPrefix(path, prefix) {
		return 0, false
	}
	i, n := 0, 0
	for _, b := range []byte(path[len(prefix):]) {
		if b == ']' {
			return i, n > 0
		}
		if b < '0' || b > '9' || n > 9 {
			return 0, false
		}
		i, n = i*10+int(b-'0'), n+1
	}
	return 0, false
}

// given reports whether the file set path to a non-null value.
func (c *collector) given(path string) bool {
	_, ok := c.lookup(path)
	return ok
}

// failed reports whether path already has an error.
func (c *collector) failed(path string) bool { return c.seen[path] || c.sharedSeen[path] }

// errorf reports a problem with path at the position of its value.
func (c *collector) errorf(path, format string, args ...any) {
	c.add(c.at(path), path, path, fmt.Sprintf(format, args...))
}

// errorAt reports a problem at p, once per key.
func (c *collector) add(p Pos, path, key, msg string) {
	if c.failed(key) {
		return
	}
	c.seen[key] = true
	c.errs = append(c.errs, &Error{File: c.file, Line: p.Line, Col: p.Col, Path: path, Msg: msg})
}

// warnf records a warning about path at the position of its value.
func (c *collector) warnf(path, format string, args ...any) {
	p := c.at(path)
	c.warns = append(c.warns, &Error{File: c.file, Line: p.Line, Col: p.Col, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// sortErrors orders problems by line, then column, keeping the order in
// which equal positions were found.
func sortErrors(es Errors) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}
