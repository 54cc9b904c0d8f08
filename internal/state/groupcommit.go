package state

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// maxBatch bounds how many Updates share one transaction.
const maxBatch = 512

// errClosed: the store is closed.
var errClosed = errors.New("state store is closed")

// committer is the store's group commit. Updates that arrive while a
// commit is being written wait together and go into the next transaction:
// one fsync for all of them, and no delay for an Update that arrives alone.
// Each Update still returns only once its own change is durable.
type committer struct {
	b *Bolt

	mu     sync.Mutex
	queue  []*commitReq
	closed bool
	wake   chan struct{}
	done   chan struct{}

	updates atomic.Uint64 // Updates written
	commits atomic.Uint64 // transactions committed (each one fsync)
}

type commitReq struct {
	name  string
	fn    func(tx *Tx) error
	fnErr error
	done  chan error
}

func newCommitter(b *Bolt) *committer {
	c := &committer{b: b, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop()
	return c
}

// submit queues an Update and waits until it is durable or refused.
func (c *committer) submit(name string, fn func(tx *Tx) error) error {
	r := &commitReq{name: name, fn: fn, done: make(chan error, 1)}
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

// commit writes a batch in one transaction. A request whose function fails
// writes nothing and the others go on; if the transaction itself fails, the
// requests are retried one by one, so that one cannot fail the others.
func (c *committer) commit(batch []*commitReq) {
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
		case err != nil:
			r.done <- fmt.Errorf("update %s: %w", r.name, err)
		default:
			c.updates.Add(1)
			r.done <- nil
		}
	}
}

// apply runs one request's function on the secret's state as the
// transaction sees it (earlier requests of the batch included) and writes
// the result unless the function failed.
func (b *Bolt) apply(btx *bolt.Tx, r *commitReq) error {
	r.fnErr = nil
	s, err := b.load(btx, r.name)
	if errors.Is(err, ErrNotFound) {
		s, err = &Secret{Name: r.name}, nil
	}
	if err != nil {
		return err
	}
	tx := NewTx(s, b.now)
	if err := r.fn(tx); err != nil {
		r.fnErr = err
		return nil
	}
	return b.write(btx, r.name, tx)
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
	// Commits is how many transactions wrote them, each with one fsync.
	Commits uint64
}

// Stats returns the write counters since Open.
func (b *Bolt) Stats() Stats {
	return Stats{Updates: b.gc.updates.Load(), Commits: b.gc.commits.Load()}
}
