package daemon

import (
	"testing"

	"github.com/rotatord/rotatord/internal/buildinfo"
)

// series returns the value of the gauge name whose labels include want,
// and whether the daemon's registry has one.
func (w *world) series(name string, want map[string]string) (float64, bool) {
	w.t.Helper()
	fams, err := w.d.metrics.reg.Gather()
	if err != nil {
		w.t.Fatalf("gather metrics: %v", err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			n := 0
			for _, l := range m.GetLabel() {
				if v, ok := want[l.GetName()]; ok {
					if v != l.GetValue() {
						continue next
					}
					n++
				}
			}
			if n == len(want) {
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// TestBuildInfoMetric: rotatord_build_info is 1 with the build's version,
// commit and Go version as labels.
func TestBuildInfoMetric(t *testing.T) {
	w := newWorld(t)
	w.user("app")
	in := buildinfo.Info{Version: "v1.2.3", Commit: "abc123+dirty", Date: "2026-12-08T01:58:08Z", GoVersion: "go1.26.8"}
	w.start(w.header("")+w.secretYAML("app", "auto_rotate: true", "rotation_interval: 30"), func(o *Options) { o.Build = in })
	labels := map[string]string{"version": "v1.2.3", "commit": "abc123+dirty", "go_version": "go1.26.8"}
	if v, ok := w.series("rotatord_build_info", labels); !ok || v != 1 {
		t.Fatalf("rotatord_build_info%v = %v (present %v), want 1", labels, v, ok)
	}
}
