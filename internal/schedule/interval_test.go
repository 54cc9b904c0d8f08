package schedule

import (
	"testing"
	"time"
)

func TestIntervalDueCountsCalendarDays(t *testing.T) {
	d := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		last string
		days int
		hour int
		want string
	}{
		{"month end", "2026-01-31T10:15:00Z", 30, 3, "2026-03-02T03:00:00Z"},
		{"leap day", "2028-02-28T23:59:59Z", 1, 0, "2028-02-29T00:00:00Z"},
		{"over leap day", "2028-02-01T05:00:00Z", 30, 5, "2028-03-02T05:00:00Z"},
		{"year end", "2026-12-31T22:00:00Z", 1, 23, "2027-01-01T23:00:00Z"},
		{"a year", "2027-03-01T00:00:00Z", 365, 12, "2028-02-29T12:00:00Z"},
		{"non-UTC last", "2026-06-30T23:30:00-05:00", 1, 3, "2026-07-02T03:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Interval{Days: tt.days, Hour: tt.hour, Last: d(tt.last)}.Due()
			if !got.Equal(d(tt.want)) {
				t.Errorf("Due() = %s, want %s", got.Format(time.RFC3339), tt.want)
			}
		})
	}
}

func TestIntervalGapIsExactlyNDaysForEveryHour(t *testing.T) {
	for hour := 0; hour < 24; hour++ {
		for _, days := range []int{1, 7, 30, 31, 90, 365} {
			last := time.Date(2027, 12, 15, hour, 0, 0, 0, time.UTC)
			for i := 0; i < 30; i++ { // crosses the 2028 leap day and year ends
				next := Interval{Days: days, Hour: hour, Last: last}.Next(last)
				if gotDays := next.Sub(last).Hours() / 24; gotDays != float64(days) {
					t.Fatalf("hour %d, %d days from %s: next %s is %.3f days later", hour, days, last, next, gotDays)
				}
				last = next
			}
		}
	}
}

func TestIntervalOverdueCatchesUpAtNextHour(t *testing.T) {
	last := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	now := time.Date(2026, 3, 10, 14, 20, 0, 0, time.UTC)
	got := Interval{Days: 30, Hour: 3, Last: last}.Next(now)
	want := time.Date(2026, 3, 11, 3, 0, 0, 0, time.UTC)
	if !got.Equal(want) {
		t.Errorf("Next = %s, want %s", got, want)
	}
}
