package iamrotate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rotatord/rotatord/internal/state"
)

// Replicas is what a rotation needs to know of the other daemons that
// share its store, each of which writes its own copy of the secret's
// host-local sinks (Destination.Local: files on its host). A key rotatord
// issued is deleted or deactivated only when every live replica's own
// sinks hold the version that replaces it: until then one of them still
// hands the old key to its applications.
type Replicas interface {
	// Acknowledge records that this replica's host-local sinks of secret
	// hold version n.
	Acknowledge(ctx context.Context, secret string, n int) error
	// Lagging returns the live replicas whose host-local sinks of secret
	// hold a version other than n (older, or newer after a rollback), by
	// name; none when all caught up.
	Lagging(ctx context.Context, secret string, n int) ([]string, error)
}

// ErrReplicasLag: a key would be retired while another live replica's own
// sinks still hold it. Nothing was deleted; the caller tries again once
// the replica has caught up (it writes its sinks by itself).
var ErrReplicasLag = errors.New("other replicas' own sinks lack the key that replaces the one to retire")

// LagError is ErrReplicasLag with the replicas and the version they lack.
type LagError struct {
	Secret   string
	Version  int
	Replicas []string
}

func (e *LagError) Error() string {
	return fmt.Sprintf("waiting for replica %s to write version %d of %s to its own sinks; the key they hold is not retired until they have",
		strings.Join(e.Replicas, ", "), e.Version, e.Secret)
}

// Unwrap returns ErrReplicasLag.
func (e *LagError) Unwrap() error { return ErrReplicasLag }

// waitReplicas returns a *LagError while a live replica's own sinks of the
// secret lack version n; nil when there are no replicas to wait for.
func (ru *run) waitReplicas(ctx context.Context, n int) error {
	if ru.sec.Replicas == nil {
		return nil
	}
	lag, err := ru.sec.Replicas.Lagging(ctx, ru.name(), n)
	if err != nil {
		return fmt.Errorf("ask which replicas hold version %d: %w", n, err)
	}
	if len(lag) > 0 {
		return &LagError{Secret: ru.name(), Version: n, Replicas: lag}
	}
	return nil
}

// acknowledge records that this replica's host-local sinks hold version
// n, when it has any and shares its store with others.
func (ru *run) acknowledge(ctx context.Context, n int) error {
	if ru.sec.Replicas == nil || !hasLocal(ru.sec.Sinks) {
		return nil
	}
	return ru.sec.Replicas.Acknowledge(ctx, ru.name(), n)
}

func hasLocal(ds []Destination) bool {
	for _, d := range ds {
		if d.Local {
			return true
		}
	}
	return false
}

// localVersion is the version a replica's host-local sinks must hold: the
// pending one once it is verified (a rotation delivering it, which in
// strict mode waits for every replica before it retires the old key), the
// current one otherwise.
func localVersion(st *state.Secret) *state.Version {
	if j := st.Journal; j != nil && !stepBefore(j.Step, state.StepVerified) && j.Step != state.StepPromoted {
		if p := st.Pending(); p != nil && !p.Value.IsZero() {
			return p
		}
	}
	return st.Current()
}

// LocalVersion is the number of the version a replica's host-local sinks
// of the secret must hold now (see localVersion), 0 if none.
func LocalVersion(st *state.Secret) int {
	if v := localVersion(st); v != nil && !v.Value.IsZero() {
		return v.N
	}
	return 0
}

// checkReplicasAtStart refuses to begin a graceful rotation whose make-room
// would delete the previous key while a live replica's own sinks lack the
// current one: the rotation is not opened, and LastError says whom it
// waits for.
func (ru *run) checkReplicasAtStart(ctx context.Context) error {
	cur, prev := ru.st.Current(), ru.st.Previous()
	if ru.sec.Replicas == nil || cur == nil || prev == nil {
		return nil
	}
	err := ru.waitReplicas(ctx, cur.N)
	if errors.Is(err, ErrReplicasLag) {
		msg := err.Error()
		_ = ru.update(ctx, func(tx *state.Tx) error {
			tx.Secret.LastError, tx.Secret.LastErrorAt = msg, ru.now()
			return nil
		})
	}
	return err
}
