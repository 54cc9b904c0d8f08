package schedule

import (
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // the zones these tests name, whatever the machine holds

	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/config"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func utc(s string) time.Time {
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return v
}

// TestWallTimeRule pins the daylight-saving rule: a time in a
// spring-forward gap runs when the gap ends, a time in a fall-back fold at
// its first occurrence, for zones east and west of UTC (time.Date reads
// gaps and folds differently on either side).
func TestWallTimeRule(t *testing.T) {
	tests := []struct {
		zone      string
		date      string
		hour, min int
		want      string
		what      string
	}{
		{"Europe/Berlin", "2027-03-28", 2, 0, "2027-03-28T01:00:00Z", "gap: 03:00 CEST"},
		{"Europe/Berlin", "2027-03-28", 2, 30, "2027-03-28T01:00:00Z", "inside the gap: 03:00 CEST"},
		{"Europe/Berlin", "2027-03-28", 3, 0, "2027-03-28T01:00:00Z", "the gap's end itself"},
		{"Europe/Berlin", "2027-03-28", 1, 59, "2027-03-28T00:59:00Z", "before the gap"},
		{"Europe/Berlin", "2027-10-31", 2, 0, "2027-10-31T00:00:00Z", "fold: 02:00 CEST, not CET"},
		{"Europe/Berlin", "2027-10-31", 2, 59, "2027-10-31T00:59:00Z", "fold: 02:59 CEST"},
		{"Europe/Berlin", "2027-10-31", 3, 0, "2027-10-31T02:00:00Z", "after the fold: 03:00 CET"},
		{"America/New_York", "2027-03-14", 2, 0, "2027-03-14T07:00:00Z", "gap west of UTC: 03:00 EDT"},
		{"America/New_York", "2027-03-14", 2, 30, "2027-03-14T07:00:00Z", "inside the gap west of UTC"},
		{"America/New_York", "2027-11-07", 1, 0, "2027-11-07T05:00:00Z", "fold west of UTC: 01:00 EDT"},
		{"America/New_York", "2027-11-07", 1, 30, "2027-11-07T05:30:00Z", "fold west of UTC: 01:30 EDT"},
		{"Australia/Lord_Howe", "2027-10-03", 2, 0, "2027-10-02T15:30:00Z", "30-minute gap: 02:30 +11"},
		{"Australia/Lord_Howe", "2027-10-03", 2, 15, "2027-10-02T15:30:00Z", "inside the 30-minute gap"},
		{"Australia/Lord_Howe", "2027-04-04", 1, 45, "2027-04-03T14:45:00Z", "30-minute fold: 01:45 +11"},
		{"Australia/Lord_Howe", "2027-04-04", 2, 0, "2027-04-03T15:30:00Z", "after the 30-minute fold: 02:00 +10:30"},
		{"America/Sao_Paulo", "2027-11-07", 0, 0, "2027-11-07T03:00:00Z", "no daylight saving since 2019"},
		{"UTC", "2028-02-29", 2, 0, "2028-02-29T02:00:00Z", "leap day"},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.what, func(t *testing.T) {
			d, _ := time.Parse(time.DateOnly, tt.date)
			got := wallTime(zone(t, tt.zone), d.Year(), d.Month(), d.Day(), tt.hour, tt.min)
			if !got.Equal(utc(tt.want)) || got.Location() != time.UTC {
				t.Errorf("%s %02d:%02d = %s, want %s", tt.date, tt.hour, tt.min, got, tt.want)
			}
		})
	}
}

// rotations runs a secret's schedule on a Manual runner from start until
// end as the daemon does: each rotation records its time, and the secret
// is scheduled again from it (For with the new last rotation).
func rotations(t *testing.T, s *config.RotatedSecret, last, end time.Time) []time.Time {
	t.Helper()
	m := NewManual(last)
	var got []time.Time
	var schedule func(last time.Time)
	schedule = func(last time.Time) {
		sch, err := For(s, last)
		if err != nil {
			t.Fatal(err)
		}
		var id cron.EntryID
		id = m.Schedule(sch, jobFunc(func() {
			now := m.Now()
			got = append(got, now)
			m.Remove(id)
			schedule(now)
		}))
	}
	schedule(last)
	m.Start()
	m.Advance(end)
	return got
}

