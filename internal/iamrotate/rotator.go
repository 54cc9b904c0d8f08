// Package iamrotate runs the rotation state machine of one rotated secret
// against IAM and STS: begin, inspect, make room, create, verify, deliver,
// finish. Every step is written to the state store before the next starts,
// so a crash anywhere is resumed (or undone) by the next Rotate of the same
// secret. Rollback runs in the same journal: the previous key, checked in
// IAM and verified, is delivered and made current again. It knows nothing
// about schedules; it reaches the store and the sinks only through the
// small interfaces below.
package iamrotate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/awscall"
	"github.com/rotatord/rotatord/internal/sink"
	"github.com/rotatord/rotatord/internal/state"
)

// Store is what a rotation needs of the state store.
type Store interface {
	Get(ctx context.Context, name string) (*state.Secret, error)
	Update(ctx context.Context, name string, fn func(tx *state.Tx) error) error
}

// Destination is a sink with the stable ID its delivery state is kept under.
type Destination struct {
	ID   string
	Sink sink.Sink
	// Local marks a host-local sink (a file): each replica of a shared
	// store has its own copy, writes it itself and acknowledges it (see
	// Replicas); its delivery by one replica says nothing of another's.
	Local bool
}

// Spec is everything one rotation needs to know about the secret it
// rotates.
type Spec struct {
	// Config holds the secret's options (validated).
	Config *config.RotatedSecret
	// AWS is the target's region, endpoint, HTTP client and retryer. Its
	// Credentials are ignored: the rotation picks them per step.
	AWS aws.Config
	// TargetCredentials are the target's credentials, used with
	// use-target-creds. For a target whose key rotatord rotates, they come
	// from the store (see StoreCredentials).
	TargetCredentials aws.CredentialsProvider
	// TargetIAM, if set, is an IAM client signed with TargetCredentials,
	// shared by every rotation through the target (building a client per
	// call costs more than the call's own work).
	TargetIAM *iam.Client
	// Bootstrap is the key the secret holds before rotatord first rotates
	// it: the configured access key id and (optional) secret access key.
	// The store wins once it holds a version.
	Bootstrap Key
	// Sinks receive each new value.
	Sinks []Destination
	// Owners, if set, tells who else holds the secret's IAM user: a
	// rotation refuses a user another secret owns and never deletes
	// another holder's key.
	Owners Owners
	// Replicas, if set, are the daemons sharing the store: no key is
	// retired while a live one's host-local sinks lack its successor.
	Replicas Replicas
	// Revoke, if set, makes Rotate revoke the key it replaces (see
	// Revoke); it is recorded in the rotation's journal.
	Revoke *Revoke

	// What the caller gives one call (Rotate, Refresh, RetirePrevious,
	// Discover) to stop it, fence it, or learn how far it got. The zero
	// values do none of this.

	// Guard, if set, is asked before each change to IAM or a sink:
	// creating, deactivating or deleting a key, writing a sink. It can
	// stop a rotation before it deletes a key (see Guard). The daemon
	// guards with the secret's lease.
	Guard Guard
	// Store, if set, is where the call reads and writes the secret's
	// state instead of the Rotator's store. The daemon passes its shared
	// store fenced by the secret's lease (state.Fenced), whose writes are
	// refused once the lease has passed to another replica.
	Store Store
	// AWSDone, if set, is called by Rotate once the rotation has made its
	// last AWS call, before the commit that records its end: what is left
	// touches only the store, and a worker pool can start its next
	// rotation. It is called at most once, and not at all when the
	// rotation fails or stops earlier.
	AWSDone func()
}

// LocalOnly returns sec with only its host-local sinks.
func (sec Spec) LocalOnly() Spec {
	var local []Destination
	for _, d := range sec.Sinks {
		if d.Local {
			local = append(local, d)
		}
	}
	sec.Sinks = local
	return sec
}

// Key is an access key pair; Secret may be empty when unknown, or held
// in File, which is read only when the key is taken in (see value).
type Key struct {
	ID     string
	Secret config.SecretValue
	File   *config.KeyFile
}

// value returns the key's secret: Secret, or else what File holds, read
// now.
func (k Key) value() (config.SecretValue, error) {
	if k.Secret != "" || k.File == nil {
		return k.Secret, nil
	}
	return k.File.Read()
}

