// Package deploycheck holds the tests of rotatord's monitoring artefacts
// that need Prometheus's own packages, kept in the tools module so that
// the product does not depend on them: every PromQL expression of the
// Grafana dashboard (deploy/grafana/rotatord.json) and of the alert rules
// (deploy/prometheus/rotatord-rules.yml) parses, and names only metrics
// rotatord exports (internal/daemon/testdata/metrics.golden, which the
// daemon's TestMetricNames keeps up to date) or Prometheus itself makes.
package deploycheck
