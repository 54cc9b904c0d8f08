package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/config/edit"
	"github.com/rotatord/rotatord/internal/discover"
)

// selection is adopt's filters, applied to each user's keys: a user is
// selected when one of its keys passes them.
type selection struct {
	olderThan time.Duration
	unmanaged bool
	now       time.Time
}

// passes reports whether k passes the filters.
func (s selection) passes(k discover.Key) bool {
	if s.olderThan > 0 && s.now.Sub(k.Created) <= s.olderThan {
		return false
	}
	return !s.unmanaged || k.ManagedBy == ""
}

// adoptee is a user adopt adds a secret for.
type adoptee struct {
	name, target, user, keyID string
}

// skipped is a selected user adopt leaves out, and why.
type skipped struct {
	user, reason string
}

// adoptPlan is what adopt does with the selected users, each in the
// order discover lists them (by user name).
type adoptPlan struct {
	adopt   []adoptee
	skipped []skipped
}

// plan decides, for each user of keys (every key of the users under the
// path prefix, sorted by user as discover.Discover returns them) that sel
// selects, whether adopt adds a secret named folder + user on target.
func plan(cfg *config.Config, target, folder string, keys []discover.Key, sel selection) adoptPlan {
	var p adoptPlan
	for i := 0; i < len(keys); {
		j := i
		for j < len(keys) && keys[j].User == keys[i].User {
			j++
		}
		user := keys[i:j]
		i = j
		selected := false
		for _, k := range user {
			selected = selected || sel.passes(k)
		}
		if !selected {
			continue
		}
		name := folder + user[0].User
		if reason := notAdoptable(cfg, target, name, user); reason != "" {
			p.skipped = append(p.skipped, skipped{user[0].User, reason})
			continue
		}
		p.adopt = append(p.adopt, adoptee{name: name, target: target, user: user[0].User, keyID: user[0].AccessKeyID})
	}
	return p
}

// notAdoptable says why the user whose keys are given cannot be adopted
// as the secret name, or "".
func notAdoptable(cfg *config.Config, target, name string, keys []discover.Key) string {
	user := keys[0].User
	for _, k := range keys {
		if k.ManagedBy != "" {
			return fmt.Sprintf("key %s is already managed by %s", k.AccessKeyID, k.ManagedBy)
		}
	}
	for _, s := range cfg.Secrets {
		for _, k := range keys {
			if s.AccessKeyID == k.AccessKeyID {
				return fmt.Sprintf("key %s is already the access_key_id of %s on target %s", k.AccessKeyID, s.Name, s.Target)
			}
		}
		if s.UserName == user {
			if s.Target == target {
				return fmt.Sprintf("already the user of %s", s.Name)
			}
			return fmt.Sprintf("already the user of %s on another target, %s; adopt it there, or rename one", s.Name, s.Target)
		}
	}
	if len(keys) > 1 {
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.AccessKeyID + " (" + strings.ToLower(k.Status) + ")"
		}
		return fmt.Sprintf("has %d access keys, %s: delete the one no longer used, then adopt again", len(keys), strings.Join(ids, " and "))
	}
	if keys[0].Status != "Active" {
		return fmt.Sprintf("its only key %s is %s: activate it or delete it, then adopt again", keys[0].AccessKeyID, strings.ToLower(keys[0].Status))
	}
	if _, err := config.CanonicalFolder(name); err != nil {
		return fmt.Sprintf("%s cannot be a secret name: a name's segments hold only letters, digits and _.+=@-; add it by hand with rotatord secret create aws", strconv.Quote(name))
	}
	if cfg.SecretByName(name) != nil {
		return fmt.Sprintf("the configuration already has a secret %s", name)
	}
	return ""
}

// writeAdoptYAML prints the entries as the YAML list adopt would append
// to secrets:.
func writeAdoptYAML(w io.Writer, entries []adoptEntry) error {
	if len(entries) == 0 {
		return nil
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, e := range entries {
		seq.Content = append(seq.Content, fieldsNode(append(edit.Fields{{Key: "name", Value: e.name}}, e.fields...)))
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(seq); err != nil {
		return err
	}
	return enc.Close()
}

// fieldsNode makes the mapping node of fs, whose values are strings,
// ints, bools or []edit.Fields, as edit writes them.
func fieldsNode(fs edit.Fields) *yaml.Node {
	scalar := func(tag, s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s} }
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range fs {
		var n *yaml.Node
		switch v := f.Value.(type) {
		case string:
			n = scalar("!!str", v)
		case int:
			n = scalar("!!int", strconv.Itoa(v))
		case bool:
			n = scalar("!!bool", strconv.FormatBool(v))
		case []edit.Fields:
			n = &yaml.Node{Kind: yaml.SequenceNode}
			for _, s := range v {
				n.Content = append(n.Content, fieldsNode(s))
			}
		}
		m.Content = append(m.Content, scalar("!!str", f.Key), n)
	}
	return m
}
