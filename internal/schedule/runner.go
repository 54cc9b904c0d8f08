package schedule

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// A runner runs jobs on schedules: Timer in production, Manual in tests,
// and robfig/cron's *cron.Cron too. It is a Scheduler and a Lifecycle.

// Scheduler adds and removes entries. One entry per secret; an entry is
// replaced (Remove, Schedule) when the secret's schedule changes.
type Scheduler interface {
	Schedule(s cron.Schedule, j cron.Job) cron.EntryID
	Remove(id cron.EntryID)
}

// Lifecycle starts a runner, and stops it: Stop's context is done once
// the running jobs have ended.
type Lifecycle interface {
	Start()
	Stop() context.Context
}

var (
	_ Scheduler = (*cron.Cron)(nil)
	_ Lifecycle = (*cron.Cron)(nil)
)

// New returns robfig/cron's own runner, in UTC (the schedules For returns
// give instants; each reads its own zone). The daemon uses Timer, which
// scales; this one stays for comparison (BenchmarkCronReschedule).
func New() *cron.Cron { return cron.New(cron.WithLocation(time.UTC)) }

// Once is a schedule that fires a single time, at At.
type Once struct{ At time.Time }

// Next implements cron.Schedule: At while it is after t, then never (the
// zero time, which cron treats as "do not run").
func (o Once) Next(t time.Time) time.Time {
	if o.At.After(t) {
		return o.At
	}
	return time.Time{}
}

// Manual is a runner driven by a test's clock: nothing runs until Advance.
// It computes each entry's next time as cron does (Next of the time it is
// scheduled, then Next of each run's time).
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	nextID  cron.EntryID
	entries map[cron.EntryID]*cron.Entry
	started bool
}

var (
	_ Scheduler = (*Manual)(nil)
	_ Lifecycle = (*Manual)(nil)
)

// NewManual returns a Manual runner whose clock starts at now.
func NewManual(now time.Time) *Manual {
	return &Manual{now: now, entries: map[cron.EntryID]*cron.Entry{}}
}

// Now is the runner's clock, for the code under test.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Schedule implements Scheduler.
func (m *Manual) Schedule(s cron.Schedule, j cron.Job) cron.EntryID {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	m.entries[m.nextID] = &cron.Entry{ID: m.nextID, Schedule: s, Job: j, Next: s.Next(m.now)}
	return m.nextID
}

// Remove implements Scheduler.
func (m *Manual) Remove(id cron.EntryID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, id)
}

// Entry returns the entry id (for tests).
func (m *Manual) Entry(id cron.EntryID) cron.Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[id]; ok {
		return *e
	}
	return cron.Entry{}
}

// Entries returns every entry, soonest first (never-running ones last).
func (m *Manual) Entries() []cron.Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]cron.Entry, 0, len(m.entries))
	for _, e := range m.entries {
		out = append(out, *e)
	}
	sortEntries(out)
	return out
}

// Start implements Lifecycle.
func (m *Manual) Start() {
	m.mu.Lock()
	m.started = true
	m.mu.Unlock()
}

// Stop implements Lifecycle.
func (m *Manual) Stop() context.Context {
	m.mu.Lock()
	m.started = false
	m.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// Advance moves the clock to t, running every due entry in time order, each
// at its own due time, as cron would have while the clock passed. Jobs run
// synchronously, without the lock held; a job may schedule or remove
// entries.
func (m *Manual) Advance(t time.Time) {
	for {
		m.mu.Lock()
		if !m.started {
			m.now = t
			m.mu.Unlock()
			return
		}
		var due *cron.Entry
		for _, e := range m.entries {
			if !e.Next.IsZero() && !e.Next.After(t) && (due == nil || e.Next.Before(due.Next) || e.Next.Equal(due.Next) && e.ID < due.ID) {
				due = e
			}
		}
		if due == nil {
			m.now = t
			m.mu.Unlock()
			return
		}
		m.now = due.Next
		due.Prev = due.Next
		due.Next = due.Schedule.Next(m.now)
		job := due.Job
		m.mu.Unlock()
		job.Run()
	}
}

func sortEntries(es []cron.Entry) {
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i].Next, es[j].Next
		switch {
		case a.IsZero():
			return false
		case b.IsZero():
			return true
		default:
			return a.Before(b)
		}
	})
}
