package daemon

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/state"
)

// metrics are the daemon's Prometheus metrics, in a registry of its own.
// Label values are secret names and results; never a secret value.
type metrics struct {
	reg        *prometheus.Registry
	rotations  *prometheus.CounterVec
	duration   prometheus.Histogram
	reloadOK   prometheus.Gauge
	reloadTime prometheus.Gauge
	// leases counts what replicas sharing the store did to this one's
	// jobs; no secret label, to keep the series few.
	leases *prometheus.CounterVec
	held   *heldMetrics
	// awsRequests counts AWS requests by target, service, operation and
	// result (awsmetrics.go).
	awsRequests *prometheus.CounterVec
	// all is every collector in reg: what /metrics can show
	// (metrics_names_test.go lists their names for deploy/'s checks).
	all []prometheus.Collector
}

func newMetrics(d *Daemon) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		rotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rotatord_rotations_total", Help: "Rotations run, by secret and result (success, failed, delivery_pending, held: waiting for a key still in use).",
		}, []string{"secret", "result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "rotatord_rotation_duration_seconds", Help: "How long rotations take.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rotatord_config_last_reload_successful", Help: "Whether the last configuration (re)load succeeded.",
		}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rotatord_config_last_reload_success_timestamp_seconds", Help: "When the configuration was last loaded successfully, Unix time.",
		}),
		leases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rotatord_lease_outcomes_total",
			Help: "Jobs on a shared store that another replica decided: held_elsewhere (its lease was taken), rotated_elsewhere (it rotated the secret first), lost (this replica lost the lease mid-rotation; its writes were refused).",
		}, []string{"outcome"}),
		awsRequests: newAWSRequests(),
	}
	m.held = newHeldMetrics()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "rotatord_build_info",
		Help: "Always 1; its labels say which build runs: version, commit (+dirty if built from a modified tree) and go_version.",
		ConstLabels: prometheus.Labels{
			"version": d.opts.Build.Version, "commit": d.opts.Build.Commit, "go_version": d.opts.Build.GoVersion,
		},
	})
	build.Set(1)
	m.all = []prometheus.Collector{m.rotations, m.duration, m.reloadOK, m.reloadTime, m.leases, m.awsRequests, build, m.held.now, m.held.total,
		keyAgeCollector{d}, scheduleCollector{d}, queueCollector{d}, rateCollector{d},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
	m.reg.MustRegister(m.all...)
	m.reloadOK.Set(1)
	m.reloadTime.SetToCurrentTime()
	return m
}

// rotated counts a rotation's end.
func (m *metrics) rotated(secret string, err error, took time.Duration) {
	result := "success"
	switch {
	case errors.Is(err, iamrotate.ErrDeliveryPending):
		result = "delivery_pending"
	case errors.Is(err, iamrotate.ErrRetirementHeld):
		result = "held"
	case err != nil:
		result = "failed"
	}
	m.rotations.WithLabelValues(secret, result).Inc()
	m.duration.Observe(took.Seconds())
}

// leaseOutcome counts a job that another replica decided, if err says so.
func (m *metrics) leaseOutcome(err error) {
	switch {
	case errors.Is(err, state.ErrLeaseHeld):
		m.leases.WithLabelValues("held_elsewhere").Inc()
	case errors.Is(err, ErrNotDue):
		m.leases.WithLabelValues("rotated_elsewhere").Inc()
	case errors.Is(err, state.ErrFenced):
		m.leases.WithLabelValues("lost").Inc()
	}
}

// forget drops a removed secret's series.
func (m *metrics) forget(secret string) {
	m.rotations.DeletePartialMatch(prometheus.Labels{"secret": secret})
	m.holds(secret, nil)
}

func (m *metrics) reloaded(ok bool) {
	if ok {
		m.reloadOK.Set(1)
		m.reloadTime.SetToCurrentTime()
		return
	}
	m.reloadOK.Set(0)
}

var keyAgeDesc = prometheus.NewDesc("rotatord_key_age_seconds", "Age of the secret's current access key.", []string{"secret"}, nil)

// keyAgeCollector computes key ages at scrape time from the daemon's
// schedule entries, which hold the current keys' creation times.
type keyAgeCollector struct{ d *Daemon }

func (c keyAgeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- keyAgeDesc }

func (c keyAgeCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.d.now()
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	for name, e := range c.d.entries {
		if !e.keyCreated.IsZero() {
			ch <- prometheus.MustNewConstMetric(keyAgeDesc, prometheus.GaugeValue, now.Sub(e.keyCreated).Seconds(), name)
		}
	}
}