// daily lists hour:00 local time on each day from first to last
// (inclusive), with the instants of the change days given by special.
func daily(t *testing.T, loc *time.Location, first, last string, hour int, special map[string]string) []time.Time {
	t.Helper()
	d, _ := time.Parse(time.DateOnly, first)
	e, _ := time.Parse(time.DateOnly, last)
	var out []time.Time
	for ; !d.After(e); d = d.AddDate(0, 0, 1) {
		if s, ok := special[d.Format(time.DateOnly)]; ok {
			out = append(out, utc(s))
			continue
		}
		out = append(out, time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, loc))
	}
	return out
}

func sameTimes(t *testing.T, got, want []time.Time) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w time.Time
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !g.Equal(w) {
			t.Fatalf("rotation %d at %s, want %s (got %d rotations, want %d)", i+1, g.UTC(), w.UTC(), len(got), len(want))
		}
	}
}

// TestLocalHourAcrossChanges: rotation_hour 2 in a zone's wall clock,
// every day across the March and October 2027 changes and the 2028 leap
// day: each day's rotation at its exact instant, one per day, none skipped,
// none doubled; a daily cron expression in the zone does the same.
func TestLocalHourAcrossChanges(t *testing.T) {
	periods := []struct{ from, to string }{
		{"2027-03-20", "2027-04-05"},
		{"2027-09-28", "2027-10-08"},
		{"2027-10-25", "2027-11-05"},
		{"2028-02-24", "2028-03-03"},
	}
	tests := []struct {
		zone    string
		special map[string]string
	}{
		{"Europe/Berlin", map[string]string{
			"2027-03-28": "2027-03-28T01:00:00Z", // 02:00 does not exist: 03:00 CEST
			"2027-10-31": "2027-10-31T00:00:00Z", // 02:00 happens twice: the first, CEST
		}},
		{"America/Sao_Paulo", nil}, // no daylight saving since 2019
		{"Australia/Lord_Howe", map[string]string{
			"2027-10-03": "2027-10-02T15:30:00Z", // 02:00 does not exist: 02:30 +11
		}},
	}
	for _, tt := range tests {
		loc := zone(t, tt.zone)
		for _, p := range periods {
			first, _ := time.Parse(time.DateOnly, p.from)
			last := time.Date(first.Year(), first.Month(), first.Day()-1, 2, 0, 0, 0, loc)
			end := time.Date(first.Year(), first.Month(), first.Day()+len(p.to), 0, 0, 0, 0, loc)
			end, _ = time.ParseInLocation(time.DateOnly, p.to, loc)
			end = end.Add(12 * time.Hour)
			want := daily(t, loc, p.from, p.to, 2, tt.special)
			for _, kind := range []string{"interval", "cron"} {
				t.Run(tt.zone+" "+p.from+" "+kind, func(t *testing.T) {
					s := &config.RotatedSecret{AutoRotate: true, RotationInterval: 1, RotationHour: 2, RotationTimezone: tt.zone}
					if kind == "cron" {
						s.RotationInterval, s.RotationHour, s.RotationSchedule = 0, 0, "0 2 * * *"
					}
					sameTimes(t, rotations(t, s, last, end), want)
				})
			}
		}
	}
}

// TestLocalHourWeekly: rotation_hour 2 every 7 days in Berlin lands on the
// same weekday at 02:00 local, the change days included.
func TestLocalHourWeekly(t *testing.T) {
	loc := zone(t, "Europe/Berlin")
	s := &config.RotatedSecret{AutoRotate: true, RotationInterval: 7, RotationHour: 2, RotationTimezone: "Europe/Berlin"}
	tests := []struct {
		name string
		last time.Time
		want []string
	}{
		{"March", time.Date(2027, 3, 14, 2, 0, 0, 0, loc), []string{
			"2027-03-21T01:00:00Z", "2027-03-28T01:00:00Z", "2027-04-04T00:00:00Z", "2027-04-11T00:00:00Z"}},
		{"October", time.Date(2027, 10, 17, 2, 0, 0, 0, loc), []string{
			"2027-10-24T00:00:00Z", "2027-10-31T00:00:00Z", "2027-11-07T01:00:00Z", "2027-11-14T01:00:00Z"}},
		{"leap day", time.Date(2028, 2, 15, 2, 0, 0, 0, loc), []string{
			"2028-02-22T01:00:00Z", "2028-02-29T01:00:00Z", "2028-03-07T01:00:00Z", "2028-03-14T01:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []time.Time
			for _, w := range tt.want {
				want = append(want, utc(w))
			}
			sameTimes(t, rotations(t, s, tt.last, want[len(want)-1].Add(time.Hour)), want)
		})
	}
}

