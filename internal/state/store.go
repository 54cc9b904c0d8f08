package state

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

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
// tx.Events in one fsynced commit. Events get increasing Seq numbers and
// are filed under name. If fn returns an error, nothing is written and
// Update returns that error as is.
//
// fn runs inside the store's single write transaction: it must be quick,
// must not block on I/O, and must not call the store. Concurrent Updates
// share transactions (group commit: one fsync for all that arrived while
// the previous commit was written), so fn may see other secrets' changes
// committed with its own, and may run again if the shared transaction
// fails. Cancelling ctx after Update has started does not stop the write: a
// step fn recorded is kept.
func (b *Bolt) Update(ctx context.Context, name string, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	if name == "" {
		return errors.New("update: empty secret name")
	}
	return b.gc.submit(name, fn)
}

// write puts tx.Secret and appends tx.Events in btx.
func (b *Bolt) write(btx *bolt.Tx, name string, tx *Tx) error {
	switch {
	case tx.Secret == nil:
		return errors.New("the update function left no secret")
	case tx.Secret.Name != name:
		return fmt.Errorf("the update function renamed the secret to %q", tx.Secret.Name)
	}
	data, err := encodeSecret(b.seal, tx.Secret)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := btx.Bucket(bucketSecrets).Put([]byte(name), data); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	if len(tx.Events) == 0 {
		return nil
	}
	events := btx.Bucket(bucketEvents)
	log, err := events.CreateBucketIfNotExists([]byte(name))
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	for _, e := range tx.Events {
		seq, err := events.NextSequence()
		if err != nil {
			return fmt.Errorf("event sequence: %w", err)
		}
		e.Secret = name
		if e.Time.IsZero() {
			e.Time = b.now()
		}
		data, err := encodeEvent(e)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		if err := log.Put(seqKey(seq), data); err != nil {
			return fmt.Errorf("put event: %w", err)
		}
	}
	return nil
}

// List returns every secret's state, sorted by name.
func (b *Bolt) List(ctx context.Context) ([]*Secret, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	var out []*Secret
	err := b.db.View(func(tx *bolt.Tx) error {
		// bbolt keeps keys in byte order, which is Go's string order.
		return tx.Bucket(bucketSecrets).ForEach(func(k, v []byte) error {
			s, err := decodeSecret(b.seal, v)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			out = append(out, s)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return out, nil
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

// load decodes the named secret in tx, or returns ErrNotFound.
func (b *Bolt) load(tx *bolt.Tx, name string) (*Secret, error) {
	data := tx.Bucket(bucketSecrets).Get([]byte(name))
	if data == nil {
		return nil, ErrNotFound
	}
	s, err := decodeSecret(b.seal, data)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
