package iamrotate

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink/file"
	"github.com/rotatord/rotatord/internal/state"
)

// otherReplicas stands for the daemons sharing the store (issue 12): the
// version each host's file sinks hold, and which hosts are live. This
// replica is "me".
type otherReplicas struct {
	mu   sync.Mutex
	acks map[string]int
	live map[string]bool
}

func newOtherReplicas() *otherReplicas {
	return &otherReplicas{acks: map[string]int{}, live: map[string]bool{"me": true}}
}

func (o *otherReplicas) Acknowledge(_ context.Context, _ string, n int) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.acks["me"] = n
	return nil
}

func (o *otherReplicas) Lagging(_ context.Context, _ string, n int) ([]string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for h, v := range o.acks {
		if v != n && o.live[h] {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (o *otherReplicas) set(host string, version int, live bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.acks[host], o.live[host] = version, live
}

func (o *otherReplicas) acked() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.acks["me"]
}

// sharedSpec is e.spec with its file sink marked host-local and the
// replicas attached.
func sharedSpec(e *env, c *config.RotatedSecret, o *otherReplicas) Spec {
	s := e.spec(c)
	for i := range s.Sinks {
		s.Sinks[i].Local = true
	}
	s.Replicas = o
	return s
}

// TestGracefulWaitsForLaggingReplica: a graceful rotation that would
// delete the previous key does not begin while a live replica's own sinks
// lack the current one; it names the replica; once the replica catches
// up, or its heartbeat ends, the rotation goes on.
func TestGracefulWaitsForLaggingReplica(t *testing.T) {
	e := newEnv(t)
	o := newOtherReplicas()
	spec := sharedSpec(e, e.secretConfig(), o)
	e.mustRotate(spec) // v2; nothing to retire yet
	if o.acked() != 2 {
		t.Fatalf("this replica acknowledged version %d after delivering version 2", o.acked())
	}
	o.set("r1", 1, true)
	before := e.keyIDs("app")
	_, err := e.rotate(spec)
	var lag *LagError
	if !errors.As(err, &lag) || !slices.Equal(lag.Replicas, []string{"r1"}) || lag.Version != 2 {
		t.Fatalf("rotate with r1 behind: %v, want a LagError naming r1 and version 2", err)
	}
	if got := e.keyIDs("app"); !slices.Equal(got, before) {
		t.Fatalf("keys changed while waiting: %v, was %v", got, before)
	}
	st := e.state("/team/app")
	if st.Journal != nil || !strings.Contains(st.LastError, "waiting for replica r1 to write version 2") {
		t.Fatalf("journal %v, last error %q; want none open and the wait named", st.Journal, st.LastError)
	}

	o.set("r1", 2, true) // caught up
	e.mustRotate(spec)
	if v := e.state("/team/app").Current().N; v != 3 {
		t.Fatalf("current version %d after r1 caught up, want 3", v)
	}
	o.set("r1", 2, false) // behind, but its heartbeat expired
	e.mustRotate(spec)
	if v := e.state("/team/app").Current().N; v != 4 {
		t.Fatalf("current version %d with r1 gone, want 4", v)
	}
}

// TestRotationAfterRollbackWaitsForReplica: after a rollback the current
// version (1) is older than the one a lagging replica still holds (2), the
// previous key the next rotation deletes to make room. That rotation waits
// for the replica to hold version 1, then goes on.
func TestRotationAfterRollbackWaitsForReplica(t *testing.T) {
	e := newEnv(t)
	o := newOtherReplicas()
	spec := sharedSpec(e, e.secretConfig(), o)
	e.mustRotate(spec) // v2 current, v1 previous
	o.set("r1", 2, true)
	if _, err := e.rollback(spec, ""); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if cur := e.state("/team/app").Current(); cur.N != 1 || o.acked() != 1 {
		t.Fatalf("after rollback: current version %d, this replica acknowledged %d; want 1 and 1", cur.N, o.acked())
	}
	before := e.keyIDs("app")
	_, err := e.rotate(spec)
	var lag *LagError
	if !errors.As(err, &lag) || !slices.Equal(lag.Replicas, []string{"r1"}) || lag.Version != 1 {
		t.Fatalf("rotate with r1 holding version 2: %v, want a LagError naming r1 and version 1", err)
	}
	if got := e.keyIDs("app"); !slices.Equal(got, before) {
		t.Fatalf("keys changed while waiting: %v, was %v", got, before)
	}
	o.set("r1", 1, true)
	e.mustRotate(spec)
	if v := e.state("/team/app").Current().N; v != 3 {
		t.Fatalf("current version %d after r1 caught up, want 3", v)
	}
}

// TestStrictWaitsInDelivery: a strict rotation stays delivering, both keys
// valid, until every live replica holds the new key; then it retires the
// old one.
func TestStrictWaitsInDelivery(t *testing.T) {
	e := newEnv(t)
	o := newOtherReplicas()
	o.set("r1", 0, true)
	c := e.secretConfig(func(c *config.RotatedSecret) { c.GraceRotation = false })
	spec := sharedSpec(e, c, o)
	_, err := e.rotate(spec)
	if !errors.Is(err, ErrDeliveryPending) || !errors.Is(err, ErrReplicasLag) || !strings.Contains(err.Error(), "r1") {
		t.Fatalf("strict rotation with r1 behind: %v, want a pending delivery waiting for r1", err)
	}
	st := e.state("/team/app")
	if st.Journal == nil || st.Journal.Step != state.StepDelivering || len(e.keyIDs("app")) != 2 {
		t.Fatalf("journal %+v, keys %v; want delivering with both keys", st.Journal, e.keyIDs("app"))
	}
	if _, err := e.whoami(e.app.AccessKeyID, e.app.SecretAccessKey); err != nil {
		t.Fatalf("the old key stopped working while r1 lacked the new one: %v", err)
	}
	o.set("r1", st.Pending().N, true)
	e.mustRotate(spec)
	if got := e.keyIDs("app"); len(got) != 1 || got[0] != e.state("/team/app").Current().AccessKeyID {
		t.Fatalf("keys %v after r1 caught up, want only the new one", got)
	}
}

// TestRefreshWritesLocalSinksDuringRotation: another replica's refresh
// writes the verified pending key to its own file, even though the
// rotation is open, and acknowledges it.
func TestRefreshWritesLocalSinksDuringRotation(t *testing.T) {
	e := newEnv(t)
	o := newOtherReplicas()
	o.set("r1", 0, true)
	c := e.secretConfig(func(c *config.RotatedSecret) { c.GraceRotation = false })
	if _, err := e.rotate(sharedSpec(e, c, o)); !errors.Is(err, ErrDeliveryPending) {
		t.Fatalf("rotate: %v, want a pending delivery", err)
	}
	pending := e.state("/team/app").Pending()
	// Another host: its own file, its own acknowledgement.
	other := newOtherReplicas()
	c2 := e.secretConfig(func(c *config.RotatedSecret) {
		c.GraceRotation = false
		c.Sinks[0].Spec.(*file.Config).Path = e.dir + "/other-host.ini"
	})
	n, err := e.rot.Refresh(context.Background(), sharedSpec(e, c2, other))
	if err != nil || n != 1 {
		t.Fatalf("Refresh = %d, %v; want one sink written", n, err)
	}
	if b, _ := os.ReadFile(e.dir + "/other-host.ini"); !strings.Contains(string(b), pending.AccessKeyID) {
		t.Fatalf("the other host's file lacks the pending key %s:\n%s", pending.AccessKeyID, b)
	}
	if other.acked() != pending.N {
		t.Fatalf("the other host acknowledged version %d, want %d", other.acked(), pending.N)
	}
}

// TestRetirePreviousWaits: grace_period retirement waits for a lagging
// live replica.
func TestRetirePreviousWaits(t *testing.T) {
	e := newEnv(t)
	o := newOtherReplicas()
	spec := sharedSpec(e, e.secretConfig(), o)
	e.mustRotate(spec)
	o.set("r1", 1, true)
	err := e.rot.RetirePrevious(context.Background(), spec)
	if !errors.Is(err, ErrReplicasLag) || len(e.keyIDs("app")) != 2 {
		t.Fatalf("RetirePrevious with r1 behind: %v, keys %v; want a wait, both keys", err, e.keyIDs("app"))
	}
	o.set("r1", 2, true)
	if err := e.rot.RetirePrevious(context.Background(), spec); err != nil || len(e.keyIDs("app")) != 1 {
		t.Fatalf("RetirePrevious once r1 caught up: %v, keys %v", err, e.keyIDs("app"))
	}
}
