package state

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxBatch bounds how many Updates share one transaction.
const maxBatch = 512

// fillPercent is how full bbolt leaves a page it splits. Its default, half,
// suits inserts in random order; rotatord adds secrets mostly in the order
// it meets them (start-up walks the configuration) and events strictly in
// sequence, then rewrites records in place. Pages filled to 90% make a
// store of 100,000 secrets 36 MB instead of 68, which start-up reads
// whole.
const fillPercent = 0.9

// errClosed: the store is closed.
var errClosed = errors.New("state store is closed")

// committer is the store's group commit. Updates that arrive while a
// commit is being written wait together and go into the next transaction:
// one commit (bbolt syncs twice: pages, then meta page) for all of them,
// and no delay for an Update that arrives alone.
// Each Update still returns only once its own change is durable.
//
// The committer only writes bytes: callers decode, run their function,
// seal and encode in their own goroutines, in parallel, and hand over the
// new record with the record they read. If the stored record changed in
// between (another Update of the same secret), the request is refused with
// errConflict and the caller starts over: optimistic concurrency.
type committer struct {
	b *Bolt

	mu     sync.Mutex
	queue  []*commitReq
	closed bool
	wake   chan struct{}
	done   chan struct{}

	updates atomic.Uint64 // Updates written
	commits atomic.Uint64 // transactions committed (each two fdatasyncs)
	busy    atomic.Int64  // nanoseconds spent in transactions
}

type commitReq struct {
	name   string
	expect []byte   // the record the caller read; nil: there was none
	data   []byte   // the new record
	events [][]byte // encoded events, keyed by the next sequence numbers
	done   chan error
	// conflict is set when the stored record is no longer expect.
	conflict bool
	// fn, when set, is a request that lost too many races: the committer
	// runs it on the stored state itself, so it cannot conflict.
	fn    func(tx *Tx) error
	fnErr error
}

// errConflict: the secret changed since the caller read it.
var errConflict = errors.New("the secret changed concurrently")

func newCommitter(b *Bolt) *committer {
	c := &committer{b: b, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop()
	return c
}

// submit queues a write and waits until it is durable or refused.
func (c *committer) submit(r *commitReq) error {
	r.done = make(chan error, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errClosed
	}
	c.queue = append(c.queue, r)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return <-r.done
}

func (c *committer) loop() {
	defer close(c.done)
	for range c.wake {
		for {
			c.mu.Lock()
			n := min(len(c.queue), maxBatch)
			batch := c.queue[:n:n]
			c.queue = c.queue[n:]
			closed := c.closed && len(c.queue) == 0
			c.mu.Unlock()
			if n == 0 {
				if closed {
					return
				}
				break
			}
			c.commit(batch)
		}
	}
}

// commit writes a batch in one transaction. A request whose secret changed
// writes nothing and the others go on; if the transaction itself fails, the
// requests are retried one by one, so that one cannot fail the others.
func (c *committer) commit(batch []*commitReq) {
	start := time.Now()
	defer func() { c.busy.Add(int64(time.Since(start))) }()
	err := c.b.db.Update(func(btx *bolt.Tx) error {
		for _, r := range batch {
			if err := c.b.apply(btx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			c.commit([]*commitReq{r})
		}
		return
	}
	if err == nil {
		c.commits.Add(1)
	}
	for _, r := range batch {
		switch {
		case r.fnErr != nil:
			r.done <- r.fnErr
		case r.conflict && err == nil:
			r.done <- errConflict
		case err != nil:
			r.done <- fmt.Errorf("update %s: %w", r.name, err)
		default:
			c.updates.Add(1)
			r.done <- nil
		}
	}
}

// apply writes one request's record and events, unless the secret changed
// since the caller read it (earlier requests of the batch included).
func (b *Bolt) apply(btx *bolt.Tx, r *commitReq) error {
	r.conflict, r.fnErr = false, nil
	secrets := btx.Bucket(bucketSecrets)
	secrets.FillPercent = fillPercent
	if r.fn != nil {
		if err := b.applyFn(secrets, r); err != nil || r.fnErr != nil {
			return err
		}
	} else if !bytes.Equal(secrets.Get([]byte(r.name)), r.expect) {
		r.conflict = true
		return nil
	}
	if err := secrets.Put([]byte(r.name), r.data); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	if len(r.events) == 0 {
		return nil
	}
	events := btx.Bucket(bucketEvents)
	log, err := events.CreateBucketIfNotExists([]byte(r.name))
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	log.FillPercent = fillPercent
	for _, e := range r.events {
		seq, err := events.NextSequence()
		if err != nil {
			return fmt.Errorf("event sequence: %w", err)
		}
		if err := log.Put(seqKey(seq), e); err != nil {
			return fmt.Errorf("put event: %w", err)
		}
	}
	return nil
}

// applyFn runs a pessimistic request's function on the stored state and
// fills in the record and events to write.
func (b *Bolt) applyFn(secrets *bolt.Bucket, r *commitReq) error {
	s := &Secret{Name: r.name}
	if raw := secrets.Get([]byte(r.name)); raw != nil {
		var err error
		if s, err = decodeSecret(b.seal, raw); err != nil {
			return err
		}
	}
	tx := NewTx(s, b.now)
	if err := r.fn(tx); err != nil {
		r.fnErr = err
		return nil
	}
	enc, err := b.encode(r.name, tx)
	if err != nil {
		r.fnErr = err
		return nil
	}
	r.data, r.events = enc.data, enc.events
	return nil
}

// close lets the queued requests finish and stops the committer.
func (c *committer) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	close(c.wake)
	<-c.done
}

// Stats are the store's write counters.
type Stats struct {
	// Updates is how many Updates were written.
	Updates uint64
	// Commits is how many transactions wrote them, each with two fdatasyncs
	// (bbolt syncs the pages, then the meta page).
	Commits uint64
	// Busy is the time spent writing them.
	Busy time.Duration
}

// Stats returns the write counters since Open.
func (b *Bolt) Stats() Stats {
	return Stats{Updates: b.gc.updates.Load(), Commits: b.gc.commits.Load(), Busy: time.Duration(b.gc.busy.Load())}
}
