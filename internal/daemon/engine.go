// Package daemon composes rotatord: configuration, state store, AWS targets,
// sinks and the rotation engine ("rotate, then deliver").
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go/middleware"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/safefile"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/sink"
	_ "github.com/rotatord/rotatord/internal/sink/kinds" // the sink types the configuration may name
	"github.com/rotatord/rotatord/internal/sink/webhook"
	"github.com/rotatord/rotatord/internal/state"
)

// Engine rotates the secrets of one configuration against one store.
type Engine struct {
	cfg     *config.Config
	store   engineStore
	rot     *iamrotate.Rotator
	log     *slog.Logger
	targets map[string]*TargetAWS
	// sinkRetry, if set, replaces the webhook sinks' retry policy.
	sinkRetry *webhook.Retry
	// lease takes a secret's lease around the work that changes it, on a
	// store several replicas share; nil on bbolt.
	lease *leasing
	now   func() time.Time
	// reserved are rotatord's own files, which no file sink may read or
	// replace.
	reserved *safefile.Reserved
	// owners tells each rotation who else holds its IAM user.
	owners *owners
	// acks are the replicas sharing the store, and what this host's file
	// sinks hold (nil when the store is not shared).
	acks *replicaSet
}

// EngineOptions tune an Engine; the zero value is production behaviour.
type EngineOptions struct {
	Logger *slog.Logger
	// Rotator options (clock, retry timing) for tests. Its CallTimeout
	// also bounds every AWS call of the targets' clients (sinks included).
	Rotator iamrotate.Options
	// Limiters hold each target's rate_limit, by target name; a target
	// without one is not limited. The daemon keeps them across reloads.
	Limiters map[string]*Limiter
	// Observe, if set, gives the API option that each target's AWS
	// clients get (the daemon's request metrics), by target name.
	Observe func(target string) func(*middleware.Stack) error
	// Retryer replaces the SDK's standard retryer (tests: a faster one).
	Retryer func() aws.Retryer
	// SinkRetry replaces the webhook sinks' retry policy (tests).
	SinkRetry *webhook.Retry
	// Replica is this process's lease owner name on a shared store
	// (state.backend: dynamodb); default: ReplicaName.
	Replica string
	// claims remembers which secret was seen on which IAM user; the daemon
	// keeps it across reloads. Default: a new one, filled from the store
	// at the first rotation.
	claims *userClaims
	// acks is the daemon's replica set, kept across reloads; default: a
	// new one on a shared store.
	acks *replicaSet
}

// NewEngine connects every target of cfg. It makes no AWS call.
func NewEngine(ctx context.Context, cfg *config.Config, store engineStore, o EngineOptions) (*Engine, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Rotator.Logger == nil {
		o.Rotator.Logger = o.Logger
	}
	e := &Engine{cfg: cfg, store: store, log: o.Logger, targets: map[string]*TargetAWS{}, sinkRetry: o.SinkRetry, reserved: reservedFiles(cfg)}
	for i := range cfg.Targets {
		t := &cfg.Targets[i]
		ta, err := connectTarget(ctx, t, o.Rotator.CallTimeout)
		if err != nil {
			return nil, err
		}
		if o.Retryer != nil {
			ta.Config.Retryer = o.Retryer
		}
		if lim := o.Limiters[t.Name]; lim != nil {
			ta.Config.APIOptions = append(ta.Config.APIOptions, iamRateLimit(lim))
		}
		if o.Observe != nil {
			ta.Config.APIOptions = append(ta.Config.APIOptions, o.Observe(t.Name))
		}
		if rs := cfg.TargetRotator(t.Name); rs != nil {
			// The target's own key is rotated: its current key lives in the store.
			ta.Credentials = iamrotate.StoreCredentials(store, rs.Name,
				credentials.NewStaticCredentialsProvider(t.AccessKeyID, t.SecretAccessKey.Reveal(), ""))
		}
		withCreds := ta.Config.Copy()
		withCreds.Credentials = ta.Credentials
		ta.IAM = iam.NewFromConfig(withCreds)
		e.targets[t.Name] = ta
	}
	e.rot = iamrotate.New(store, o.Rotator)
	if o.claims == nil {
		o.claims = newUserClaims()
	}
	e.owners = &owners{cfg: cfg, store: store, users: o.claims}
	e.now = o.Rotator.Now
	if e.now == nil {
		e.now = time.Now
	}
	if o.Replica == "" {
		o.Replica = ReplicaName(cfg)
	}
	e.lease = newLeasing(store, o.Replica, cfg.State.LeaseDuration.D(), e.now, o.Logger)
	if e.acks = o.acks; e.acks == nil {
		e.acks = newReplicaSet(store, o.Replica)
	}
	return e, nil
}

