package config

import (
	"math"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rotatord/rotatord/config/internal/fastyaml"
	"gopkg.in/yaml.v3"
)

// Parse decodes, completes with defaults and validates a configuration
// file's contents. file names it in messages, and relative paths in it
// (state.path, control_socket, every *_file field, sink paths) are
// resolved against filepath.Dir(file). Parse touches neither the file
// system nor the environment: secret references and template_file stay
// unresolved (Load resolves them).
//
// On failure the error is Errors, holding every problem in the file sorted
// by line and column, and the *Config holds only File and Warnings: it is
// never a partly valid configuration.
func Parse(file string, data []byte) (*Config, error) {
	c, col := parse(file, data)
	return finish(c, col)
}

// parse runs every step Parse does and returns what it found; c is partly
// filled when the collector holds errors.
func parse(file string, data []byte) (*Config, *collector) { return parseWith(file, data, nil) }

// parseWith is parse, reusing prev's unchanged secrets (see
// LoadOptions.Previous); prev may be nil. A file of fastPathMin bytes or
// more takes the fast path when fastyaml reads it; any other is parsed
// by yaml.v3. Both give the same tree, so the same result.
func parseWith(file string, data []byte, prev *Config) (*Config, *collector) {
	if len(data) >= fastPathMin {
		if c, col, ok := parseFast(file, data, prev); ok {
			return c, col
		}
	}
	col := newCollector(file)
	root := readYAML(data, col)
	if col.errs != nil {
		return &Config{File: file}, col
	}
	return parseTree(file, root)
}

// parseTree decodes, completes and validates a parsed document.
func parseTree(file string, root *yaml.Node) (*Config, *collector) {
	col := newCollector(file)
	c := &Config{File: file}
	if root == nil || len(root.Content) == 0 {
		col.add(Pos{Line: 1, Col: 1}, "", "\x00empty", "the file is empty; a configuration starts with version: 1")
		return c, col
	}
	d := &decoder{collector: col, budget: budgetFor(root)}
	top := resolveAlias(root.Content[0])
	col.pos[""] = nodePos(top)
	if top.Kind != yaml.MappingNode {
		d.typeError(top, "", "a mapping of fields such as version: 1", false)
		return c, col
	}
	d.mapping(top, "", reflect.ValueOf(c).Elem())
	resolvePaths(c, filepath.Dir(file))
	setDefaults(c, col)
	validate(c, col)
	return c, col
}

// chunkSize is how many secrets one goroutine decodes and checks at a time.
const chunkSize = 512

// parseChunked is parseTree for a document whose secrets items seq holds
// unparsed: it parses, decodes, completes and checks them a chunk at a
// time on every CPU, keeping no node and no position of theirs, then
// checks the rules across secrets. A secret's positions are found again,
// when a message needs one, by decoding that secret once more. It reports
// false when fastyaml declines an item.
func parseChunked(file string, root *yaml.Node, seq *fastyaml.Seq, prev *Config) (*Config, *collector, bool) {
	col := newCollector(file)
	c := &Config{File: file}
	dir := filepath.Dir(file)
	top := root.Content[0]
	col.pos[""] = nodePos(top)
	d := &decoder{collector: col, budget: budgetFor(root)}
	d.mapping(top, "", reflect.ValueOf(c).Elem())
	resolvePaths(c, dir)
	setDefaults(c, col)
	k := &checker{collector: col, c: c}
	k.outside()

	c.Secrets = make([]RotatedSecret, seq.Len())
	c.items = signatures(seq)
	reused := c.reuse(prev)
	chunks := make([]*collector, (seq.Len()+chunkSize-1)/chunkSize)
	var next atomic.Int64
	var outside atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(chunks)) {
		wg.Go(func() {
			for !outside.Load() {
				n := int(next.Add(1)) - 1
				if n >= len(chunks) {
					return
				}
				chunks[n] = col.chunk()
				if !secretsChunk(chunks[n], c, seq, reused, n*chunkSize, min((n+1)*chunkSize, seq.Len()), dir) {
					outside.Store(true)
				}
			}
		})
	}
	wg.Wait()
	if outside.Load() {
		return nil, nil, false
	}
	for _, k := range chunks {
		col.merge(k)
	}
	col.itemPos = itemPositions(seq, file)
	k.across()
	return c, col, true
}

