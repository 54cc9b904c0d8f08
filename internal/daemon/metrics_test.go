package daemon

import (
	"testing"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/buildinfo"
)

// series returns the value of the gauge or counter name whose labels include want,
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
				if c := m.GetCounter(); c != nil {
					return c.GetValue(), true
				}
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

// TestAWSRequestsMetric: each AWS request attempt is counted by target,
// service, operation and result, a throttled attempt the SDK retries as
// throttled.
func TestAWSRequestsMetric(t *testing.T) {
	w := newWorld(t)
	k := w.user("app")
	if err := w.fake.SetKeyCreateDate(k.AccessKeyID, t0.AddDate(0, 0, -40)); err != nil {
		t.Fatal(err)
	}
	w.fake.FailNext("CreateAccessKey", 1, awsfake.Throttling)
	w.start(w.header("") + w.secretYAML("app", "auto_rotate: true", "rotation_interval: 30", "rotation_hour: 3", "catch_up: immediate"))
	eventually(t, "the catch-up rotation", func() bool { return len(w.fake.Keys("app")) == 2 })
	w.idle()
	create := map[string]string{"target": "prod", "service": "IAM", "operation": "CreateAccessKey"}
	for result, want := range map[string]float64{"throttled": 1, "ok": 1} {
		create["result"] = result
		if v, ok := w.series("rotatord_aws_requests_total", create); !ok || v != want {
			t.Errorf("rotatord_aws_requests_total%v = %v (present %v), want %v", create, v, ok, want)
		}
	}
	verify := map[string]string{"target": "prod", "service": "STS", "operation": "GetCallerIdentity", "result": "ok"}
	if v, ok := w.series("rotatord_aws_requests_total", verify); !ok || v < 1 {
		t.Errorf("rotatord_aws_requests_total%v = %v (present %v), want at least 1", verify, v, ok)
	}
}
