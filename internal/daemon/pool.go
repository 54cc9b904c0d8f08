package daemon

import (
	"context"
	"errors"
	"sync"

	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/iamrotate"
)

// jobKind says what a job does to its secret.
type jobKind int

const (
	jobRotate   jobKind = iota // rotate, or finish an open rotation
	jobDiscover                // learn the age of a key rotatord never rotated
	jobRetire                  // remove the previous key after grace_period
	jobRefresh                 // write the current key to sinks that lack it
	jobRollback                // make the previous key current again
)

func (k jobKind) String() string {
	return [...]string{"rotate", "discover", "retire", "refresh", "rollback"}[k]
}

// job is one unit of work on one secret. done, if set, receives the
// result; it must have room for one value.
type job struct {
	secret string
	kind   jobKind
	manual bool
	// reason is a rollback's, for the audit history.
	reason string
	// revoke, if set, makes a rotation revoke the key it replaces.
	revoke *iamrotate.Revoke
	// ifDue makes a rotation look at the store first and do nothing when
	// the secret is no longer due (a catch-up queued by a reload while
	// another job of the secret was finishing its rotation).
	ifDue bool
	done  chan<- jobResult
}

// errBusy: a job for this secret is already queued or running.
var errBusy = control.ErrBusy

// errStopping: the daemon is shutting down and takes no new work.
var errStopping = errors.New("rotatord is shutting down")

// pool runs jobs on a fixed number of workers. At most one job per secret
// is queued or running at any time: a secret already in the pool is not
// queued twice. One exception: a job that finds its secret busy with a
// refresh (which a replica on a shared store runs often, to keep its own
// sinks current) waits for it and runs next, rather than being lost.
type pool struct {
	run runFunc

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []job
	active  map[string]jobKind // queued or running, by secret
	running map[string]bool
	// after holds, by secret, the job to queue once the secret's refresh
	// has ended.
	after  map[string]job
	closed bool
	wg     sync.WaitGroup
}

// runFunc runs one job with ctx. It may call awsDone once the job has
// made its last AWS call (a rotation passes it on as its Spec's AWSDone):
// its worker is then free for the next job.
type runFunc func(ctx context.Context, j job, awsDone func()) jobResult

// newPool starts n workers that call run for each job with ctx.
func newPool(ctx context.Context, n int, run runFunc) *pool {
	p := &pool{run: run, active: map[string]jobKind{}, running: map[string]bool{}, after: map[string]job{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(n)
	for range n {
		go p.worker(ctx)
	}
	return p
}

// submit queues j unless its secret already has a job queued or running.
func (p *pool) submit(j job) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errStopping
	}
	if kind, ok := p.active[j.secret]; ok {
		if _, waiting := p.after[j.secret]; waitsBehind(kind, j.kind) && !waiting {
			p.after[j.secret] = j
			return nil
		}
		return errBusy
	}
	p.queueLocked(j)
	return nil
}

// waitsBehind reports whether a job of kind next, submitted while its
// secret has a job of kind busy, waits for it and runs next rather than
// being refused: anything behind a refresh, and a rotation behind a
// retirement (the daemon's start queues a grace period's end missed while
// down, and a catch_up: immediate rotation, at once).
func waitsBehind(busy, next jobKind) bool {
	return busy == jobRefresh && next != jobRefresh || busy == jobRetire && next == jobRotate
}

// queueLocked queues j and marks its secret busy. p.mu must be held.
func (p *pool) queueLocked(j job) {
	p.active[j.secret] = j.kind
	p.queue = append(p.queue, j)
	p.cond.Signal()
}

// status reports whether the secret is queued, running, or neither.
func (p *pool) status(secret string) (queued, running bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, in := p.active[secret]
	return in && !p.running[secret], p.running[secret]
}

// counts returns how many jobs are queued and running.
func (p *pool) counts() (queued, running int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue), len(p.running)
}

// worker runs jobs one after the other. A rotation frees its worker once it
// has made its last AWS call (run's awsDone): its last commit and
// the bookkeeping after it go on in the job's goroutine while the worker
// starts the next job. workers so bounds the rotations calling AWS at
// once; the secret stays busy until its job has returned.
func (p *pool) worker(ctx context.Context) {
	defer p.wg.Done()
	for {
		j, ok := p.next()
		if !ok {
			return
		}
		freed := make(chan struct{})
		var once sync.Once
		free := func() { once.Do(func() { close(freed) }) }
		p.wg.Add(1) // the worker's own count keeps close from returning first
		go func() {
			defer p.wg.Done()
			res := p.run(ctx, j, free)
			free()
			p.done(j, res)
		}()
		<-freed
	}
}

// next waits for a job and marks it running; false: the pool is closed.
func (p *pool) next() (job, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.queue) == 0 && !p.closed {
		p.cond.Wait()
	}
	if p.closed {
		return job{}, false
	}
	j := p.queue[0]
	p.queue[0] = job{}
	p.queue = p.queue[1:]
	p.running[j.secret] = true
	return j, true
}

// done ends a job: its secret is free again, its caller gets the result
// and its follow-up is queued.
func (p *pool) done(j job, res jobResult) {
	p.mu.Lock()
	delete(p.running, j.secret)
	delete(p.active, j.secret)
	if next, ok := p.after[j.secret]; ok {
		delete(p.after, j.secret)
		if !p.closed {
			p.queueLocked(next)
		} else if next.done != nil {
			next.done <- jobResult{err: errStopping}
		}
	}
	p.mu.Unlock()
	if j.done != nil {
		j.done <- res
	}
	if res.then != nil {
		_ = p.submit(*res.then)
	}
}

// close stops taking jobs and drops the queued ones (their secrets are
// scheduled again at the next start); it returns the dropped jobs' count
// and a channel closed once the running jobs have returned.
func (p *pool) close() (dropped int, idle <-chan struct{}) {
	p.mu.Lock()
	p.closed = true
	dropped = len(p.queue)
	for _, j := range p.queue {
		delete(p.active, j.secret)
		if j.done != nil {
			j.done <- jobResult{err: errStopping}
		}
	}
	p.queue = nil
	for s, j := range p.after {
		if _, running := p.running[s]; !running {
			delete(p.after, s)
			if j.done != nil {
				j.done <- jobResult{err: errStopping}
			}
		}
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	ch := make(chan struct{})
	go func() { p.wg.Wait(); close(ch) }()
	return dropped, ch
}
