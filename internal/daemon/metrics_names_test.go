package daemon

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

var updateNames = flag.Bool("update", false, "rewrite testdata/metrics.golden")

// metricsGolden lists the names of the metrics rotatord exports, one a
// line: deploy/grafana's dashboard test (in the tools module) fails on a
// panel that names any other. The Go runtime's go_* metrics are left out:
// they change with the Go version.
const metricsGolden = "testdata/metrics.golden"

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// TestMetricNames: testdata/metrics.golden is the list of every metric the
// daemon's registry can export (go test -run TestMetricNames -update
// rewrites it).
func TestMetricNames(t *testing.T) {
	m := newMetrics(&Daemon{})
	var names []string
	for _, c := range m.all {
		ch := make(chan *prometheus.Desc)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			n := fqName.FindStringSubmatch(d.String())
			if n == nil {
				t.Fatalf("no name in %s", d)
			}
			if !strings.HasPrefix(n[1], "go_") {
				names = append(names, n[1])
			}
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	got := strings.Join(names, "\n") + "\n"
	if *updateNames {
		if err := os.WriteFile(metricsGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(metricsGolden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the daemon exports\n%s\nbut %s lists\n%s\n(go test ./internal/daemon -run TestMetricNames -update rewrites it)", got, metricsGolden, want)
	}
	for _, n := range []string{"rotatord_build_info", "rotatord_rotations_total", "rotatord_key_age_seconds", "rotatord_jobs_queued"} {
		if !slices.Contains(names, n) {
			t.Errorf("%s missing from the names found", n)
		}
	}
}
