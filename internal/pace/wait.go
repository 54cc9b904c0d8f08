package pace

import (
	"context"
	"slices"
	"time"
)

// Wait blocks until the caller may send one call, callers in the order
// they came, and returns when it let the call through, for Done. A change
// of the rate (a cut) applies to the callers already waiting. It returns
// ctx's error if ctx ends first.
func (a *Auto) Wait(ctx context.Context) (time.Time, error) {
	me := make(chan struct{}, 1)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	a.mu.Lock()
	a.waiters = append(a.waiters, me)
	for {
		var wake <-chan time.Time
		if a.waiters[0] == me {
			now := a.now()
			iv := time.Duration(float64(time.Second) / a.rateLocked(now))
			next := a.last.Add(iv)
			if !now.Before(next) {
				a.waiters = a.waiters[1:]
				// A turn taken a little late keeps the cadence; after a
				// longer pause the next turn counts from now.
				if now.Sub(next) < iv/2 {
					a.last = next
				} else {
					a.last = now
				}
				a.sentLocked(now)
				a.signalHeadLocked()
				a.mu.Unlock()
				return now, nil
			}
			if timer == nil {
				timer = time.NewTimer(next.Sub(now))
			} else {
				timer.Reset(next.Sub(now))
			}
			wake = timer.C
		}
		a.mu.Unlock()
		select {
		case <-me:
		case <-wake:
		case <-ctx.Done():
			a.mu.Lock()
			if i := slices.Index(a.waiters, me); i >= 0 {
				a.waiters = slices.Delete(a.waiters, i, i+1)
				if i == 0 {
					a.signalHeadLocked()
				}
			}
			a.mu.Unlock()
			return time.Time{}, ctx.Err()
		}
		a.mu.Lock()
	}
}

// kick wakes the first waiting caller, to look at a changed rate.
func (a *Auto) kick() {
	a.mu.Lock()
	a.signalHeadLocked()
	a.mu.Unlock()
}

// signalHeadLocked wakes the first waiting caller, if any. a.mu must be
// held.
func (a *Auto) signalHeadLocked() {
	if len(a.waiters) > 0 {
		select {
		case a.waiters[0] <- struct{}{}:
		default:
		}
	}
}
