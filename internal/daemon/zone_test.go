package daemon

import (
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin, whatever the machine holds
)

// TestLocalRotationHour: rotation_timezone: Europe/Berlin, rotation_hour:
// 2, every day, through the running daemon on a fake clock, across the
// March and October 2027 changes and the 2028 leap day: each rotation at
// its exact instant (02:00 CET or CEST; 03:00 CEST on the day 02:00 does
// not exist; the first 02:00 on the day it happens twice), one per day,
// none skipped, none doubled.
func TestLocalRotationHour(t *testing.T) {
	tests := []struct {
		name    string
		created string // the key's creation: the secret's first last rotation
		want    []string
	}{
		{"March", "2027-03-25T01:00:00Z", []string{
			"2027-03-26T01:00:00Z", "2027-03-27T01:00:00Z",
			"2027-03-28T01:00:00Z", // 02:00 does not exist: 03:00 CEST
			"2027-03-29T00:00:00Z", "2027-03-30T00:00:00Z"}},
		{"October", "2027-10-28T00:00:00Z", []string{
			"2027-10-29T00:00:00Z", "2027-10-30T00:00:00Z",
			"2027-10-31T00:00:00Z", // 02:00 CEST; not again at 02:00 CET
			"2027-11-01T01:00:00Z", "2027-11-02T01:00:00Z"}},
		{"leap day", "2028-02-26T01:00:00Z", []string{
			"2028-02-27T01:00:00Z", "2028-02-28T01:00:00Z", "2028-02-29T01:00:00Z", "2028-03-01T01:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			k := w.user("app")
			created := utcTime(t, tt.created)
			if err := w.fake.SetKeyCreateDate(k.AccessKeyID, created); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(created.Add(time.Hour)) // not started: only sets the clock
			w.start(w.header("rotation_timezone: Europe/Berlin\n") +
				w.secretYAML("app", "auto_rotate: true", "rotation_interval: 1", "rotation_hour: 2"))
			w.idle() // discovery
			for i, s := range tt.want {
				want := utcTime(t, s)
				if got := w.next("/app/app"); !got.Equal(want) {
					t.Fatalf("rotation %d: next %s, want %s", i+1, got.UTC(), want)
				}
				w.advance(want.Add(-time.Second))
				if n := w.fake.Calls("CreateAccessKey"); n != i {
					t.Fatalf("rotation %d: %d keys created a second before %s, want %d", i+1, n, want, i)
				}
				w.advance(want)
				if n := w.fake.Calls("CreateAccessKey"); n != i+1 {
					t.Fatalf("rotation %d: %d keys created at %s, want %d", i+1, n, want, i+1)
				}
				if last := w.state("/app/app").LastRotation; !last.Equal(want) {
					t.Fatalf("rotation %d: last rotation %s, want %s", i+1, last.UTC(), want)
				}
			}
			// The day after the last one, nothing more until its 02:00.
			end := utcTime(t, tt.want[len(tt.want)-1]).Add(23 * time.Hour)
			w.advance(end)
			if n := w.fake.Calls("CreateAccessKey"); n != len(tt.want) {
				t.Fatalf("%d rotations by %s, want %d", n, end, len(tt.want))
			}
		})
	}
}

func utcTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
