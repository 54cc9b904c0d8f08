// Package sink defines what a sink is: Sink, which writes a Credential to
// one destination, and ID, the stable name its deliveries are recorded
// under. Each kind lives in its own subpackage (file, secretsmanager, ssm,
// webhook, command); the daemon wires them from configuration in one switch
// (daemon's Engine.newSink).
package sink

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/rotatord/rotatord/config"
)

// Credential is what a sink delivers: one version of a rotated secret.
// Printing or logging it never shows the secret access key.
type Credential struct {
	// Secret is the rotated secret's name.
	Secret          string
	Version         int
	AccessKeyID     string
	SecretAccessKey config.Secret
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
