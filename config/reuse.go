package config

import (
	"hash/maphash"
	"slices"

	"github.com/rotatord/rotatord/config/internal/fastyaml"
)

// A reload of 100,000 secrets of which a few changed need not decode and
// check the others again. When the secrets were decoded in chunks, the
// Config remembers a signature of each secret's text and of the text
// around the secrets; the next Load of the same file (LoadOptions.Previous)
// takes every secret whose text is unchanged from the previous Config, in
// a file whose text outside the secrets is unchanged, and that had no
// error or warning then. Everything a secret's decoding and checks read
// is in those two texts, so the result is the one a full decode gives
// (TestReuseMatchesFullLoad checks it); the rules across secrets, and the
// resolution of secret references, still run on all of them.

// itemSigs are the signatures of one file's secrets.
type itemSigs struct {
	outside sig
	sigs    []itemSig
	reused  int // how many of these secrets were taken from the previous Config
}

type itemSig struct {
	sig   sig
	line  int  // the item's first line
	clean bool // decoded and checked without an error or a warning
}

// sig is a 128-bit hash of a text: two 64-bit maphashes with separate
// seeds, which no file can be made to collide on, the seeds being chosen
// at random when the process starts.
type sig [2]uint64

var sigSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func sigOf(parts ...[]byte) sig {
	var s sig
	for k := range s {
		var h maphash.Hash
		h.SetSeed(sigSeeds[k])
		for _, p := range parts {
			_, _ = h.Write(p)
			_ = h.WriteByte(0)
		}
		s[k] = h.Sum64()
	}
	return s
}

// signatures computes the signatures of the sequence's items and of the
// text around the sequence.
func signatures(seq *fastyaml.Seq) *itemSigs {
	is := &itemSigs{outside: sigOf(seq.Outside()), sigs: make([]itemSig, seq.Len())}
	for i := range is.sigs {
		text, line := seq.Span(i)
		is.sigs[i] = itemSig{sig: sigOf(text), line: line}
	}
	return is
}

// reuse copies into c.Secrets the secrets of prev that c can take as they
// are, and returns which it took; nil when it took none. c.items must be
// set, with c.File.
func (c *Config) reuse(prev *Config) []bool {
	if prev == nil || prev.items == nil || prev.File != c.File || prev.items.outside != c.items.outside ||
		len(prev.items.sigs) != len(prev.Secrets) {
		return nil
	}
	old := make(map[sig]int, len(prev.items.sigs))
	for j, s := range prev.items.sigs {
		if s.clean {
			old[s.sig] = j
		}
	}
	reused := make([]bool, len(c.Secrets))
	for i, s := range c.items.sigs {
		j, ok := old[s.sig]
		if !ok {
			continue
		}
		delete(old, s.sig) // a second identical item is decoded: it is a duplicate
		c.Secrets[i] = unresolved(&prev.Secrets[j], s.line-prev.items.sigs[j].line)
		reused[i] = true
		c.items.reused++
	}
	return reused
}

// unresolved copies a secret of a loaded Config as parsing left it: the
// values Load read from *_file, *_env and template_file cleared, its
// positions moved by delta lines. The copy shares no slice that Load
// writes to.
func unresolved(s *RotatedSecret, delta int) RotatedSecret {
	c := *s
	c.Pos.Line += delta
	if c.SecretAccessKeyFile != "" || c.SecretAccessKeyEnv != "" {
		c.SecretAccessKey = ""
	}
	c.KeyFile = nil
	c.Sinks = slices.Clone(s.Sinks)
	for j := range c.Sinks {
		k := &c.Sinks[j]
		k.Pos.Line += delta
		k.Spec = unresolvedSpec(k.Spec)
	}
	return c
}