// Options tune a Rotator. The zero value gives production behaviour.
type Options struct {
	// Logger receives one line per step. Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Sleep waits between retries; it returns early with ctx's error.
	// Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// CallTimeout bounds one AWS call, so that a hung call counts as an
	// ambiguous failure. Default awscall.DefaultTimeout (30s).
	CallTimeout time.Duration
	// RetryBase and RetryMax shape the backoff of verify and of sink
	// deliveries. Defaults 250ms and 2s.
	RetryBase, RetryMax time.Duration
	// DeliveryAttempts is how many times one sink is tried within one
	// rotation run before the rotation is left delivering. Default 3.
	DeliveryAttempts int
	// Observe, if set, receives each audit event once it is durable (the
	// daemon turns some into notifications). It must not block.
	Observe func(state.Event)
	// UsageLag is how long IAM's last-use information may lag behind a
	// use (retire_when: unused). Default DefaultUsageLag (4h); tests
	// against awsfake's WithLastUsedDelay set a small one.
	UsageLag time.Duration
	// UsageQuiet is how long IAM must show no use of a replaced key before
	// it counts as unused. Default DefaultUsageQuiet (24h).
	UsageQuiet time.Duration
	// LookEvery is how often a held retirement is looked at again.
	// Default DefaultLookEvery (1h).
	LookEvery time.Duration
}

// Rotator runs rotations. It is safe for concurrent use on different
// secrets; the caller must not run two rotations of one secret at once (the
// journal check in begin refuses the second).
type Rotator struct {
	store Store
	opts  Options
}

// New returns a Rotator over store.
func New(store Store, opts Options) *Rotator {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = awscall.DefaultTimeout
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 250 * time.Millisecond
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 2 * time.Second
	}
	if opts.DeliveryAttempts <= 0 {
		opts.DeliveryAttempts = 3
	}
	if opts.UsageLag <= 0 {
		opts.UsageLag = DefaultUsageLag
	}
	if opts.UsageQuiet <= 0 {
		opts.UsageQuiet = DefaultUsageQuiet
	}
	if opts.LookEvery <= 0 {
		opts.LookEvery = DefaultLookEvery
	}
	return &Rotator{store: store, opts: opts}
}

// UsageSettle is how long after its replacement a key IAM shows no newer
// use of counts as unused (retire_when: unused): the usage lag plus the
// quiet span. rotatord plan projects holds with it.
func (r *Rotator) UsageSettle() time.Duration { return r.opts.UsageLag + r.opts.UsageQuiet }

// Result tells what a Rotate call did.
type Result struct {
	RotationID string
	// Resumed is true when Rotate continued a rotation left open.
	Resumed bool
	// OldKeyID and NewKeyID are the current key before and after.
	OldKeyID, NewKeyID string
	// Version is the new version's number.
	Version int
	// Skipped is true when Rotate did nothing: it was asked to revoke for
	// a reason the secret's key was already revoked for (see Revoke);
	// OldKeyID, NewKeyID and Version are then the current key's.
	Skipped bool `json:",omitempty"`
}