// Reserve adds the file at path, described by what, to the files no sink
// may read or replace: for a file made after the engine, such as the
// control socket.
func (e *Engine) Reserve(path, what string) { _ = e.reserved.Add(path, what) }

// Config returns the engine's configuration.
func (e *Engine) Config() *config.Config { return e.cfg }

// ErrUnknownSecret: the configuration has no secret of that name.
var ErrUnknownSecret = control.ErrUnknownSecret

// Spec assembles what a rotation of the named secret needs.
func (e *Engine) Spec(name string) (iamrotate.Spec, error) {
	rs := e.cfg.SecretByName(config.CanonicalName(name))
	if rs == nil {
		return iamrotate.Spec{}, fmt.Errorf("%w: %s (see `rotatord list`)", ErrUnknownSecret, name)
	}
	t := e.cfg.TargetByName(rs.Target)
	ta := e.targets[rs.Target]
	spec := iamrotate.Spec{Config: rs, AWS: ta.Config, TargetCredentials: ta.Credentials, TargetIAM: ta.IAM, Owners: e.owners}
	switch rs.RotatorType {
	case config.RotatorTarget:
		spec.Bootstrap = iamrotate.Key{ID: t.AccessKeyID, Secret: t.SecretAccessKey}
	default:
		spec.Bootstrap = iamrotate.Key{ID: rs.AccessKeyID, Secret: rs.SecretAccessKey, File: rs.KeyFile}
	}
	for i, sc := range rs.Sinks {
		s, err := e.newSink(sc)
		if err != nil {
			return iamrotate.Spec{}, fmt.Errorf("secret %s: sinks[%d]: %w", rs.Name, i, err)
		}
		spec.Sinks = append(spec.Sinks, iamrotate.Destination{ID: sink.ID(sc), Sink: s, Local: sc.Local()})
	}
	if e.acks != nil {
		spec.Replicas = e.acks
	}
	return spec, nil
}

// newSink builds one sink from its configuration through its kind
// (sink.Spec), the one place sinks are wired. AWS sinks write with their
// target's credentials and region.
func (e *Engine) newSink(c config.Sink) (sink.Sink, error) {
	spec, ok := c.Spec.(sink.Spec)
	if !ok {
		return nil, fmt.Errorf("sink type %q is not supported", c.Type)
	}
	d := sink.Deps{Log: e.log, Reserved: e.reserved, AWS: e.targetConfig}
	if e.sinkRetry != nil {
		d.Options = append(d.Options, *e.sinkRetry)
	}
	return spec.Build(d)
}

// targetConfig is the AWS configuration, credentials included, of a
// target.
func (e *Engine) targetConfig(name string) (aws.Config, error) {
	ta := e.targets[name]
	if ta == nil {
		return aws.Config{}, fmt.Errorf("no target %q", name)
	}
	cfg := ta.Config.Copy()
	cfg.Credentials = ta.Credentials
	return cfg, nil
}

// Rotate rotates the named secret now, or continues its open rotation.
func (e *Engine) Rotate(ctx context.Context, name string) (*iamrotate.Result, error) {
	return e.rotate(ctx, name, true, nil)
}

// RotateRevoke rotates the named secret now, or continues its open
// rotation, and revokes the key it replaces (see iamrotate.Revoke).
func (e *Engine) RotateRevoke(ctx context.Context, name string, rv iamrotate.Revoke) (*iamrotate.Result, error) {
	return e.rotateWith(ctx, name, true, &rv, nil)
}

