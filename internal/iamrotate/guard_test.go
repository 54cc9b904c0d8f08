package iamrotate

import (
	"context"
	"errors"
	"testing"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/state"
)

var errRefused = errors.New("refused by the test")

// stepGuard refuses every change once the secret's stored journal has
// reached step.
type stepGuard struct {
	e     *env
	name  string
	step  state.Step
	asked int
}

func (g *stepGuard) Check() error {
	g.asked++
	if j := g.e.state(g.name).Journal; j != nil && j.Step == g.step {
		return errRefused
	}
	return nil
}

// TestGuardStopsKeyDeletion: a strict rotation whose Guard refuses once
// the new key is promoted stops with the Guard's error before it
// deactivates or deletes the old key; the rotation stays open, and the
// next Rotate, unguarded, retires the old key.
func TestGuardStopsKeyDeletion(t *testing.T) {
	e := newEnv(t)
	s := e.spec(e.secretConfig(func(c *config.RotatedSecret) {
		c.GraceRotation, c.Retire = false, config.RetireDelete
	}))
	g := &stepGuard{e: e, name: s.Config.Name, step: state.StepPromoted}
	guarded := s
	guarded.Guard = g
	_, err := e.rotate(guarded)
	if !errors.Is(err, errRefused) {
		t.Fatalf("guarded rotation: %v, want the guard's error", err)
	}
	if g.asked < 3 {
		t.Errorf("the guard was asked %d times, want at least 3 (create, sink, retire)", g.asked)
	}
	if n, m := e.fake.Calls("UpdateAccessKey"), e.fake.Calls("DeleteAccessKey"); n != 0 || m != 0 {
		t.Errorf("%d UpdateAccessKey and %d DeleteAccessKey calls past a refusing guard, want none", n, m)
	}
	keys := e.fake.Keys("app")
	if len(keys) != 2 || keys[0].ID != e.app.AccessKeyID || keys[0].Status != "Active" {
		t.Errorf("IAM keys %v, want the old key %s still active beside the new one", keys, e.app.AccessKeyID)
	}
	if j := e.state(s.Config.Name).Journal; j == nil || j.Step != state.StepPromoted {
		t.Fatalf("journal %+v, want the rotation left open at %s", j, state.StepPromoted)
	}
	res := e.mustRotate(s)
	if keys := e.fake.Keys("app"); len(keys) != 1 || keys[0].ID != res.NewKeyID {
		t.Errorf("after the unguarded run, IAM keys %v, want only %s", keys, res.NewKeyID)
	}
}

// countingStore passes Get and Update on to the Store it wraps, counting
// the Updates, or refuses every Update with refuse.
type countingStore struct {
	Store
	updates int
	refuse  error
}

func (s *countingStore) Update(ctx context.Context, name string, fn func(tx *state.Tx) error) error {
	s.updates++
	if s.refuse != nil {
		return s.refuse
	}
	return s.Store.Update(ctx, name, fn)
}

// TestSpecStore: a rotation writes through the Spec's Store, when it has
// one; a Store that refuses every write stops the rotation before it
// changes IAM.
func TestSpecStore(t *testing.T) {
	t.Run("writes through it", func(t *testing.T) {
		e := newEnv(t)
		s := e.spec(e.secretConfig())
		cs := &countingStore{Store: e.store}
		s.Store = cs
		res := e.mustRotate(s)
		if cs.updates < 3 {
			t.Errorf("%d Updates through the Spec's Store, want the rotation's (at least 3)", cs.updates)
		}
		if cur := e.state(s.Config.Name).Current(); cur == nil || cur.AccessKeyID != res.NewKeyID {
			t.Errorf("current version %+v, want %s", cur, res.NewKeyID)
		}
	})
	t.Run("refused", func(t *testing.T) {
		e := newEnv(t)
		s := e.spec(e.secretConfig())
		s.Store = &countingStore{Store: e.store, refuse: errRefused}
		if _, err := e.rotate(s); !errors.Is(err, errRefused) {
			t.Fatalf("rotation with a refusing Store: %v, want its error", err)
		}
		if n := e.fake.Calls("CreateAccessKey"); n != 0 {
			t.Errorf("%d CreateAccessKey calls, want none", n)
		}
		if _, err := e.store.Get(context.Background(), s.Config.Name); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("the Rotator's store: %v, want ErrNotFound (nothing written past the Spec's Store)", err)
		}
	})
}
