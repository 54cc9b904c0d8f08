package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Get returns the named secret's state, a copy that shares nothing with the
// store, or an error wrapping ErrNotFound.
func (b *Bolt) Get(ctx context.Context, name string) (*Secret, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	var s *Secret
	err := b.db.View(func(tx *bolt.Tx) error {
		var err error
		s, err = b.load(tx, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	return s, nil
}

// Update runs fn on a copy of the named secret's state (Secret{Name: name}
// if the store has none) and, if fn returns nil, writes that state and
// tx.Events in one durable commit. Events get increasing Seq numbers and
// are filed under name. If fn returns an error, nothing is written and
// Update returns that error as is.
//
// fn runs in the caller's goroutine on a fresh copy; it may run more than
// once (when another Update of the same secret committed in between, fn
// runs again on the new state), so it must only modify tx. Concurrent
// Updates share transactions (group commit: one commit for all that arrived
// while the previous commit was written). Cancelling ctx after Update has
// started does not stop the write: a step fn recorded is kept.
func (b *Bolt) Update(ctx context.Context, name string, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	if name == "" {
		return errors.New("update: empty secret name")
	}
	for range maxConflicts {
		expect, s, err := b.read(name)
		if err != nil {
			return fmt.Errorf("update %s: %w", name, err)
		}
		tx := NewTx(s, b.now)
		if err := fn(tx); err != nil {
			return err
		}
		r, err := b.encode(name, tx)
		if err != nil {
			return fmt.Errorf("update %s: %w", name, err)
		}
		r.expect = expect
		err = b.gc.submit(r)
		if err == nil {
			b.cache.put(name, r.data, normalized(tx.Secret))
		}
		if !errors.Is(err, errConflict) {
			return err
		}
	}
	// Lost the race too often: let the committer run fn on the stored
	// state, in its transaction, where nothing can change under it.
	return b.gc.submit(&commitReq{name: name, fn: fn})
}

// maxConflicts is how often an Update starts over because the secret
// changed under it before it queues its function with the committer.
const maxConflicts = 3

// read returns a secret's stored record and its decoded state
// (Secret{Name: name} and a nil record when there is none).
func (b *Bolt) read(name string) ([]byte, *Secret, error) {
	var raw []byte
	err := b.db.View(func(btx *bolt.Tx) error {
		if v := btx.Bucket(bucketSecrets).Get([]byte(name)); v != nil {
			raw = bytes.Clone(v)
		}
		return nil
	})
	if err != nil || raw == nil {
		return nil, &Secret{Name: name}, err
	}
	if s, ok := b.cache.get(name, raw); ok {
		return raw, s, nil
	}
	s, err := decodeSecret(b.seal, raw)
	if err == nil {
		b.cache.put(name, raw, s)
	}
	return raw, s, err
}

// encode seals and encodes what an update function left: the secret's new
// record and its events.
func (b *Bolt) encode(name string, tx *Tx) (*commitReq, error) {
	data, events, err := encodeTx(b.seal, b.now, name, tx)
	if err != nil {
		return nil, err
	}
	return &commitReq{name: name, data: data, events: events}, nil
}

// encodeTx seals and encodes the secret's new record and its events, as
// every store writes them.
func encodeTx(seal *Sealer, now func() time.Time, name string, tx *Tx) ([]byte, [][]byte, error) {
	switch {
	case tx.Secret == nil:
		return nil, nil, errors.New("the update function left no secret")
	case tx.Secret.Name != name:
		return nil, nil, fmt.Errorf("the update function renamed the secret to %q", tx.Secret.Name)
	}
	data, err := encodeSecret(seal, tx.Secret)
	if err != nil {
		return nil, nil, fmt.Errorf("encode: %w", err)
	}
	events, err := encodeEvents(name, tx.Events, now)
	if err != nil {
		return nil, nil, err
	}
	return data, events, nil
}

// encodeEvents encodes a transaction's events, filed under name and
// stamped now unless they carry a time.
func encodeEvents(name string, events []Event, now func() time.Time) ([][]byte, error) {
	var out [][]byte
	for _, e := range events {
		e.Secret = name
		if e.Time.IsZero() {
			e.Time = now()
		}
		ev, err := encodeEvent(e)
		if err != nil {
			return nil, fmt.Errorf("encode event: %w", err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// List returns every secret's state, sorted by name.
func (b *Bolt) List(ctx context.Context) ([]*Secret, error) { return listAll(ctx, b.Each) }

// listAll collects every state a store's Each walks.
func listAll(ctx context.Context, each func(context.Context, func(*Secret) error) error) ([]*Secret, error) {
	var out []*Secret
	err := each(ctx, func(s *Secret) error {
		out = append(out, s)
		return nil
	})
	return out, err
}

// Each calls fn with every secret's state, in name order, holding one at a
// time: a start-up over 100,000 secrets need not hold them all. fn runs in
// a read transaction and must not wait for a write to the store; its
// error stops the walk and is returned.
func (b *Bolt) Each(ctx context.Context, fn func(*Secret) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	err := b.db.View(func(tx *bolt.Tx) error {
		// bbolt keeps keys in byte order, which is Go's string order.
		return tx.Bucket(bucketSecrets).ForEach(func(k, v []byte) error {
			s, err := decodeSecret(b.seal, v)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			return fn(s)
		})
	})
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	return nil
}

// History returns the named secret's audit events, oldest first: none for
// a secret that has state but no events, an error wrapping ErrNotFound for
// one the store does not know.
func (b *Bolt) History(ctx context.Context, name string) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("history %s: %w", name, err)
	}
	var out []Event
	err := b.db.View(func(tx *bolt.Tx) error {
		log := tx.Bucket(bucketEvents).Bucket([]byte(name))
		if log == nil {
			if tx.Bucket(bucketSecrets).Get([]byte(name)) == nil {
				return ErrNotFound
			}
			return nil
		}
		return log.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("event key %x is not a sequence number", k)
			}
			e, err := decodeEvent(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", name, err)
	}
	return out, nil
}

// load decodes the named secret in tx, or returns ErrNotFound. A record
// decoded (or written) before comes from the cache: the daemon reads each
// secret right after its rotation wrote it.
func (b *Bolt) load(tx *bolt.Tx, name string) (*Secret, error) {
	data := tx.Bucket(bucketSecrets).Get([]byte(name))
	if data == nil {
		return nil, ErrNotFound
	}
	if s, ok := b.cache.get(name, data); ok {
		return s, nil
	}
	s, err := decodeSecret(b.seal, data)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
