package daemon

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// userClaims remembers on which IAM user each secret was seen: from the
// store's records, walked once, and from every claim since. It outlives
// reloads. Its entries are hints, kept small for 100,000 secrets: a user
// is known by a 64-bit hash of its ARN, and owners confirms each hint
// from the store before it counts (so a collision costs one read).
type userClaims struct {
	seed maphash.Seed

	mu     sync.Mutex
	seeded bool
	first  map[uint64]string   // user ARN's hash → the first secret seen on it
	more   map[uint64][]string // → the others, rarely any
}

func newUserClaims() *userClaims {
	return &userClaims{seed: maphash.MakeSeed(), first: map[uint64]string{}, more: map[uint64][]string{}}
}

// saw records that secret name was seen on user arn.
func (u *userClaims) saw(arn, name string) {
	if arn == "" {
		return
	}
	h := maphash.String(u.seed, arn)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sawLocked(h, name)
}

// sawLocked is saw for the ARN's hash h; u.mu must be held.
func (u *userClaims) sawLocked(h uint64, name string) {
	switch f, ok := u.first[h]; {
	case !ok:
		u.first[h] = name
	case f != name && !slices.Contains(u.more[h], name):
		u.more[h] = append(u.more[h], name)
	}
}

// markSeeded records that every stored user has been seen (the daemon's
// start-up walk saw them all).
func (u *userClaims) markSeeded() {
	u.mu.Lock()
	u.seeded = true
	u.mu.Unlock()
}

// seedFrom walks the store once for the users its records name, unless
// that was done already.
func (u *userClaims) seedFrom(ctx context.Context, store state.Reader) error {
	u.mu.Lock()
	done := u.seeded
	u.mu.Unlock()
	if done {
		return nil
	}
	type seen struct {
		h    uint64
		name string
	}
	var all []seen
	err := store.Each(ctx, func(st *state.Secret) error {
		if st.UserARN != "" && !st.Archived {
			all = append(all, seen{maphash.String(u.seed, st.UserARN), st.Name})
		}
		return nil
	})
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, s := range all {
		u.sawLocked(s.h, s.name)
	}
	u.seeded = true
	return nil
}

// names returns the secrets seen on user arn (or on a user whose ARN has
// the same hash).
func (u *userClaims) names(arn string) []string {
	h := maphash.String(u.seed, arn)
	u.mu.Lock()
	defer u.mu.Unlock()
	f, ok := u.first[h]
	if !ok {
		return nil
	}
	return append([]string{f}, u.more[h]...)
}

// owners answers iamrotate.Owners for one configuration. The owner of an
// IAM user is, of the secrets that hold it, the one that comes first in
// the configuration: the same answer whichever of them rotates first.
type owners struct {
	cfg   *config.Config
	store state.Reader
	users *userClaims

	once sync.Once
	keys map[string]keyHolder // configured access key id → its holder
}

// keyHolder is who a configured access key belongs to: secrets[secret],
// or, when secret is -1, the target named target.
type keyHolder struct {
	secret int
	target string
}

// index maps every configured access key to its holder: a secret's own
// key, and a target's key to the target's rotator if it has one, else to
// the target.
func (o *owners) index() {
	o.keys = make(map[string]keyHolder, len(o.cfg.Secrets)+len(o.cfg.Targets))
	for i := range o.cfg.Targets {
		if t := &o.cfg.Targets[i]; t.Credentials == config.CredentialsStatic && t.AccessKeyID != "" {
			o.keys[t.AccessKeyID] = keyHolder{secret: -1, target: t.Name}
		}
	}
	for i := range o.cfg.Secrets {
		s := &o.cfg.Secrets[i]
		id := s.AccessKeyID
		if s.RotatorType == config.RotatorTarget {
			if t := o.cfg.TargetByName(s.Target); t != nil {
				id = t.AccessKeyID
			}
		}
		if h, ok := o.keys[id]; id != "" && (!ok || h.secret < 0) {
			o.keys[id] = keyHolder{secret: i}
		}
	}
}

// Claim implements iamrotate.Owners. The candidates are the secrets seen
// on the user and the holders of its keys by the configuration; each
// candidate secret is confirmed from its stored state.
func (o *owners) Claim(ctx context.Context, self, arn string, keyIDs []string) ([]iamrotate.Claim, error) {
	me, ok := o.cfg.SecretIndex(self)
	if !ok {
		return nil, nil
	}
	if err := o.users.seedFrom(ctx, o.store); err != nil {
		return nil, fmt.Errorf("read the store: %w", err)
	}
	o.once.Do(o.index)
	var out []iamrotate.Claim
	candidates := o.users.names(arn)
	for _, id := range keyIDs {
		switch h, ok := o.keys[id]; {
		case !ok:
		case h.secret >= 0:
			candidates = append(candidates, o.cfg.Secrets[h.secret].Name)
		default:
			out = append(out, iamrotate.Claim{Holder: "target " + h.target, KeyIDs: []string{id}})
		}
	}
	o.users.saw(arn, self)
	slices.Sort(candidates)
	for _, name := range slices.Compact(candidates) {
		i, ok := o.cfg.SecretIndex(name)
		if !ok || i == me {
			continue // no longer configured, or the asking secret itself
		}
		keys, held, err := o.holds(ctx, i, arn, keyIDs)
		if err != nil {
			return nil, err
		}
		if held {
			rs := &o.cfg.Secrets[i]
			out = append(out, iamrotate.Claim{Holder: fmt.Sprintf("secret %s (line %d)", rs.Name, rs.Pos.Line), Owns: i < me, KeyIDs: keys})
		}
	}
	return out, nil
}

// holds reports whether secrets[i] holds IAM user arn, and which of
// keyIDs it holds: by its stored state (the user it records, its keys
// not retired) or, before it has stored a key, by its configured key.
func (o *owners) holds(ctx context.Context, i int, arn string, keyIDs []string) ([]string, bool, error) {
	rs := &o.cfg.Secrets[i]
	st, err := o.store.Get(ctx, rs.Name)
	switch {
	case errors.Is(err, state.ErrNotFound):
		st = nil
	case err != nil:
		return nil, false, fmt.Errorf("read the state of %s: %w", rs.Name, err)
	}
	if st == nil || st.Current() == nil {
		boot := rs.AccessKeyID
		if t := o.cfg.TargetByName(rs.Target); rs.RotatorType == config.RotatorTarget && t != nil {
			boot = t.AccessKeyID
		}
		if boot != "" && slices.Contains(keyIDs, boot) {
			return []string{boot}, true, nil
		}
		return nil, false, nil
	}
	var keys []string
	for _, id := range keyIDs {
		if v := st.ByKeyID(id); v != nil && v.State != state.Retired {
			keys = append(keys, id)
		}
	}
	return keys, len(keys) > 0 || st.UserARN == arn, nil
}
