package iamrotate

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
)

// BenchmarkRotate is one whole graceful rotation against awsfake with no
// added latency: list the keys, delete the previous one, create, verify
// through STS, write the file sink, three durable store commits. It is
// rotatord's own cost per rotation, awsfake's and the loopback HTTP's
// included (rotatord-bench gives the same with the daemon around it).
func BenchmarkRotate(b *testing.B) {
	e := newEnv(b)
	e.rot = New(e.store, Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Now:    e.clock.Now, Sleep: e.clock.Sleep,
	})
	spec := e.spec(e.secretConfig(func(c *config.RotatedSecret) {
		c.AuthenticationCredentials = config.UseTargetCreds
		c.SecretAccessKey = ""
	}))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = e.clock.Sleep(ctx, time.Hour)
		if _, err := e.rot.Rotate(ctx, spec, true); err != nil {
			b.Fatal(err)
		}
	}
	st := e.state(spec.Config.Name)
	if cur := st.Current(); cur == nil || cur.N < 2 {
		b.Fatalf("no rotation happened: %+v", st.Versions)
	}
}
