package deploycheck

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

const (
	dashboardFile = "../../deploy/grafana/rotatord.json"
	rulesFile     = "../../deploy/prometheus/rotatord-rules.yml"
	metricsFile   = "../../internal/daemon/testdata/metrics.golden"
)

// synthetic are the series Prometheus makes for every scrape target.
var synthetic = []string{"up", "scrape_duration_seconds", "scrape_samples_scraped"}

// exported reads the names of the metrics rotatord exports.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(metricsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if n := strings.TrimSpace(sc.Text()); n != "" {
			names[n] = true
		}
	}
	if !names["rotatord_rotations_total"] {
		t.Fatalf("%s does not list rotatord_rotations_total", metricsFile)
	}
	for _, n := range synthetic {
		names[n] = true
	}
	return names
}

// known reports whether the series name is one of names: a metric, or a
// histogram's _bucket, _sum or _count series.
func known(names map[string]bool, name string) bool {
	if names[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && names[base] {
			return true
		}
	}
	return false
}

// metricNames parses expr and returns the metric names its selectors name.
func metricNames(expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if name == "" {
			names = append(names, "(a selector without a metric name)")
		} else {
			names = append(names, name)
		}
		return nil
	})
	return names, nil
}

// check parses every expression and fails the test for one that does not
// parse or names an unknown metric. It returns how many it checked.
func check(t *testing.T, names map[string]bool, exprs map[string]string) {
	t.Helper()
	where := make([]string, 0, len(exprs))
	for w := range exprs {
		where = append(where, w)
	}
	slices.Sort(where)
	for _, w := range where {
		got, err := metricNames(exprs[w])
		if err != nil {
			t.Errorf("%s: %q does not parse: %v", w, exprs[w], err)
			continue
		}
		if len(got) == 0 {
			t.Errorf("%s: %q names no metric", w, exprs[w])
		}
		for _, n := range got {
			if !known(names, n) {
				t.Errorf("%s: %q names %s, which rotatord does not export (%s)", w, exprs[w], n, metricsFile)
			}
		}
	}
}

// grafanaVar matches a Grafana variable: $__rate_interval, $job, ${job}.
var (
	grafanaRange = regexp.MustCompile(`\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}`)
	grafanaVar   = regexp.MustCompile(`\$\{\w+\}|\$\w+`)
	labelValues  = regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)
)

// promQL turns a Grafana query into PromQL: time-range variables become
// 5m, other variables a plain word (they sit in label matchers' strings).
func promQL(q string) string {
	q = grafanaRange.ReplaceAllString(q, "5m")
	return grafanaVar.ReplaceAllString(q, "x")
}

// dashboardExprs collects the dashboard's queries: each panel's targets'
// expr (rows' nested panels too), and each query variable's
// label_values() selector, keyed by where they are.
func dashboardExprs(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	type target struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	}
	type panel struct {
		ID      int      `json:"id"`
		Title   string   `json:"title"`
		Type    string   `json:"type"`
		Targets []target `json:"targets"`
		Panels  []panel  `json:"panels"`
	}
	var d struct {
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Name  string          `json:"name"`
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	exprs := map[string]string{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("panel %d %q has no query", p.ID, p.Title)
			}
			for _, tg := range p.Targets {
				exprs[fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, tg.RefID)] = promQL(tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			_ = json.Unmarshal(v.Query, &q.Query) // the older form: a string
		}
		m := labelValues.FindStringSubmatch(strings.TrimSpace(q.Query))
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(SELECTOR, LABEL)", v.Name, q.Query)
			continue
		}
		exprs["variable "+v.Name] = promQL(m[1])
	}
	return exprs
}

// TestDashboard: every query of the dashboard parses and names only
// metrics rotatord exports.
func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	exprs := dashboardExprs(t, raw)
	if len(exprs) < 10 {
		t.Fatalf("found %d queries in %s, want every panel's", len(exprs), dashboardFile)
	}
	check(t, exported(t), exprs)
	t.Logf("%d queries checked", len(exprs))
}

// TestRules: the alert rules load (rulefmt validates them as Prometheus
// does) and their expressions name only metrics rotatord exports.
func TestRules(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	groups, errs := rulefmt.ParseFile(rulesFile, false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) > 0 {
		return
	}
	exprs := map[string]string{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			exprs[g.Name+"/"+r.Alert+r.Record] = r.Expr
			if r.Alert != "" && (r.Annotations["summary"] == "" || r.Annotations["description"] == "" || r.Annotations["runbook_url"] == "") {
				t.Errorf("alert %s lacks a summary, description or runbook_url", r.Alert)
			}
		}
	}
	check(t, exported(t), exprs)
	t.Logf("%d rules checked", len(exprs))
}

// TestCheckFailsOnUnknownMetric: the check itself catches a panel naming
// a metric rotatord does not export, and one that does not parse.
func TestCheckFailsOnUnknownMetric(t *testing.T) {
	names := exported(t)
	for _, tt := range []struct {
		expr string
		ok   bool
	}{
		{`sum(rate(rotatord_rotations_total[5m]))`, true},
		{`histogram_quantile(0.9, rate(rotatord_rotation_duration_seconds_bucket[5m]))`, true},
		{`rotatord_rotations_failed_total`, false},
		{`{__name__="rotatord_no_such_metric"}`, false},
		{`rotatord_jobs_queued{`, false},
	} {
		got, err := metricNames(tt.expr)
		ok := err == nil
		for _, n := range got {
			ok = ok && known(names, n)
		}
		if ok != tt.ok {
			t.Errorf("%s: accepted %v, want %v (names %v, err %v)", tt.expr, ok, tt.ok, got, err)
		}
	}
}
