package state

import (
	"bytes"
	"maps"
	"slices"
	"sync"
)

// cacheSize bounds the decoded records kept: the secrets being rotated
// right now, with room to spare.
const cacheSize = 4096

// decoded keeps the decoded form of recently read or written records, so
// that the several Updates of one rotation do not each decode the record
// (JSON, and AES-GCM for every sealed value) again. An entry is used only
// while the stored bytes are exactly the ones it was decoded from.
type decoded struct {
	mu sync.Mutex
	m  map[string]decodedEntry
}

type decodedEntry struct {
	raw []byte
	s   *Secret
}

// get returns a private copy of name's state if raw is what it was decoded
// from.
func (c *decoded) get(name string, raw []byte) (*Secret, bool) {
	c.mu.Lock()
	e, ok := c.m[name]
	c.mu.Unlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		return nil, false
	}
	return cloneSecret(e.s), true
}

// put remembers s as the decoded form of raw; s is copied.
func (c *decoded) put(name string, raw []byte, s *Secret) {
	s = cloneSecret(s)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]decodedEntry)
	}
	if _, ok := c.m[name]; !ok && len(c.m) >= cacheSize {
		for k := range c.m { // evict one at random
			delete(c.m, k)
			break
		}
	}
	c.m[name] = decodedEntry{raw: raw, s: s}
}

// cloneSecret copies s so that the copy shares nothing mutable with it.
func cloneSecret(s *Secret) *Secret {
	c := *s
	c.Versions = slices.Clone(s.Versions)
	for i := range c.Versions {
		c.Versions[i].Delivered = maps.Clone(c.Versions[i].Delivered)
		c.Versions[i].Committed = maps.Clone(c.Versions[i].Committed)
	}
	if s.Journal != nil {
		j := *s.Journal
		j.KeysAtInspect = slices.Clone(j.KeysAtInspect)
		c.Journal = &j
	}
	if s.Held != nil {
		h := *s.Held
		c.Held = &h
	}
	return &c
}

// normalized is s as encodeSecret followed by decodeSecret returns it:
// times in UTC, retired versions without a value, empty maps and lists
// nil. The cache holds this form, so that a cached read equals a decoded
// one.
func normalized(s *Secret) *Secret {
	c := cloneSecret(s)
	c.LastRotation, c.LastErrorAt = utc(c.LastRotation), utc(c.LastErrorAt)
	for i := range c.Versions {
		v := &c.Versions[i]
		v.Created, v.Replaced, v.Retired, v.RevokeAt = utc(v.Created), utc(v.Replaced), utc(v.Retired), utc(v.RevokeAt)
		if v.State == Retired {
			v.Value = ""
		}
		v.Delivered, v.Committed = utcTimes(v.Delivered), utcTimes(v.Committed)
	}
	if h := c.Held; h != nil {
		h.Since, h.LastUsed, h.NextLook, h.Settles, h.Notified = utc(h.Since), utc(h.LastUsed), utc(h.NextLook), utc(h.Settles), utc(h.Notified)
	}
	if j := c.Journal; j != nil {
		j.Started, j.NextDelivery = utc(j.Started), utc(j.NextDelivery)
		if len(j.KeysAtInspect) == 0 {
			j.KeysAtInspect = nil
		}
	}
	return c
}
