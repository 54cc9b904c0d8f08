// Package sink defines what a sink is: Sink, which writes a Credential to
// one destination; Spec, a kind's configuration, which builds its sinks
// from Deps; and ID, the stable name its deliveries are recorded under.
// Each kind lives in its own subpackage (file, secretsmanager, ssm,
// webhook, command), which owns its configuration (a config.SinkSpec) from
// decoding to building; package kinds registers them with config.
package sink

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/safefile"
)

// Credential is what a sink delivers: one version of a rotated secret.
// Printing or logging it never shows the secret access key.
type Credential struct {
	// Secret is the rotated secret's name.
	Secret          string
	Version         int
	AccessKeyID     string
	SecretAccessKey config.SecretValue
}

// String implements fmt.Stringer without the secret access key.
func (c Credential) String() string {
	return fmt.Sprintf("%s v%d %s", c.Secret, c.Version, c.AccessKeyID)
}

// Format implements fmt.Formatter: every verb prints String.
func (c Credential) Format(f fmt.State, verb rune) { _, _ = fmt.Fprint(f, c.String()) }

// LogValue implements slog.LogValuer without the secret access key.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("secret", c.Secret),
		slog.Int("version", c.Version),
		slog.String("access_key_id", c.AccessKeyID),
	)
}

// Sink writes a credential to one destination. Put is idempotent: writing
// the same credential twice leaves the same result. A nil error means the
// destination holds the credential durably.
type Sink interface {
	Put(ctx context.Context, c Credential) error
}

// Spec is a sink kind's configuration, as the daemon uses it: every
// config.SinkSpec of a kind the daemon can deliver to is one.
type Spec interface {
	// SinkID returns the ID of the sink's destination (see ID), or "" to
	// let ID hash the spec's fields.
	SinkID() string
	// Build makes the sink the spec describes. The spec has passed
	// validation and Load resolved its references; Build still checks what
	// it relies on, and fails on what it cannot reach now (an unknown
	// user, an unreadable certificate).
	Build(d Deps) (Sink, error)
}

// Deps is what the daemon lends a Spec to build its sink.
type Deps struct {
	// Log is the daemon's logger; Build narrows it to the sink.
	Log *slog.Logger
	// Reserved are rotatord's own files, which no sink may read or replace.
	Reserved *safefile.Reserved
	// AWS returns the AWS configuration, credentials and region included,
	// of the named target, which AWS sinks write with.
	AWS func(target string) (aws.Config, error)
	// Options are kind-specific settings the daemon was given (tests pass
	// a webhook.Retry); a kind uses those of its own types.
	Options []any
}
