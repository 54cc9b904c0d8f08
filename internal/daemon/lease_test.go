package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/rotatord/rotatord/internal/awsfake/awsfaketest"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/state"
	"github.com/rotatord/rotatord/internal/testlog"
)

// leaseWorld is awsfake with a state table and a DynamoDB store on it,
// whose clock (the store's and the leasing's) moves only when the test
// moves it. awsfake itself keeps the real clock, which signing needs.
type leaseWorld struct {
	fake    *awsfaketest.Server
	url     string
	admin   aws.Credentials
	aws     aws.Config
	keyText string // the protection key, as its file holds it
	key     []byte
	clock   *schedule.Manual
	store   *state.Dynamo
	logs    *testlog.Buffer
	log     *slog.Logger
}

func newLeaseWorld(t *testing.T) *leaseWorld {
	t.Helper()
	fake, url := awsfaketest.Start(t)
	w := &leaseWorld{fake: fake, url: url, admin: fake.SeedUser("admin", true), clock: schedule.NewManual(t0), logs: &testlog.Buffer{}}
	w.log = slog.New(slog.NewTextHandler(w.logs, nil))
	w.aws = aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(w.admin.AccessKeyID, w.admin.SecretAccessKey, ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts, o.MaxBackoff, o.RateLimiter = 4, 20*time.Millisecond, ratelimit.None
			})
		},
	}
	ctx := context.Background()
	_, err := state.InitDynamoTable(ctx, w.aws, "rotatord")
	if err != nil {
		t.Fatal(err)
	}
	if w.keyText, err = state.NewProtectionKey(); err != nil {
		t.Fatal(err)
	}
	if w.key, err = state.ParseProtectionKey(w.keyText); err != nil {
		t.Fatal(err)
	}
	w.store = w.open(t, w.clock.Now)
	return w
}