// TestCronInZone: a cron expression's fields are Berlin's wall clock; a
// time in the March gap runs once when it ends, times in the October fold
// run once each, at their first occurrence.
func TestCronInZone(t *testing.T) {
	tests := []struct {
		spec, from, to string
		want           []string
	}{
		{"30 2 * * SUN", "2027-03-20T00:00:00Z", "2027-04-05T00:00:00Z",
			[]string{"2027-03-21T01:30:00Z", "2027-03-28T01:00:00Z", "2027-04-04T00:30:00Z"}},
		{"30 2 * * SUN", "2027-10-23T00:00:00Z", "2027-11-08T00:00:00Z",
			[]string{"2027-10-24T00:30:00Z", "2027-10-31T00:30:00Z", "2027-11-07T01:30:00Z"}},
		{"*/20 2 28 3 *", "2027-03-27T00:00:00Z", "2027-03-30T00:00:00Z",
			[]string{"2027-03-28T01:00:00Z"}}, // three times in the gap, one run
		{"*/20 2 31 10 *", "2027-10-30T00:00:00Z", "2027-11-02T00:00:00Z",
			[]string{"2027-10-31T00:00:00Z", "2027-10-31T00:20:00Z", "2027-10-31T00:40:00Z"}}, // not again in CET
		{"0 9 29 2 *", "2028-02-01T00:00:00Z", "2028-03-30T00:00:00Z",
			[]string{"2028-02-29T08:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec+" from "+tt.from, func(t *testing.T) {
			s := &config.RotatedSecret{AutoRotate: true, RotationSchedule: tt.spec, RotationTimezone: "Europe/Berlin"}
			var want []time.Time
			for _, w := range tt.want {
				want = append(want, utc(w))
			}
			sameTimes(t, rotations(t, s, utc(tt.from), utc(tt.to)), want)
		})
	}
}