// Rotate rotates the secret's key once: it continues the secret's open
// rotation if there is one (after a crash or a failed delivery), otherwise
// starts a new one. It returns ErrDeliveryPending (wrapped) when the new key
// is verified but a sink still lacks it: the rotation stays open, both keys
// stay valid, and the next Rotate retries the delivery.
func (r *Rotator) Rotate(ctx context.Context, sec Spec, manual bool) (*Result, error) {
	name := sec.Config.Name
	ru := &run{r: r, sec: sec, log: r.opts.Logger.With("secret", name)}
	if err := ru.load(ctx); err != nil {
		return nil, fmt.Errorf("rotate %s: %w", name, err)
	}
	res := &Result{}
	if cur := ru.st.Current(); ru.revokedBefore() && cur != nil {
		ru.log.Info("already revoked for this reason; nothing to do", "access_key_id", cur.AccessKeyID)
		return &Result{Skipped: true, OldKeyID: cur.AccessKeyID, NewKeyID: cur.AccessKeyID, Version: cur.N}, nil
	}
	if ru.st.Journal != nil {
		res.Resumed = true
		ru.log = ru.log.With("rotation_id", ru.st.Journal.RotationID)
		ru.log.Info("resuming open rotation", "step", ru.st.Journal.Step)
	} else if err := ru.checkReplicasAtStart(ctx); err != nil {
		return nil, fmt.Errorf("rotate %s: %w", name, err)
	} else if err := ru.begin(ctx, manual); err != nil {
		return nil, fmt.Errorf("rotate %s: %w", name, err)
	}
	if err := ru.markRevoke(ctx); err != nil {
		return nil, fmt.Errorf("rotate %s: record revoke: %w", name, err)
	}
	res.RotationID = ru.st.Journal.RotationID
	res.OldKeyID = ru.st.Journal.CurrentKeyID
	if err := ru.drive(ctx); err != nil {
		return res, fmt.Errorf("rotate %s: %w", name, err)
	}
	if cur := ru.st.Current(); cur != nil {
		res.NewKeyID, res.Version = cur.AccessKeyID, cur.N
	}
	return res, nil
}

// drive runs the steps from the journal's last completed one to the end.
func (ru *run) drive(ctx context.Context) error {
	for ru.st.Journal != nil {
		if err := ctx.Err(); err != nil {
			return err // the journal stays open; the next run resumes
		}
		var err error
		switch step := ru.st.Journal.Step; step {
		case state.StepBegun:
			if ru.rollingBack() {
				err = ru.reinstate(ctx)
			} else {
				err = ru.inspect(ctx)
			}
		case state.StepInspected:
			err = ru.makeRoom(ctx)
		case state.StepRoomMade, state.StepCreating:
			err = ru.create(ctx)
		case state.StepCreated:
			err = ru.verify(ctx)
		case state.StepVerified, state.StepDelivering:
			err = ru.deliver(ctx)
		case state.StepDelivered:
			err = ru.promote(ctx)
		case state.StepPromoted:
			err = ru.finish(ctx)
		default:
			err = fmt.Errorf("journal holds unknown step %q; this state file was written by a newer rotatord", step)
		}
		if err != nil {
			return ru.fail(ctx, err)
		}
	}
	return nil
}

// fail handles a step's error. The rotation is closed as failed when no key
// of it can be left in IAM: before create, after a create that certainly made
// no key, after a failed verification (whose key was deleted). Otherwise it
// stays open, and the next run resumes it: an orphan is removed, a delivery
// retried, an old key retired.
func (ru *run) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, ErrRetirementHeld) {
		return err // a held rotation closed itself
	}
	j := ru.st.Journal
	var clean noKeyLeft
	closeIt := j != nil && (stepBefore(j.Step, state.StepCreating) || errors.As(err, &clean) || errors.Is(err, ErrVerify))
	msg := err.Error()
	uerr := ru.update(ctx, func(tx *state.Tx) error {
		s := tx.Secret
		s.LastError, s.LastErrorAt = msg, ru.now()
		if s.Journal == nil {
			return nil
		}
		if closeIt {
			tx.Audit(s.Journal.RotationID, ru.eventKind("failed"), "", msg)
			s.Journal = nil
		} else {
			tx.Audit(s.Journal.RotationID, ru.eventKind("stalled"), s.Journal.NewKeyID, msg)
		}
		return nil
	})
	ru.log.Error("rotation failed", "after_step", stepOf(j), "err", err, "left_open", !closeIt)
	if uerr != nil {
		return errors.Join(err, fmt.Errorf("record failure: %w", uerr))
	}
	return err
}

func stepOf(j *state.Journal) state.Step {
	if j == nil {
		return ""
	}
	return j.Step
}

var stepOrder = []state.Step{
	state.StepBegun, state.StepInspected, state.StepRoomMade, state.StepCreating,
	state.StepCreated, state.StepVerified, state.StepDelivering, state.StepDelivered,
	state.StepPromoted,
}

func stepBefore(a, b state.Step) bool {
	ia, ib := -1, -1
	for i, s := range stepOrder {
		if s == a {
			ia = i
		}
		if s == b {
			ib = i
		}
	}
	return ia < ib
}

func newRotationID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
