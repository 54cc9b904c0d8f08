package config

import (
	"path/filepath"
	"reflect"
	"strings"

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
func parse(file string, data []byte) (*Config, *collector) {
	col := newCollector(file)
	c := &Config{File: file}
	root := readYAML(data, col)
	if col.errs != nil {
		return c, col
	}
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
	abs := func(p *string) {
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
			*p += "/" // keep it, so that validation can report it
		}
	}
	abs(&c.State.Path)
	abs(&c.State.ProtectionKeyFile)
	abs(&c.ControlSocket)
	for i := range c.Targets {
		abs(&c.Targets[i].SecretAccessKeyFile)
	}
	for i := range c.Secrets {
		s := &c.Secrets[i]
		abs(&s.SecretAccessKeyFile)
		for j := range s.Sinks {
			k := &s.Sinks[j]
			for _, p := range []*string{&k.Path, &k.TemplateFile, &k.URLFile, &k.HMACSecretFile,
				&k.BearerTokenFile, &k.CAFile, &k.CertFile, &k.KeyFile} {
				abs(p)
			}
		}
	}
	for i := range c.Notify {
		abs(&c.Notify[i].URLFile)
		abs(&c.Notify[i].HMACSecretFile)
	}
}
