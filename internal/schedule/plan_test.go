package schedule

import (
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
)

func TestForGraceTiming(t *testing.T) {
	last := time.Date(2026, 1, 10, 3, 0, 0, 0, time.UTC)
	base := config.RotatedSecret{AutoRotate: true, RotationInterval: 30, RotationHour: 3, GraceRotation: true}
	tests := []struct {
		name      string
		mod       func(*config.RotatedSecret)
		wantNext  time.Time
		retire    bool
		wantRetAt time.Time
	}{
		{"no grace period", func(*config.RotatedSecret) {}, last.AddDate(0, 0, 30), false, time.Time{}},
		{"after: old key lives D more days", func(s *config.RotatedSecret) { s.GracePeriod, s.GraceTiming = 5, config.GraceTimingAfter },
			last.AddDate(0, 0, 30), true, last.AddDate(0, 0, 5)},
		{"before: new key D days before the due date", func(s *config.RotatedSecret) { s.GracePeriod, s.GraceTiming = 5, config.GraceTimingBefore },
			last.AddDate(0, 0, 25), true, last.AddDate(0, 0, 5)},
		{"strict ignores grace", func(s *config.RotatedSecret) { s.GraceRotation, s.GracePeriod = false, 5 },
			last.AddDate(0, 0, 30), false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			tt.mod(&s)
			sch, err := For(&s, last)
			if err != nil {
				t.Fatal(err)
			}
			if got := sch.Next(last); !got.Equal(tt.wantNext) {
				t.Errorf("next rotation %s, want %s", got, tt.wantNext)
			}
			at, ok := RetireAt(&s, last)
			if ok != tt.retire || !at.Equal(tt.wantRetAt) {
				t.Errorf("RetireAt = %s, %v; want %s, %v", at, ok, tt.wantRetAt, tt.retire)
			}
		})
	}
}

func TestForManualAndCron(t *testing.T) {
	now := time.Date(2026, 1, 10, 3, 30, 0, 0, time.UTC)
	if sch, err := For(&config.RotatedSecret{AutoRotate: false, RotationInterval: 30}, now); sch != nil || err != nil {
		t.Errorf("auto_rotate false: %v, %v; want no schedule", sch, err)
	}
	sch, err := For(&config.RotatedSecret{AutoRotate: true, RotationSchedule: "0 3 * * MON"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sch.Next(now), time.Date(2026, 1, 12, 3, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("cron next %s, want %s (Monday 03:00 UTC)", got, want)
	}
	if !Overdue(&config.RotatedSecret{AutoRotate: true, RotationInterval: 1, RotationHour: 3}, now.AddDate(0, 0, -2), now) {
		t.Error("a 2-day-old rotation on a 1-day interval is not overdue")
	}
}

func TestOnceAndManual(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewManual(t0)
	var ran []string
	m.Schedule(Once{At: t0.Add(time.Hour)}, jobFunc(func() { ran = append(ran, "once") }))
	m.Schedule(Interval{Days: 1, Hour: 0, Last: t0}, jobFunc(func() { ran = append(ran, "daily") }))
	m.Start()
	m.Advance(t0.Add(72 * time.Hour))
	want := []string{"once", "daily", "daily", "daily"}
	if len(ran) != len(want) {
		t.Fatalf("ran %v, want %v", ran, want)
	}
	for i := range want {
		if ran[i] != want[i] {
			t.Fatalf("ran %v, want %v", ran, want)
		}
	}
}

type jobFunc func()

func (f jobFunc) Run() { f() }
