package schedule

import (
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
)

// TestProject: what one secret's facts give over a window, item by item.
func TestProject(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	graceful := config.RotatedSecret{AutoRotate: true, RotationInterval: 10, RotationHour: 3, GraceRotation: true, CatchUp: config.CatchUpNextHour}
	tests := []struct {
		name  string
		mod   func(*config.RotatedSecret)
		facts Facts
		start string
		days  int
		want  []Item
	}{
		{"interval, make room at the next rotation", nil, Facts{Last: day(1, 3), Previous: true, Replaced: day(1, 3)}, "", 20, []Item{
			{At: day(11, 3), Kind: KindRotation, Reason: ReasonInterval},
			{At: day(11, 3), Kind: KindRetirement, Reason: ReasonMakeRoom},
			{At: day(21, 3), Kind: KindRotation, Reason: ReasonInterval},
			{At: day(21, 3), Kind: KindRetirement, Reason: ReasonMakeRoom},
		}},
		{"overdue after a failure, then the interval", nil, Facts{Last: time.Date(2026, 2, 1, 3, 0, 0, 0, time.UTC), Failed: true}, "", 12, []Item{
			{At: day(2, 3), Kind: KindRotation, Reason: ReasonOverdue},
			{At: day(12, 3), Kind: KindRotation, Reason: ReasonInterval},
			{At: day(12, 3), Kind: KindRetirement, Reason: ReasonMakeRoom},
		}},
		{"catch_up: immediate at start, then grace period and reminders", func(s *config.RotatedSecret) { s.GracePeriod, s.NotifyBefore = 2, []int{3} },
			Facts{Last: time.Date(2026, 2, 1, 3, 0, 0, 0, time.UTC)}, ReasonCatchUp, 11, []Item{
				{At: now, Kind: KindRotation, Reason: ReasonCatchUp},
				{At: day(3, 10), Kind: KindRetirement, Reason: ReasonGracePeriod},
				{At: day(8, 3), Kind: KindReminder, Reason: ReasonNotifyBefore, Due: day(11, 3), Days: 3},
				{At: day(11, 3), Kind: KindRotation, Reason: ReasonInterval},
			}},
		{"a revocation deletes the previous key first", nil, Facts{Last: day(1, 3), Previous: true, Replaced: day(1, 3), RevokeAt: day(1, 12)}, "", 10, []Item{
			{At: day(1, 12), Kind: KindRetirement, Reason: ReasonRevoke},
			{At: day(11, 3), Kind: KindRotation, Reason: ReasonInterval},
		}},
		{"a held retirement is looked at again", func(s *config.RotatedSecret) { s.GracePeriod = 2 },
			Facts{Last: day(1, 3), Previous: true, Replaced: day(1, 3), HeldSince: day(1, 3), NextLook: day(2, 3)}, "", 5, []Item{
				{At: day(2, 3), Kind: KindLook, Reason: ReasonHeld},
			}},
		{"a rotation held by its make-room waits for the look", nil,
			Facts{Last: time.Date(2026, 2, 1, 3, 0, 0, 0, time.UTC), Previous: true, Replaced: time.Date(2026, 2, 1, 3, 0, 0, 0, time.UTC),
				HeldSince: day(1, 3), NextLook: day(2, 3), HeldRotation: true}, "", 5, []Item{
				{At: day(2, 3), Kind: KindRotation, Reason: ReasonHeld},
				{At: day(2, 3), Kind: KindRetirement, Reason: ReasonMakeRoom},
			}},
		{"strict with cron", func(s *config.RotatedSecret) { s.GraceRotation, s.RotationSchedule = false, "0 4 * * MON" }, Facts{}, "", 8, []Item{
			{At: day(2, 4), Kind: KindRotation, Reason: ReasonCron},
			{At: day(2, 4), Kind: KindRetirement, Reason: ReasonStrict},
			{At: day(9, 4), Kind: KindRotation, Reason: ReasonCron},
			{At: day(9, 4), Kind: KindRetirement, Reason: ReasonStrict},
		}},
		{"unknown age: the next rotation hour", nil, Facts{}, "", 1, []Item{
			{At: day(2, 3), Kind: KindRotation, Reason: ReasonUnknownAge},
		}},
		{"not rotated automatically: the grace period only", func(s *config.RotatedSecret) { s.AutoRotate, s.GracePeriod = false, 3 },
			Facts{Last: day(1, 3), Previous: true, Replaced: day(1, 3)}, "", 100, []Item{
				{At: day(4, 3), Kind: KindRetirement, Reason: ReasonGracePeriod},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := graceful
			if tt.mod != nil {
				tt.mod(&s)
			}
			got, truncated, err := Project(&s, tt.facts, Window{From: now, To: now.AddDate(0, 0, tt.days), Start: tt.start})
			if err != nil || truncated {
				t.Fatalf("Project: truncated %v, err %v", truncated, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d items %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				if g, w := got[i], tt.want[i]; !g.At.Equal(w.At) || g.Kind != w.Kind || g.Reason != w.Reason || !g.Due.Equal(w.Due) || g.Days != w.Days {
					t.Errorf("item %d: got %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// TestProjectTruncates: @every 30s for a year stops at Max items.
func TestProjectTruncates(t *testing.T) {
	s := config.RotatedSecret{AutoRotate: true, RotationSchedule: "@every 30s"}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	got, truncated, err := Project(&s, Facts{}, Window{From: now, To: now.AddDate(1, 0, 0), Max: 100})
	if err != nil {
		t.Fatal(err)
	}
	if !truncated || len(got) != 100 {
		t.Fatalf("got %d items (truncated %v), want 100, truncated", len(got), truncated)
	}
}
