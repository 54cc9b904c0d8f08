package daemon

import (
	"context"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/state"
)

// engineStore is what an Engine uses of the state store: its rotations,
// its owners' check and its discovery read and write secrets' state. On a
// store several replicas share it also finds leases, heartbeats and
// acknowledgements there, by type assertion (state.Leaser and the others).
type engineStore interface {
	state.Reader
	state.Updater
}

// stateStore is the store the daemon (or a command without one) opens:
// what its engines use, the audit log that `rotatord history` reads, and
// Close. *state.Bolt and *state.Dynamo are both one.
type stateStore interface {
	engineStore
	state.AuditLog
	io.Closer
}

var (
	_ stateStore = (*state.Bolt)(nil)
	_ stateStore = (*state.Dynamo)(nil)
)

// openStore opens the configured state store (see state.OpenConfigured):
// the bbolt file (holder names this process in its lock), or the DynamoDB
// table, reached as StateAWS says. now is the store's clock; nil: time.Now.
func openStore(ctx context.Context, cfg *config.Config, holder string, now func() time.Time) (stateStore, error) {
	return state.OpenConfigured[stateStore](ctx, &cfg.State, state.ConfigOptions{
		Holder: holder, Now: now, Connect: StateConnect(cfg),
	})
}

// StateConnect reaches the DynamoDB table of a state block as StateAWS
// does, through the targets of cfg.
func StateConnect(cfg *config.Config) state.Connect {
	return func(ctx context.Context, st *config.State) (aws.Config, error) {
		c := *cfg
		c.State = *st
		return StateAWS(ctx, &c)
	}
}

// OpenOffline opens the configured store and an engine over it, for a
// command that found no daemon running (holder names it in the bbolt
// file's lock). Close closes the store.
func OpenOffline(ctx context.Context, cfg *config.Config, holder string, o EngineOptions) (*Offline, error) {
	st, err := openStore(ctx, cfg, holder, nil)
	if err != nil {
		return nil, err
	}
	e, err := NewEngine(ctx, cfg, st, o)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return newOffline(e, st), nil
}

// Engine is the engine that the offline backend rotates with.
func (o *Offline) Engine() *Engine { return o.engine }

// Close closes the store.
func (o *Offline) Close() error { return o.closer.Close() }