var (
	lastRotationDesc = prometheus.NewDesc("rotatord_last_rotation_timestamp_seconds",
		"When the secret was last rotated (or its key created), Unix time.", []string{"secret"}, nil)
	nextRotationDesc = prometheus.NewDesc("rotatord_next_rotation_timestamp_seconds",
		"When the secret is next rotated, Unix time.", []string{"secret"}, nil)
	intervalDesc = prometheus.NewDesc("rotatord_rotation_interval_seconds",
		"The secret's rotation interval: the time between the next two rotations its schedule makes.", []string{"secret"}, nil)
	pendingDesc = prometheus.NewDesc("rotatord_delivery_pending_since_timestamp_seconds",
		"When the rotation whose delivery is pending (a sink lacks the new key; both keys stay valid) began, Unix time; absent when none is.", []string{"secret"}, nil)
)

// scheduleCollector reports each secret's last and next rotation, its
// interval and its pending delivery from the
// daemon's schedule entries at scrape time, so that 100,000 secrets cost
// no metric objects between scrapes.
type scheduleCollector struct{ d *Daemon }

func (c scheduleCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lastRotationDesc
	ch <- nextRotationDesc
	ch <- intervalDesc
	ch <- pendingDesc
}

func (c scheduleCollector) Collect(ch chan<- prometheus.Metric) {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	for name, e := range c.d.entries {
		if !e.last.IsZero() {
			ch <- prometheus.MustNewConstMetric(lastRotationDesc, prometheus.GaugeValue, float64(e.last.Unix()), name)
		}
		if !e.next.IsZero() {
			ch <- prometheus.MustNewConstMetric(nextRotationDesc, prometheus.GaugeValue, float64(e.next.Unix()), name)
		}
		if e.interval > 0 {
			ch <- prometheus.MustNewConstMetric(intervalDesc, prometheus.GaugeValue, e.interval.Seconds(), name)
		}
		if !e.pendingSince.IsZero() {
			ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(e.pendingSince.Unix()), name)
		}
	}
}

var (
	queuedDesc  = prometheus.NewDesc("rotatord_jobs_queued", "Jobs waiting for a worker.", nil, nil)
	runningDesc = prometheus.NewDesc("rotatord_jobs_running", "Jobs running, rotations recording their end after their last AWS call included.", nil, nil)
)

// queueCollector reports the worker pool's queue.
type queueCollector struct{ d *Daemon }

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queuedDesc; ch <- runningDesc }

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	if c.d.pool == nil {
		return
	}
	q, r := c.d.pool.counts()
	ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(q))
	ch <- prometheus.MustNewConstMetric(runningDesc, prometheus.GaugeValue, float64(r))
}

var (
	rateDesc = prometheus.NewDesc("rotatord_rate_limit",
		"IAM calls per second the target's limiter lets through now: its rate_limit, or, with rate_limit: auto, the rate it has found.", []string{"target"}, nil)
	throttledDesc = prometheus.NewDesc("rotatord_iam_throttled_total",
		"IAM calls of the target answered with a throttling error (each attempt; the SDK retries them).", []string{"target"}, nil)
)

// rateCollector reports each target's limiter.
type rateCollector struct{ d *Daemon }

func (c rateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- rateDesc; ch <- throttledDesc }

func (c rateCollector) Collect(ch chan<- prometheus.Metric) {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	for name, l := range c.d.limiters {
		ch <- prometheus.MustNewConstMetric(rateDesc, prometheus.GaugeValue, l.Rate(), name)
		ch <- prometheus.MustNewConstMetric(throttledDesc, prometheus.CounterValue, float64(l.Throttled()), name)
	}
}

// rotationInterval is how long the secret's keys live: rotation_interval
// days, or for a rotation_schedule the gap between its rotation at next
// and the one after.
func rotationInterval(rs *config.RotatedSecret, sch cron.Schedule, next time.Time) time.Duration {
	if _, ok := sch.(schedule.Interval); ok {
		return time.Duration(rs.RotationInterval) * 24 * time.Hour
	}
	return sch.Next(next).Sub(next)
}

// deliveryPendingSince is when the open rotation of st began if its
// delivery is pending (a delivery round left a sink without the new key),
// else zero.
func deliveryPendingSince(st *state.Secret) time.Time {
	if j := st.Journal; j != nil && j.Step == state.StepDelivering && j.DeliveryAttempts > 0 {
		return j.Started
	}
	return time.Time{}
}