// TestRobfigLocationDST pins what robfig/cron does on its own with a
// Location, which Zoned replaces (docs say so): 0 2 * * * skips Berlin's
// March change day and runs twice on the October one.
func TestRobfigLocationDST(t *testing.T) {
	loc := zone(t, "Europe/Berlin")
	sch, err := config.ParseSchedule("0 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	spec := *sch.(*cron.SpecSchedule)
	spec.Location = loc
	if got := spec.Next(utc("2027-03-27T12:00:00Z")); !got.Equal(utc("2027-03-29T00:00:00Z")) {
		t.Errorf("robfig after 27 March: %s; the docs say it skips the 28th", got.UTC())
	}
	first := spec.Next(utc("2027-10-30T12:00:00Z"))
	if second := spec.Next(first); !first.Equal(utc("2027-10-31T00:00:00Z")) || !second.Equal(utc("2027-10-31T01:00:00Z")) {
		t.Errorf("robfig on 31 October: %s then %s; the docs say it runs at 02:00 CEST and CET", first.UTC(), second.UTC())
	}
}

// TestRetireAndRemindInLocalDays: grace_period and notify_before count
// Berlin's calendar days, keeping the wall-clock time across a change.
func TestRetireAndRemindInLocalDays(t *testing.T) {
	s := &config.RotatedSecret{AutoRotate: true, RotationInterval: 30, RotationHour: 2, GraceRotation: true, GracePeriod: 2,
		RotationTimezone: "Europe/Berlin"}
	if at, ok := RetireAt(s, utc("2027-03-27T01:00:00Z")); !ok || !at.Equal(utc("2027-03-29T00:00:00Z")) {
		t.Errorf("retire 2 days after 02:00 CET on 27 March: %s, want 02:00 CEST on the 29th", at)
	}
	if at, _ := RetireAt(s, utc("2027-10-29T00:30:00Z")); !at.Equal(utc("2027-10-31T00:30:00Z")) {
		t.Errorf("retire 2 days after 02:30 CEST on 29 October: %s, want the first 02:30 on the 31st", at)
	}
	if at := RemindAt(s, utc("2027-03-29T00:00:00Z"), 3); !at.Equal(utc("2027-03-26T01:00:00Z")) {
		t.Errorf("3 days before 02:00 CEST on 29 March: %s, want 02:00 CET on the 26th", at)
	}
	if at := RemindAt(s, utc("2027-03-29T00:00:07Z"), 1); !at.Equal(utc("2027-03-28T01:00:00Z")) {
		t.Errorf("a day before 02:00:07 CEST on 29 March: %s, want the end of the gap on the 28th", at)
	}
}

// TestOverdueCatchUpInZone: an overdue secret catches up at the next
// rotation hour of its zone.
func TestOverdueCatchUpInZone(t *testing.T) {
	s := &config.RotatedSecret{AutoRotate: true, RotationInterval: 30, RotationHour: 2, RotationTimezone: "America/New_York"}
	last, now := utc("2027-01-01T07:00:00Z"), utc("2027-03-13T12:00:00Z")
	if !Overdue(s, last, now) {
		t.Fatal("71 days after the last rotation on a 30-day interval is not overdue")
	}
	next, ok, err := Next(s, last, now)
	if err != nil || !ok || !next.Equal(utc("2027-03-14T07:00:00Z")) {
		t.Errorf("catch-up %s, %v, %v; want 03:00 EDT on 14 March (02:00 does not exist)", next, ok, err)
	}
}

// TestLocalHourProperty: from random start times, hours, intervals and
// zones, every next rotation is after the last, exactly interval local
// days later, at hour:00 local or, when that does not exist, at the first
// instant after it, and at the first occurrence when it exists twice.
func TestLocalHourProperty(t *testing.T) {
	names := []string{"UTC", "Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe", "America/New_York",
		"Pacific/Chatham", "Asia/Kolkata", "America/St_Johns", "Europe/Dublin", "Antarctica/Troll",
		"America/Santiago", "Africa/Casablanca", "Asia/Tehran", "America/Havana"}
	r := rand.New(rand.NewPCG(15, 2027))
	span := utc("2031-01-01T00:00:00Z").Sub(utc("2026-01-01T00:00:00Z"))
	changes, gaps := 0, 0
	for range 300 {
		name := names[r.IntN(len(names))]
		loc := zone(t, name)
		hour, days := r.IntN(24), []int{1, 1, 2, 7, 30}[r.IntN(5)]
		last := utc("2026-01-01T00:00:00Z").Add(time.Duration(r.Int64N(int64(span))))
		if _, change := last.In(loc).ZoneBounds(); r.IntN(2) == 0 && !change.IsZero() {
			before, after := civil(change.Add(-time.Nanosecond).In(loc)).Add(time.Nanosecond), civil(change.In(loc))
			hour = []int{before.Hour(), after.Hour()}[r.IntN(2)]
			last = change.Add(-time.Duration(r.IntN(days+3)) * 24 * time.Hour)
			changes++
		}
		s := &config.RotatedSecret{AutoRotate: true, RotationInterval: days, RotationHour: hour, RotationTimezone: name}
		for range 40 {
			next, _, err := Next(s, last, last)
			if err != nil {
				t.Fatal(err)
			}
			l, n := last.In(loc), next.In(loc)
			wantDay := time.Date(l.Year(), l.Month(), l.Day()+days, 0, 0, 0, 0, time.UTC)
			want := wantDay.Add(time.Duration(hour) * time.Hour)
			switch got := civil(n); {
			case !next.After(last):
				t.Fatalf("%s hour %d every %d: next %s is not after %s", name, hour, days, n, l)
			case got.Equal(want):
				for _, d := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
					if civil(next.Add(-d).In(loc)).Equal(want) {
						t.Fatalf("%s: %s is the second time the clock reads %s", name, n, want)
					}
				}
			case got.After(want) && civil(next.Add(-time.Nanosecond).In(loc)).Before(want):
				gaps++ // hour:00 does not exist that day: the gap's end
			default:
				t.Fatalf("%s hour %d every %d from %s: next %s, want %s local", name, hour, days, l, n, want)
			}
			last = next.Add(time.Duration(r.IntN(60)) * time.Second) // rotations take a moment
		}
	}
	if changes < 100 || gaps < 10 {
		t.Errorf("%d cases near a change and %d rotations at a gap's end: too few to test the rule", changes, gaps)
	}
	t.Logf("%d cases near a change, %d rotations at a gap's end", changes, gaps)
}
