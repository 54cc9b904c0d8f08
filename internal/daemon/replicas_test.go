package daemon

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestReplicaSetOnTheTable: acknowledgements live in the shared table,
// one per secret and host; a host behind the version asked for is lagging
// while one of its replicas' heartbeats lives, and no longer once it has
// expired; a host that never acknowledged is not waited for.
func TestReplicaSetOnTheTable(t *testing.T) {
	ctx := context.Background()
	w := newLeaseWorld(t)
	a := newReplicaSet(w.store, "web-1#aaaa0001")
	b := newReplicaSet(w.open(t, w.clock.Now), "web-2#bbbb0002")
	if a == nil || b == nil {
		t.Fatal("newReplicaSet of a DynamoDB store is nil")
	}
	for _, r := range []string{"web-1#aaaa0001", "web-2#bbbb0002", "web-3#cccc0003"} {
		if err := w.store.Heartbeat(ctx, r, 15*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Acknowledge(ctx, "/app", 3); err != nil {
		t.Fatal(err)
	}
	if err := b.Acknowledge(ctx, "/app", 2); err != nil {
		t.Fatal(err)
	}
	lag, err := a.Lagging(ctx, "/app", 3)
	if err != nil || !slices.Equal(lag, []string{"web-2#bbbb0002"}) {
		t.Fatalf("Lagging(3) = %v, %v; want web-2 (web-3 never acknowledged)", lag, err)
	}
	// After a rollback to version 2, web-1 still holding 3 lags.
	if lag, _ := a.Lagging(ctx, "/app", 2); !slices.Equal(lag, []string{"web-1#aaaa0001"}) {
		t.Fatalf("Lagging(2) = %v, want web-1, which holds the newer version 3", lag)
	}
	if lag, _ := a.Lagging(ctx, "/other", 9); len(lag) != 0 {
		t.Fatalf("Lagging of a secret nobody acknowledged = %v, want none", lag)
	}
	// web-2 restarts: a new process of the same host, still behind.
	if err := w.store.Leave(ctx, "web-2#bbbb0002"); err != nil {
		t.Fatal(err)
	}
	if err := w.store.Heartbeat(ctx, "web-2#dddd0004", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if lag, _ := a.Lagging(ctx, "/app", 3); !slices.Equal(lag, []string{"web-2#dddd0004"}) {
		t.Fatalf("after web-2 restarted: Lagging = %v, want its new process", lag)
	}
	// Its heartbeat expires: no longer waited for.
	w.advance(20 * time.Second)
	if err := w.store.Heartbeat(ctx, "web-1#aaaa0001", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if lag, _ := a.Lagging(ctx, "/app", 3); len(lag) != 0 {
		t.Fatalf("after web-2's heartbeat expired: Lagging = %v, want none", lag)
	}
	if got := a.ackedVersion("/app"); got != 3 {
		t.Fatalf("ackedVersion = %d, want 3", got)
	}
}
