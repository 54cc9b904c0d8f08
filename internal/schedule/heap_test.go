package schedule

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// TestTimer runs jobs at their times in order, reschedules recurring ones,
// forgets removed ones and stops.
func TestTimer(t *testing.T) {
	tm := NewTimer()
	ran := make(chan string, 100)
	now := time.Now()
	tm.Schedule(Once{At: now.Add(60 * time.Millisecond)}, jobFunc(func() { ran <- "second" }))
	tm.Schedule(Once{At: now.Add(30 * time.Millisecond)}, jobFunc(func() { ran <- "first" }))
	gone := tm.Schedule(Once{At: now.Add(40 * time.Millisecond)}, jobFunc(func() { ran <- "removed" }))
	rec := tm.Schedule(everyD(20*time.Millisecond), jobFunc(func() { ran <- "every" })) // robfig's @every rounds up to 1s
	tm.Remove(gone)
	tm.Start()
	var order []string
	everyN := 0
	deadline := time.After(10 * time.Second)
	for len(order) < 2 || everyN < 3 {
		select {
		case s := <-ran:
			if s == "every" {
				everyN++
				continue
			}
			order = append(order, s)
		case <-deadline:
			t.Fatalf("jobs did not run: %v, every %d", order, everyN)
		}
	}
	if order[0] != "first" || order[1] != "second" {
		t.Fatalf("ran %v, want first then second (and not the removed one)", order)
	}
	if e := tm.Entry(rec); e.Prev.IsZero() || !e.Next.After(e.Prev) {
		t.Errorf("recurring entry prev %s next %s", e.Prev, e.Next)
	}
	<-tm.Stop().Done()
	tm.Remove(rec)
	select {
	case s := <-ran:
		if s != "every" {
			t.Errorf("%s ran after Stop", s)
		}
	default:
	}
	// A job scheduled before the head while running wakes the loop.
	tm2 := NewTimer()
	tm2.Schedule(Once{At: time.Now().Add(time.Hour)}, jobFunc(func() {}))
	tm2.Start()
	defer tm2.Stop()
	soon := make(chan struct{})
	tm2.Schedule(Once{At: time.Now().Add(10 * time.Millisecond)}, jobFunc(func() { close(soon) }))
	select {
	case <-soon:
	case <-time.After(5 * time.Second):
		t.Fatal("an earlier entry added while running did not run")
	}
}

// BenchmarkTimerReschedule is what the daemon does after each rotation:
// replace one entry among 100,000.
func BenchmarkTimerReschedule(b *testing.B) {
	tm := NewTimer()
	last := time.Now()
	ids := make([]cron.EntryID, 100_000)
	for i := range ids {
		ids[i] = tm.Schedule(Interval{Days: 1 + i%30, Hour: 3, Last: last}, jobFunc(func() {}))
	}
	tm.Start()
	defer tm.Stop()
	b.ResetTimer()
	for i := range b.N {
		k := i % len(ids)
		tm.Remove(ids[k])
		ids[k] = tm.Schedule(Interval{Days: 30, Hour: 3, Last: last}, jobFunc(func() {}))
	}
}

// BenchmarkCronReschedule is the same on robfig/cron's own runner.
func BenchmarkCronReschedule(b *testing.B) {
	c := New()
	last := time.Now()
	ids := make([]cron.EntryID, 100_000)
	for i := range ids {
		ids[i] = c.Schedule(Interval{Days: 1 + i%30, Hour: 3, Last: last}, jobFunc(func() {}))
	}
	c.Start()
	defer c.Stop()
	b.ResetTimer()
	for i := range b.N {
		k := i % len(ids)
		c.Remove(ids[k])
		ids[k] = c.Schedule(Interval{Days: 30, Hour: 3, Last: last}, jobFunc(func() {}))
	}
}

// everyD fires every d (robfig's @every has a one-second floor).
type everyD time.Duration

func (e everyD) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }
