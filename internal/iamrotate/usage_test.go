package iamrotate

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/state"
)

// TestUsageWindow: with the default usage lag (4h) and quiet span (24h),
// the previous key of a graceful secret is retired only once IAM has shown
// no use for a day since its replacement (or since its last use); a use
// after the replacement holds it; a use within IAM's 15-minute coalescing
// before the replacement pushes the window on; the hold's next look is
// when the window ends, or in an hour.
func TestUsageWindow(t *testing.T) {
	const never = time.Duration(-1 << 62)
	for _, tt := range []struct {
		name      string
		used, at  time.Duration // relative to the replacement; never: no use
		held, use bool          // held; held because seen in use
		nextLook  time.Duration // relative to the replacement, when held
	}{
		{"never used, window not over", never, 3 * time.Hour, true, false, 4 * time.Hour},
		{"never used, window over", never, 28 * time.Hour, false, false, 0},
		{"used before, window not over", -time.Hour, time.Hour, true, false, 2 * time.Hour},
		{"used before, window over", -time.Hour, 28 * time.Hour, false, false, 0},
		{"used just before, coalescing not over", -5 * time.Minute, 28 * time.Hour, true, false, 28*time.Hour + 10*time.Minute},
		{"used just before, coalescing over", -5 * time.Minute, 28*time.Hour + 10*time.Minute, false, false, 0},
		{"used after", time.Hour, 2 * time.Hour, true, true, 3 * time.Hour},
		{"used after, still in the window", time.Hour, 29 * time.Hour, true, true, 29*time.Hour + 15*time.Minute},
		{"used after, quiet since", time.Hour, 29*time.Hour + 15*time.Minute, false, false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.secretConfig(func(c *config.RotatedSecret) {
				c.RetireWhen, c.RetireMaxWait, c.RetireOnTimeout = config.RetireWhenUnused, config.Duration(14*24*time.Hour), config.RetireOnTimeoutRetire
			})
			s := e.spec(c)
			old := e.app.AccessKeyID
			e.mustRotate(s)
			replaced := e.state(c.Name).Previous().Replaced
			var used time.Time
			if tt.used != never {
				used = replaced.Add(tt.used)
			}
			if err := e.fake.SetLastUsed(old, used, "s3", "eu-west-1"); err != nil {
				t.Fatal(err)
			}
			e.clock.mu.Lock()
			e.clock.t = replaced.Add(tt.at)
			e.clock.mu.Unlock()
			if err := e.rot.RetirePrevious(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			st := e.state(c.Name)
			inIAM := slices.Contains(e.keyIDs("app"), old)
			if held := st.Held != nil; held != tt.held || inIAM != tt.held {
				t.Fatalf("held %+v, key in IAM %v; want held %v", st.Held, inIAM, tt.held)
			}
			if !tt.held {
				return
			}
			h := st.Held
			if h.Unsettled == tt.use || h.KeyID != old {
				t.Errorf("hold %+v: want in use %v", h, tt.use)
			}
			if want := replaced.Add(tt.nextLook); !h.NextLook.Equal(want) {
				t.Errorf("next look %s, want %s", h.NextLook, want)
			}
		})
	}
}

// TestHeldRotationChangesNothing: a graceful rotation whose make-room
// would delete a key in use closes without a change in IAM, keeps the
// current key and reports ErrRetirementHeld, not a failure.
func TestHeldRotationChangesNothing(t *testing.T) {
	e := newEnv(t)
	c := e.secretConfig(func(c *config.RotatedSecret) {
		c.RetireWhen, c.RetireMaxWait, c.RetireOnTimeout = config.RetireWhenUnused, config.Duration(14*24*time.Hour), config.RetireOnTimeoutRetire
	})
	s := e.spec(c)
	old := e.app.AccessKeyID
	first := e.mustRotate(s)
	_ = e.clock.Sleep(context.Background(), 5*time.Hour)
	if err := e.fake.SetLastUsed(old, e.clock.Now(), "s3", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	before := e.keyIDs("app")
	_, err := e.rotate(s)
	if err == nil || !errors.Is(err, ErrRetirementHeld) {
		t.Fatalf("rotate: %v; want ErrRetirementHeld", err)
	}
	st := e.state(c.Name)
	if got := e.keyIDs("app"); !slices.Equal(got, before) {
		t.Fatalf("IAM keys %v, want unchanged %v", got, before)
	}
	if st.Journal != nil || st.LastError != "" || st.Current().AccessKeyID != first.NewKeyID {
		t.Fatalf("journal %+v, last error %q, current %s; want closed, no failure, %s", st.Journal, st.LastError, st.Current().AccessKeyID, first.NewKeyID)
	}
	if st.Held == nil || !st.Held.Rotation || st.Held.Service != "s3" {
		t.Fatalf("held %+v; want the rotation waiting on the key used in s3", st.Held)
	}
}

// TestHoldAfterStop: a strict rotation stopped right after its promotion
// (before finish asks IAM) resumes by asking IAM then: the old key, used
// since, is held, not retired; a stop after the hold's commit leaves the
// hold, and the key is retired only once its use has stopped.
func TestHoldAfterStop(t *testing.T) {
	e := newEnv(t)
	c := e.secretConfig(func(c *config.RotatedSecret) {
		c.GraceRotation = false
		c.RetireWhen, c.RetireMaxWait, c.RetireOnTimeout = config.RetireWhenUnused, config.Duration(14*24*time.Hour), config.RetireOnTimeoutRetire
	})
	s := e.spec(c)
	old := e.app.AccessKeyID
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopping := New(stoppingStore{Bolt: e.store, at: state.StepPromoted, cancel: cancel, once: &sync.Once{}}, e.rot.opts)
	if _, err := stopping.Rotate(ctx, s, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: got %v, want context.Canceled", err)
	}
	if st := e.state(c.Name); st.Journal == nil || st.Journal.Step != state.StepPromoted {
		t.Fatalf("journal %+v, want open at promoted", st.Journal)
	}
	// While rotatord was down, a consumer kept using the old key.
	_ = e.clock.Sleep(context.Background(), 30*time.Minute)
	if err := e.fake.SetLastUsed(old, e.clock.Now(), "s3", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.rot.Rotate(context.Background(), s, true); err != nil {
		t.Fatalf("resume: %v", err)
	}
	st := e.state(c.Name)
	if st.Journal != nil || st.Held == nil || st.Held.Unsettled || st.Held.KeyID != old {
		t.Fatalf("after the resumed finish: journal %+v, held %+v; want closed and the old key held in use", st.Journal, st.Held)
	}
	e.wantWorks(old, e.app.SecretAccessKey, "app")
	// A look while it is still in use keeps it; after the window it goes.
	if err := e.rot.RetirePrevious(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	e.wantWorks(old, e.app.SecretAccessKey, "app")
	_ = e.clock.Sleep(context.Background(), DefaultUsageLag+DefaultUsageQuiet+usageCoalescing)
	if err := e.rot.RetirePrevious(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(e.keyIDs("app"), old) || e.state(c.Name).Held != nil {
		t.Fatalf("after the window: IAM %v, held %+v; want the old key deleted and no hold", e.keyIDs("app"), e.state(c.Name).Held)
	}
}