// ErrNotDue: a scheduled rotation found, once it held the secret's lease,
// that the secret is no longer due: another replica rotated it.
var ErrNotDue = errors.New("not due any more: another replica rotated it")

// rotate rotates the named secret under its lease; awsDone, if set, is
// called once the rotation has made its last AWS call.
func (e *Engine) rotate(ctx context.Context, name string, manual bool, awsDone func()) (*iamrotate.Result, error) {
	return e.rotateWith(ctx, name, manual, nil, awsDone)
}

// rotateWith is rotate that revokes the replaced key when rv is set.
func (e *Engine) rotateWith(ctx context.Context, name string, manual bool, rv *iamrotate.Revoke, awsDone func()) (*iamrotate.Result, error) {
	spec, err := e.Spec(name)
	if err != nil {
		return nil, err
	}
	spec.AWSDone, spec.Revoke = awsDone, rv
	var res *iamrotate.Result
	err = e.lease.hold(ctx, spec.Config.Name, func(f fence) error {
		spec := f.apply(spec)
		if e.acks != nil {
			// This host's own sinks first: a replica whose sinks lag
			// behind rotates nothing before they hold the current key.
			if _, err := e.rot.Refresh(ctx, spec.LocalOnly()); err != nil {
				e.log.Warn("this replica's sinks could not be brought up to date", "secret", spec.Config.Name, "err", err)
			}
		}
		if !manual && e.lease != nil {
			if err := e.stillDue(ctx, spec.Config); err != nil {
				return err
			}
		}
		var err error
		res, err = e.rot.Rotate(ctx, spec, manual)
		return err
	})
	return res, err
}

// stillDue returns ErrNotDue when the secret has no open rotation and its
// last rotation is recent enough that its schedule does not call for one:
// every replica schedules every secret, and the one that got the lease
// first has rotated it.
func (e *Engine) stillDue(ctx context.Context, rs *config.RotatedSecret) error {
	st, err := e.store.Get(ctx, rs.Name)
	switch {
	case errors.Is(err, state.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("rotate %s: %w", rs.Name, err)
	case st.Journal != nil || st.LastRotation.IsZero():
		return nil
	case !schedule.Overdue(rs, st.LastRotation, e.now()):
		return ErrNotDue
	}
	return nil
}

// Discover records the key age of a secret rotatord never rotated.
func (e *Engine) Discover(ctx context.Context, name string) (*state.Secret, error) {
	spec, err := e.Spec(name)
	if err != nil {
		return nil, err
	}
	return e.rot.Discover(ctx, spec)
}

// Refresh writes the secret's current key to its sinks that lack it.
func (e *Engine) Refresh(ctx context.Context, name string) (int, error) {
	spec, err := e.Spec(name)
	if err != nil {
		return 0, err
	}
	return e.rot.Refresh(ctx, spec)
}

// RefreshLocal writes the key the secret's host-local sinks (files) must
// hold to those of this host that lack it, and acknowledges it on a
// shared store.
func (e *Engine) RefreshLocal(ctx context.Context, name string) (int, error) {
	spec, err := e.Spec(name)
	if err != nil {
		return 0, err
	}
	return e.rot.Refresh(ctx, spec.LocalOnly())
}

// RetirePrevious removes a graceful secret's previous key (grace_period
// over).
func (e *Engine) RetirePrevious(ctx context.Context, name string) error {
	spec, err := e.Spec(name)
	if err != nil {
		return err
	}
	return e.lease.hold(ctx, spec.Config.Name, func(f fence) error {
		return e.rot.RetirePrevious(ctx, f.apply(spec))
	})
}

// Recover continues every open rotation of a configured secret, as after a
// crash. It returns the names it resumed and the errors joined.
func (e *Engine) Recover(ctx context.Context) ([]string, error) {
	all, err := e.store.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	var resumed []string
	var errs []error
	for _, st := range all {
		if st.Journal == nil {
			continue
		}
		if e.cfg.SecretByName(st.Name) == nil {
			e.log.Warn("open rotation of a secret no longer configured; left as is", "secret", st.Name)
			continue
		}
		resumed = append(resumed, st.Name)
		if _, err := e.Rotate(ctx, st.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return resumed, errors.Join(errs...)
}