// secretsChunk decodes, completes and checks secrets [from, to) into c,
// collecting into col, but for those reused already holds. It records in
// c.items which secrets were clean: no error, no warning. It reports false
// when fastyaml declines an item.
func secretsChunk(col *collector, c *Config, seq *fastyaml.Seq, reused []bool, from, to int, dir string) bool {
	d := &decoder{collector: col, budget: math.MaxInt}
	k := &checker{collector: col, c: c}
	var nodes fastyaml.Pool
	for i := from; i < to; i++ {
		if reused != nil && reused[i] {
			c.items.sigs[i].clean = true
			continue
		}
		problems := len(col.errs) + len(col.warns)
		nodes.Reset()
		n, ok := seq.Item(i, &nodes)
		if !ok {
			return false
		}
		path := indexPath("secrets", i)
		s := &c.Secrets[i]
		if isNull(n) {
			d.add(nodePos(n), path, path, "empty entry; each entry is a mapping of fields")
			continue
		}
		d.value(n, path, reflect.ValueOf(s).Elem())
		secretPaths(s, dir)
		secretDefaults(s, path, c.RotationTimezone, col)
		k.secret(i)
		clear(col.pos) // later messages find them again
		c.items.sigs[i].clean = len(col.errs)+len(col.warns) == problems
	}
	return true
}

// itemPositions returns a function that finds the positions of secret
// i's values by decoding its item of seq again, remembering the last few
// it found.
func itemPositions(seq *fastyaml.Seq, file string) func(i int) positions {
	var mu sync.Mutex
	cache := map[int]positions{}
	return func(i int) positions {
		mu.Lock()
		defer mu.Unlock()
		if p, ok := cache[i]; ok {
			return p
		}
		col := newCollector(file)
		if n, ok := seq.Item(i, nil); ok && !isNull(n) {
			d := &decoder{collector: col, budget: math.MaxInt}
			var s RotatedSecret
			d.value(n, indexPath("secrets", i), reflect.ValueOf(&s).Elem())
		}
		if len(cache) >= 64 {
			clear(cache)
		}
		cache[i] = col.pos
		return col.pos
	}
}

// finish sorts the problems and returns the configuration, or Errors and a
// Config that holds only the warnings.
func finish(c *Config, col *collector) (*Config, error) {
	sortErrors(col.errs)
	sortErrors(col.warns)
	if len(col.errs) > 0 {
		return &Config{File: c.File, Warnings: col.warns}, col.errs
	}
	c.Warnings = col.warns
	c.secretIndex = make(map[string]int, len(c.Secrets))
	for i := range c.Secrets {
		c.secretIndex[c.Secrets[i].Name] = i
	}
	return c, nil
}

// resolvePaths makes the file's relative paths relative to its directory.
func resolvePaths(c *Config, dir string) {
	abs := func(p *string) { absPath(p, dir) }
	abs(&c.State.Path)
	abs(&c.State.ProtectionKeyFile)
	abs(&c.ControlSocket)
	for i := range c.Targets {
		abs(&c.Targets[i].SecretAccessKeyFile)
	}
	for i := range c.Secrets {
		secretPaths(&c.Secrets[i], dir)
	}
	for i := range c.Notify {
		abs(&c.Notify[i].URLFile)
		abs(&c.Notify[i].HMACSecretFile)
	}
}

// secretPaths makes a secret's relative paths relative to dir.
func secretPaths(s *RotatedSecret, dir string) {
	absPath(&s.SecretAccessKeyFile, dir)
	for j := range s.Sinks {
		s.Sinks[j].absolute(dir)
	}
}

// absPath makes *p relative to dir, keeping a trailing / so that
// validation can report it.
func absPath(p *string, dir string) {
	if *p == "" {
		return
	}
	dirSyntax := strings.HasSuffix(*p, "/")
	if filepath.IsAbs(*p) {
		*p = filepath.Clean(*p)
	} else {
		*p = filepath.Join(dir, *p)
	}
	if dirSyntax && !strings.HasSuffix(*p, "/") {
		*p += "/"
	}
}
