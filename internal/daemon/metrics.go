package daemon

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rotatord/rotatord/internal/iamrotate"
)

// metrics are the daemon's Prometheus metrics, in a registry of its own.
// Label values are secret names and results; never a secret value.
type metrics struct {
	reg          *prometheus.Registry
	rotations    *prometheus.CounterVec
	lastRotation *prometheus.GaugeVec
	nextRotation *prometheus.GaugeVec
	duration     prometheus.Histogram
	reloadOK     prometheus.Gauge
	reloadTime   prometheus.Gauge
}

func newMetrics(d *Daemon) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		rotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rotatord_rotations_total", Help: "Rotations run, by secret and result (success, failed, delivery_pending).",
		}, []string{"secret", "result"}),
		lastRotation: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rotatord_last_rotation_timestamp_seconds", Help: "When the secret was last rotated (or its key created), Unix time.",
		}, []string{"secret"}),
		nextRotation: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rotatord_next_rotation_timestamp_seconds", Help: "When the secret is next rotated, Unix time.",
		}, []string{"secret"}),
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
	}
	m.reg.MustRegister(m.rotations, m.lastRotation, m.nextRotation, m.duration, m.reloadOK, m.reloadTime,
		keyAgeCollector{d}, queueCollector{d},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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
	case err != nil:
		result = "failed"
	}
	m.rotations.WithLabelValues(secret, result).Inc()
	m.duration.Observe(took.Seconds())
}

// scheduled records a secret's last and next rotation.
func (m *metrics) scheduled(secret string, last, next time.Time) {
	if !last.IsZero() {
		m.lastRotation.WithLabelValues(secret).Set(float64(last.Unix()))
	}
	m.next(secret, next)
}

func (m *metrics) next(secret string, next time.Time) {
	if next.IsZero() {
		m.nextRotation.DeleteLabelValues(secret)
		return
	}
	m.nextRotation.WithLabelValues(secret).Set(float64(next.Unix()))
}

// forget drops a removed secret's series.
func (m *metrics) forget(secret string) {
	m.lastRotation.DeleteLabelValues(secret)
	m.nextRotation.DeleteLabelValues(secret)
	m.rotations.DeletePartialMatch(prometheus.Labels{"secret": secret})
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
// table of current keys' creation times.
type keyAgeCollector struct{ d *Daemon }

func (c keyAgeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- keyAgeDesc }

func (c keyAgeCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.d.now()
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	for name, created := range c.d.keyAge {
		if !created.IsZero() {
			ch <- prometheus.MustNewConstMetric(keyAgeDesc, prometheus.GaugeValue, now.Sub(created).Seconds(), name)
		}
	}
}

var (
	queuedDesc  = prometheus.NewDesc("rotatord_jobs_queued", "Jobs waiting for a worker.", nil, nil)
	runningDesc = prometheus.NewDesc("rotatord_jobs_running", "Jobs running on a worker.", nil, nil)
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