// open opens another store on the table: another replica's, on its own
// clock.
func (w *leaseWorld) open(t *testing.T, now func() time.Time) *state.Dynamo {
	t.Helper()
	st, err := state.OpenDynamo(context.Background(), w.aws, "rotatord", w.key, state.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (w *leaseWorld) leasing(t *testing.T, owner string, dur time.Duration) *leasing {
	t.Helper()
	l := newLeasing(w.store, owner, dur, w.clock.Now, w.log)
	if l == nil {
		t.Fatal("newLeasing of a DynamoDB store is nil")
	}
	return l
}

// advance moves the clock d forward.
func (w *leaseWorld) advance(d time.Duration) { w.clock.Advance(w.clock.Now().Add(d)) }

// holder is the secret's lease as stored.
func (w *leaseWorld) holder(t *testing.T, name string) *state.Lease {
	t.Helper()
	h, err := w.store.Holder(context.Background(), name)
	if err != nil || h == nil {
		t.Fatalf("Holder(%s) = %v, %v; want a lease", name, h, err)
	}
	return h
}

// released fails unless the secret's lease has been given up: it expires
// no later than now, and another owner can take it at once.
func (w *leaseWorld) released(t *testing.T, name string) {
	t.Helper()
	if h := w.holder(t, name); h.Expires.After(w.clock.Now()) {
		t.Errorf("after hold, the lease of %s is %s's until %s, want released (now %s)", name, h.Owner, h.Expires, w.clock.Now())
	}
}

var errStep = errors.New("a step of the work failed")

// TestHoldRunsUnderLease: on a free lease, hold runs fn while this owner
// holds the lease, with a fence whose guard passes and whose store's
// writes land and carry the lease (once another owner takes the lease, a
// write through fn's fence is refused), and the lease is released when fn
// returns.
func TestHoldRunsUnderLease(t *testing.T) {
	ctx := context.Background()
	w := newLeaseWorld(t)
	l := w.leasing(t, "replica-a", 30*time.Second)
	var held fence
	var tok uint64
	err := l.hold(ctx, "/app", func(f fence) error {
		held = f
		if err := f.guard.Check(); err != nil {
			t.Errorf("the guard of a fresh lease: %v, want nil", err)
		}
		h := w.holder(t, "/app")
		if h.Owner != "replica-a" || !h.Expires.Equal(t0.Add(30*time.Second)) {
			t.Errorf("while fn runs, the lease is %s's until %s, want replica-a's until %s", h.Owner, h.Expires, t0.Add(30*time.Second))
		}
		tok = h.Token
		if _, err := w.store.Acquire(ctx, "/app", "replica-b", 30*time.Second); !errors.Is(err, state.ErrLeaseHeld) {
			t.Errorf("another owner's Acquire while fn runs: %v, want ErrLeaseHeld", err)
		}
		return writeAs(ctx, f.store, "/app", "a1")
	})
	if err != nil {
		t.Fatalf("hold = %v", err)
	}
	if held.store == nil {
		t.Fatal("fn did not run, or got no fenced store")
	}
	if got := w.userName(t, "/app"); got != "a1" {
		t.Errorf("user name %q, want fn's write a1", got)
	}
	w.released(t, "/app")
	b, err := w.store.Acquire(ctx, "/app", "replica-b", 30*time.Second)
	if err != nil {
		t.Fatalf("another owner cannot take the released lease at once: %v", err)
	}
	if b.Token <= tok {
		t.Errorf("the new holder's token %d is not above %d", b.Token, tok)
	}
	if err := writeAs(ctx, held.store, "/app", "a2"); !errors.Is(err, state.ErrFenced) {
		t.Errorf("a write through fn's fence after the lease passed on: %v, want ErrFenced", err)
	}
	if err := writeAs(ctx, w.store.Fenced(b), "/app", "b1"); err != nil {
		t.Errorf("the new holder's write: %v", err)
	}
	if logs := w.logs.String(); strings.Contains(logs, "lost the lease") || strings.Contains(logs, "could not release") {
		t.Errorf("logs:\n%s", logs)
	}
}

// TestHoldHeldElsewhere: while another owner holds the lease, hold
// returns a *state.HeldError naming it, does not run fn, and leaves the
// other owner's lease alone.
func TestHoldHeldElsewhere(t *testing.T) {
	ctx := context.Background()
	w := newLeaseWorld(t)
	b, err := w.store.Acquire(ctx, "/app", "replica-b", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ran := false
	err = w.leasing(t, "replica-a", 30*time.Second).hold(ctx, "/app", func(fence) error {
		ran = true
		return nil
	})
	if ran {
		t.Error("fn ran while another owner held the lease")
	}
	var held *state.HeldError
	if !errors.As(err, &held) || !errors.Is(err, state.ErrLeaseHeld) {
		t.Fatalf("hold = %v, want a *state.HeldError", err)
	}
	if held.Holder == nil || held.Holder.Owner != "replica-b" || !held.Holder.Expires.Equal(b.Expires) {
		t.Errorf("HeldError names %+v, want replica-b until %s", held.Holder, b.Expires)
	}
	if h := w.holder(t, "/app"); h.Owner != "replica-b" || h.Token != b.Token || !h.Expires.Equal(b.Expires) {
		t.Errorf("the lease is now %+v, want replica-b's %+v untouched", h, b)
	}
}

// TestHoldTakenOver: fn runs past its lease's expiry and another owner
// takes the lease over: fn's later writes are refused with ErrFenced while
// the new holder's land, hold's error wraps ErrFenced as well as fn's own,
// and releasing the lost lease leaves the new holder's alone.
func TestHoldTakenOver(t *testing.T) {
	ctx := context.Background()
	w := newLeaseWorld(t)
	var b *state.Lease
	err := w.leasing(t, "replica-a", 30*time.Second).hold(ctx, "/app", func(f fence) error {
		if err := writeAs(ctx, f.store, "/app", "a1"); err != nil {
			t.Fatalf("a write under a held lease: %v", err)
		}
		a := w.holder(t, "/app")
		w.advance(40 * time.Second) // paused past the lease
		var err error
		if b, err = w.store.Acquire(context.Background(), "/app", "replica-b", 30*time.Second); err != nil {
			t.Fatalf("taking over an expired lease: %v", err)
		}
		if b.Token <= a.Token {
			t.Errorf("the new holder's token %d is not above %d", b.Token, a.Token)
		}
		if err := writeAs(ctx, f.store, "/app", "a2"); !errors.Is(err, state.ErrFenced) {
			t.Errorf("a write under the lost lease: %v, want ErrFenced", err)
		}
		if err := writeAs(context.Background(), w.store.Fenced(b), "/app", "b1"); err != nil {
			t.Errorf("the new holder's write: %v", err)
		}
		return errStep
	})
	if !errors.Is(err, state.ErrFenced) || !errors.Is(err, errStep) {
		t.Errorf("hold = %v, want an error wrapping ErrFenced and fn's error", err)
	}
	if got := w.userName(t, "/app"); got != "b1" {
		t.Errorf("user name %q, want the new holder's b1", got)
	}
	if h := w.holder(t, "/app"); b != nil && (h.Owner != "replica-b" || h.Token != b.Token || !h.Expires.Equal(b.Expires)) {
		t.Errorf("after hold, the lease is %+v, want replica-b's %+v (releasing a lost lease must not release the new one)", h, b)
	}
}

// TestHoldPastSafeTime: fn still runs when, on this host's clock, the
// lease is within a third of its duration of expiring (no renewal came):
// no one can take the lease yet, so fn's writes still land, but hold
// reports fn's failure as fenced, naming the expiry.
func TestHoldPastSafeTime(t *testing.T) {
	ctx := context.Background()
	w := newLeaseWorld(t)
	err := w.leasing(t, "replica-a", 30*time.Second).hold(ctx, "/app", func(f fence) error {
		w.advance(20 * time.Second) // expires at +30s; safe until +20s
		if _, err := w.store.Acquire(context.Background(), "/app", "replica-b", 30*time.Second); !errors.Is(err, state.ErrLeaseHeld) {
			t.Errorf("another owner's Acquire before the expiry: %v, want ErrLeaseHeld", err)
		}
		if err := writeAs(ctx, f.store, "/app", "a1"); err != nil {
			t.Errorf("a write while the stored lease is still ours: %v", err)
		}
		return errStep
	})
	if !errors.Is(err, state.ErrFenced) || !errors.Is(err, errStep) || !strings.Contains(err.Error(), "expired before it was renewed") {
		t.Errorf("hold = %v, want ErrFenced (expired before it was renewed) wrapping fn's error", err)
	}
	w.released(t, "/app")
}

// TestKeeperCheck: the guard passes until a third of the lease's duration
// before its expiry on this host's clock, and fails with ErrFenced from
// then on, or once the lease is lost, naming the secret, owner and token.
func TestKeeperCheck(t *testing.T) {
	const dur = 30 * time.Second
	lease := &state.Lease{Secret: "/app", Owner: "replica-a", Token: 7, Expires: t0.Add(dur)}
	for _, tt := range []struct {
		name string
		at   time.Duration // after t0
		lost bool
		want string // in the error; "" for none
	}{
		{name: "fresh", at: 0},
		{name: "just before the safe time", at: dur*2/3 - time.Nanosecond},
		{name: "at the safe time", at: dur * 2 / 3, want: "expired before it was renewed"},
		{name: "past the expiry", at: dur + time.Second, want: "expired before it was renewed"},
		{name: "lost", at: 0, lost: true, want: "the lease was lost"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := schedule.NewManual(t0.Add(tt.at))
			k := &keeper{leasing: &leasing{owner: "replica-a", dur: dur, now: clock.Now, log: slog.Default()}, lease: lease}
			k.valid.Store(k.validUntil(lease.Expires))
			if got, want := k.valid.Load(), t0.Add(dur*2/3).UnixNano(); got != want {
				t.Errorf("valid until %s, want %s", time.Unix(0, got).UTC(), time.Unix(0, want).UTC())
			}
			k.lost.Store(tt.lost)
			err := k.Check()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check = %v, want nil", err)
			case tt.want != "" && (!errors.Is(err, state.ErrFenced) || !strings.Contains(fmt.Sprint(err), tt.want)):
				t.Errorf("Check = %v, want ErrFenced: %s", err, tt.want)
			case err != nil && (!strings.Contains(err.Error(), "/app") || !strings.Contains(err.Error(), "owner replica-a, token 7")):
				t.Errorf("Check = %v, want it to name /app, replica-a and token 7", err)
			}
		})
	}
}

// TestHoldRenews: while fn runs, the lease is renewed every sixth of its
// duration from the store's clock, keeping its owner and token, and the
// guard, moved along, still passes after the lease's first expiry.
//
// The store keeps expiries in whole seconds, so the lease lasts 3s (a
// renewal a second, on the real ticker) rather than less.
func TestHoldRenews(t *testing.T) {
	ctx := context.Background()
	w := newLeaseWorld(t)
	const dur = 3 * time.Second
	err := w.leasing(t, "replica-a", dur).hold(ctx, "/app", func(f fence) error {
		first := w.holder(t, "/app")
		if !first.Expires.Equal(t0.Add(dur)) {
			t.Errorf("the lease expires at %s, want %s", first.Expires, t0.Add(dur))
		}
		// Each step stays within the guard's margin of the last renewal.
		for _, at := range []time.Duration{time.Second, 2500 * time.Millisecond, 3500 * time.Millisecond} {
			w.clock.Advance(t0.Add(at))
			want := t0.Add(at + dur).Truncate(time.Second)
			var h *state.Lease
			eventually(t, "the lease renewed until "+want.Format(time.TimeOnly), func() bool {
				h = w.holder(t, "/app")
				return !h.Expires.Before(want)
			})
			if h.Owner != "replica-a" || h.Token != first.Token {
				t.Errorf("renewed lease %+v, want replica-a's with token %d", h, first.Token)
			}
		}
		if err := writeAs(ctx, f.store, "/app", "a1"); err != nil {
			t.Errorf("a write under the renewed lease: %v", err)
		}
		return errStep
	})
	if err != errStep {
		t.Errorf("hold = %v, want fn's error as is (the renewed lease is still safe)", err)
	}
	if logs := w.logs.String(); strings.Contains(logs, "lost the lease") || strings.Contains(logs, "could not renew") {
		t.Errorf("logs:\n%s", logs)
	}
	w.released(t, "/app")
}

// TestHoldLosesLease: while fn runs, renewal gives the lease up and logs
// it once the lease is no longer safe on this host's clock, or once
// another owner has taken it over (here on a clock 10s ahead, so that this
// one still finds the lease safe): fn's writes are refused, hold's error
// wraps ErrFenced, and the new holder's lease stays.
func TestHoldLosesLease(t *testing.T) {
	const dur = 3 * time.Second
	for _, tt := range []struct {
		name    string
		advance time.Duration // of this replica's clock
		skew    time.Duration // of the other replica's clock
		logged  string
		held    string // in hold's error
	}{
		{name: "expired unrenewed", advance: 4 * time.Second, logged: "expired before it was renewed", held: "the lease was lost"},
		{name: "taken over", skew: 10 * time.Second, logged: "another replica took the lease over", held: "the lease was lost"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			w := newLeaseWorld(t)
			other := w.open(t, func() time.Time { return w.clock.Now().Add(tt.skew) })
			var b *state.Lease
			err := w.leasing(t, "replica-a", dur).hold(ctx, "/app", func(f fence) error {
				w.advance(tt.advance)
				var err error
				if b, err = other.Acquire(context.Background(), "/app", "replica-b", dur); err != nil {
					t.Fatalf("taking the lease over: %v", err)
				}
				eventually(t, "the lease given up", func() bool {
					return strings.Contains(w.logs.String(), "lost the lease")
				})
				if err := writeAs(ctx, f.store, "/app", "a1"); !errors.Is(err, state.ErrFenced) {
					t.Errorf("a write under the lost lease: %v, want ErrFenced", err)
				}
				return errStep
			})
			if !errors.Is(err, state.ErrFenced) || !errors.Is(err, errStep) || !strings.Contains(err.Error(), tt.held) {
				t.Errorf("hold = %v, want ErrFenced (%s) wrapping fn's error", err, tt.held)
			}
			logs := w.logs.String()
			for _, want := range []string{"lost the lease", tt.logged, "secret=/app", "owner=replica-a"} {
				if !strings.Contains(logs, want) {
					t.Errorf("logs lack %q:\n%s", want, logs)
				}
			}
			if h := w.holder(t, "/app"); b != nil && (h.Owner != "replica-b" || h.Token != b.Token) {
				t.Errorf("after hold, the lease is %+v, want replica-b's with token %d", h, b.Token)
			}
		})
	}
}
