package discover_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/discover"
)

func TestFilters(t *testing.T) {
	a := newAccount(t, 40)
	c := a.client(t, 1000)
	managed := map[string]string{a.byUser["u001"][0]: "/team/u001", a.byUser["u005"][1]: "/team/u005"}
	tests := []struct {
		name string
		o    discover.Options
		keep func(discover.Key) bool
	}{
		{"path prefix", discover.Options{PathPrefix: "/team-a/"},
			func(k discover.Key) bool { return strings.HasPrefix(k.Path, "/team-a/") }},
		{"older than 90 days", discover.Options{OlderThan: 90 * 24 * time.Hour},
			func(k discover.Key) bool { return k.AgeDays > 90 }},
		{"older than 10 days", discover.Options{OlderThan: 10 * 24 * time.Hour},
			func(k discover.Key) bool { return k.AgeDays > 10 }},
		{"unmanaged", discover.Options{Unmanaged: true},
			func(k discover.Key) bool { return k.ManagedBy == "" }},
		{"all three", discover.Options{PathPrefix: "/prod/", OlderThan: 90 * 24 * time.Hour, Unmanaged: true},
			func(k discover.Key) bool { return k.Path == "/prod/" && k.AgeDays > 90 && k.ManagedBy == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := a.wantKeys(tt.keep, managed)
			if len(want) == 0 || len(want) == len(a.want) {
				t.Fatalf("the filter keeps %d of %d keys: not a test", len(want), len(a.want))
			}
			for _, src := range []discover.Source{discover.Report, discover.PerUser} {
				o := tt.o
				o.Source, o.Managed = src, managed
				diff(t, string(src), run(t, a, c, o), want)
			}
		})
	}
}
