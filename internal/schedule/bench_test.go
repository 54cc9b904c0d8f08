package schedule

import (
	"fmt"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink/file"
)

// manySecrets is a configuration of n secrets on a 30-day interval, each
// with a file sink, as the daemon holds it after Load.
func manySecrets(n int) *config.Config {
	c := &config.Config{Targets: []config.Target{{Name: "t0"}}, Secrets: make([]config.RotatedSecret, n)}
	for i := range c.Secrets {
		c.Secrets[i] = config.RotatedSecret{
			Name: fmt.Sprintf("/bench/s%06d", i), Target: "t0", AuthenticationCredentials: config.UseTargetCreds,
			RotatorType: config.RotatorAPIKey, AccessKeyID: fmt.Sprintf("AKIA%016d", i), AutoRotate: true,
			RotationInterval: 30, RotationHour: 3, GraceRotation: true, CatchUp: config.CatchUpNextHour,
			GraceTiming: config.GraceTimingAfter, Retire: config.RetireDelete, MaxVersions: 10,
			Pos:   config.Pos{Line: 10 * i},
			Sinks: []config.Sink{{Type: file.Type, Spec: &file.Config{Path: fmt.Sprintf("/run/s/%06d.ini", i), Format: file.FormatAWSCredentials, Profile: "p"}}},
		}
	}
	return c
}

// BenchmarkNext is one schedule's next rotation time, as the runner asks
// after each run.
func BenchmarkNext(b *testing.B) {
	s := &config.RotatedSecret{AutoRotate: true, RotationInterval: 30, RotationHour: 3}
	last := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	sch, err := For(s, last)
	if err != nil {
		b.Fatal(err)
	}
	now := last.Add(24 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		now = sch.Next(now).Add(-time.Hour)
	}
}

// BenchmarkRegister schedules 100,000 secrets on the daemon's runner, as
// start-up does. For comparison, robfig/cron's runner adding 10,000 while
// running: it sorts every entry on each add, so 100,000 take minutes.
func BenchmarkRegister(b *testing.B) {
	last := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	for _, r := range []struct {
		name string
		n    int
		new  func() testRunner
	}{{"Timer/100k", 100_000, func() testRunner { return NewTimer() }}, {"Cron/10k", 10_000, func() testRunner { return New() }}} {
		c := manySecrets(r.n)
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				run := r.new()
				run.Start()
				for i := range c.Secrets {
					sch, _ := For(&c.Secrets[i], last)
					run.Schedule(sch, cron.FuncJob(func() {}))
				}
				<-run.Stop().Done()
			}
		})
	}
}

// BenchmarkDiff100k compares two configurations of 100,000 secrets of
// which 1% differ: 500 rescheduled, 500 with another sink.
func BenchmarkDiff100k(b *testing.B) {
	old, next := manySecrets(100_000), manySecrets(100_000)
	for i := 0; i < len(next.Secrets); i += 100 {
		if i%200 == 0 {
			next.Secrets[i].RotationHour = 4
		} else {
			next.Secrets[i].Sinks[0].Spec = &file.Config{Path: fmt.Sprintf("/run/s/%06d.ini", i), Format: file.FormatAWSCredentials, Profile: "q"}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		d := Diff(old, next)
		if len(d.Rescheduled) != 500 || len(d.Changed) != 500 || len(d.Added)+len(d.Removed) != 0 {
			b.Fatalf("diff: %d rescheduled, %d changed, %d added, %d removed", len(d.Rescheduled), len(d.Changed), len(d.Added), len(d.Removed))
		}
	}
}

// testRunner is a runner as the benchmarks drive it.
type testRunner interface {
	Scheduler
	Lifecycle
}
