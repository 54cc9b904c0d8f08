package schedule

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Timer is the production runner: robfig/cron's schedules and jobs, run
// from a min-heap of next times under one timer. robfig's own runner sorts
// every entry on each wake and each change while running, which with
// 100,000 secrets (one entry each, replaced after every rotation) costs
// more than the rotations; here a change costs O(log n).
//
// Jobs run on the timer's goroutine, in time order: they must not block
// (rotatord's jobs only queue work). The zero value is not usable; use
// NewTimer.
type Timer struct {
	mu      sync.Mutex
	now     func() time.Time
	nextID  cron.EntryID
	entries map[cron.EntryID]*item
	h       items
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	started bool
}

var (
	_ Scheduler = (*Timer)(nil)
	_ Lifecycle = (*Timer)(nil)
)

// item is one entry; pos is its index in the heap, -1 when it will not run
// again.
type item struct {
	entry cron.Entry
	pos   int
}

// NewTimer returns a stopped Timer on the real clock, in UTC.
func NewTimer() *Timer {
	return &Timer{
		now:     func() time.Time { return time.Now().UTC() },
		entries: map[cron.EntryID]*item{},
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// Schedule implements Scheduler.
func (t *Timer) Schedule(s cron.Schedule, j cron.Job) cron.EntryID {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nextID++
	it := &item{entry: cron.Entry{ID: t.nextID, Schedule: s, Job: j, WrappedJob: j, Next: s.Next(t.now())}, pos: -1}
	t.entries[it.entry.ID] = it
	if !it.entry.Next.IsZero() {
		heap.Push(&t.h, it)
		if it.pos == 0 {
			t.poke()
		}
	}
	return it.entry.ID
}

// Remove implements Scheduler.
func (t *Timer) Remove(id cron.EntryID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	it := t.entries[id]
	if it == nil {
		return
	}
	delete(t.entries, id)
	if it.pos >= 0 {
		heap.Remove(&t.h, it.pos)
	}
}

// Entry returns the entry id (for tests).
func (t *Timer) Entry(id cron.EntryID) cron.Entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	if it := t.entries[id]; it != nil {
		return it.entry
	}
	return cron.Entry{}
}

// Start implements Lifecycle: jobs run from now on.
func (t *Timer) Start() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started {
		return
	}
	t.started = true
	go t.loop()
}

// Stop implements Lifecycle. The context is done once a running job returned.
func (t *Timer) Stop() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.mu.Lock()
	started := t.started
	t.started = false
	t.mu.Unlock()
	if !started {
		cancel()
		return ctx
	}
	t.stop <- struct{}{}
	go func() { <-t.done; cancel() }()
	return ctx
}

// poke wakes the loop to look at the head again. t.mu must be held.
func (t *Timer) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *Timer) loop() {
	defer func() { t.done <- struct{}{} }()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		t.mu.Lock()
		due, wait := t.dueLocked()
		t.mu.Unlock()
		for _, j := range due {
			j.Run()
		}
		if len(due) > 0 {
			continue
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-t.wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		case <-t.stop:
			return
		}
	}
}

// dueLocked takes the jobs due now, moving each entry to its next time, or
// says how long to wait for the next. t.mu must be held.
func (t *Timer) dueLocked() (due []cron.Job, wait time.Duration) {
	now := t.now()
	for len(t.h) > 0 && !t.h[0].entry.Next.After(now) {
		it := t.h[0]
		due = append(due, it.entry.Job)
		it.entry.Prev = it.entry.Next
		it.entry.Next = it.entry.Schedule.Next(now)
		if it.entry.Next.IsZero() {
			heap.Pop(&t.h)
		} else {
			heap.Fix(&t.h, 0)
		}
	}
	if len(due) > 0 || len(t.h) == 0 {
		return due, time.Hour
	}
	return nil, t.h[0].entry.Next.Sub(now)
}

// items is a min-heap by next time, then id.
type items []*item

func (h items) Len() int { return len(h) }
func (h items) Less(i, j int) bool {
	a, b := h[i].entry, h[j].entry
	if !a.Next.Equal(b.Next) {
		return a.Next.Before(b.Next)
	}
	return a.ID < b.ID
}
func (h items) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos, h[j].pos = i, j
}
func (h *items) Push(x any) {
	it := x.(*item)
	it.pos = len(*h)
	*h = append(*h, it)
}
func (h *items) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	it.pos = -1
	return it
}
