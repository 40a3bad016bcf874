package metrics

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/internal/hostcheck"
)

// Source is what answered a call, as the source label shows it.
const (
	SourceStub     = "stub"
	SourceCassette = "cassette"
	SourceUpstream = "upstream"
	SourceMiss     = "miss"
	// SourceNone: nothing said what answered (reflection, health, or a
	// call that failed before its handler ran).
	SourceNone = "none"
)

// Option configures Metrics.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	labelStub  func(id string) bool
	gauges     []gauge
	counters   []gauge
	namespace  string
	latencyBkt []float64
}

type gauge struct {
	name, help string
	f          func() float64
}

// LabelStub says which stub ids may be label values: a call a stub answers
// is counted under its id when label(id) is true, and under "" otherwise, so
// stubs added at run time (one per test, say) cannot grow the label set
// without bound. The default labels none.
func LabelStub(label func(id string) bool) Option {
	return optionFunc(func(c *config) { c.labelStub = label })
}

// Gauge exports f's value, read at every scrape, as NAMESPACE_name.
func Gauge(name, help string, f func() float64) Option {
	return optionFunc(func(c *config) { c.gauges = append(c.gauges, gauge{name, help, f}) })
}

// Counter exports f's value, read at every scrape, as a counter
// NAMESPACE_name (name should end in _total).
func Counter(name, help string, f func() float64) Option {
	return optionFunc(func(c *config) { c.counters = append(c.counters, gauge{name, help, f}) })
}

// Namespace prefixes every metric name; the default is "grpcdouble".
func Namespace(ns string) Option { return optionFunc(func(c *config) { c.namespace = ns }) }

// Metrics counts the calls of a gRPC server and serves the counts in the
// Prometheus text format. It is a grpc stats.Handler: install it with
// grpc.StatsHandler (mockserver.WithServerOptions), and report what
// answered each call with Answered.
type Metrics struct {
	cfg      config
	reg      *prometheus.Registry
	calls    *prometheus.CounterVec
	msgsIn   *prometheus.CounterVec
	msgsOut  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inflight prometheus.Gauge
}

// New returns Metrics registering, besides the call metrics, the gauges and
// counters given as options.
func New(opts ...Option) *Metrics {
	m := &Metrics{cfg: config{namespace: "grpcdouble", latencyBkt: prometheus.ExponentialBuckets(0.0001, 4, 10)}}
	for _, o := range opts {
		o.apply(&m.cfg)
	}
	ns := m.cfg.namespace
	m.reg = prometheus.NewRegistry()
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "calls_total",
		Help: "Calls finished, by method, status code and what answered them (source: stub, cassette, upstream, miss, none; stub: the id of a stub loaded from a file, else empty)."},
		[]string{"method", "code", "source", "stub"})
	m.msgsIn = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "messages_received_total",
		Help: "Messages received from clients, by method."}, []string{"method"})
	m.msgsOut = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "messages_sent_total",
		Help: "Messages sent to clients, by method."}, []string{"method"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "call_duration_seconds",
		Help: "How long calls took, from their start to their status, by method.", Buckets: m.cfg.latencyBkt}, []string{"method"})
	m.inflight = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "calls_in_flight", Help: "Calls running now."})
	m.reg.MustRegister(m.calls, m.msgsIn, m.msgsOut, m.latency, m.inflight)
	for _, g := range m.cfg.gauges {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: g.name, Help: g.help}, g.f))
	}
	for _, g := range m.cfg.counters {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: g.name, Help: g.help}, g.f))
	}
	return m
}

// Handler serves the metrics in the Prometheus text format: mount it at
// /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Standalone serves GET /metrics alone, for a listener of the metrics' own
// (grpcdouble serve --metrics); anything else there is 404. It answers, as
// the admin API does, only requests whose Host header names where it
// listens, a loopback name (localhost, 127.0.0.1, [::1]) at any port, or
// one of allowHosts ("NAME" at any port, "NAME:PORT", "*" for any; the
// admin's --admin-allow-host): a page that points its own name at this
// address (DNS rebinding) could otherwise read the metric names, methods
// and stub ids. Mounted in the admin API (admin.WithMetrics), Handler
// needs no check of its own: the admin's covers it.
func (m *Metrics) Standalone(allowHosts ...string) http.Handler {
	allow := slices.Clone(allowHosts)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if want, ok := hostcheck.Allowed(r, allow); !ok {
			http.Error(w, fmt.Sprintf("%s %s for host %q: the metrics listen at %s and answer only requests addressed to it (a page whose name points at this address, DNS rebinding, sends its own); use http://%s/metrics, or allow the name (Metrics.Standalone's allowHosts, grpcdouble serve --admin-allow-host NAME)", r.Method, r.URL.Path, r.Host, want, want), http.StatusForbidden)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// Registry is where the metrics are registered, for adding more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

type rpcKey struct{}

// rpc is one call's state, carried in its context from TagRPC to End.
type rpc struct {
	method string
	source atomic.Pointer[string]
}

// Answered records what answered the call whose context is ctx: answer is
// what mockserver.Call.Answer says ("stub:ID", "cassette", "upstream",
// "miss"). A context without Metrics is left alone.
func Answered(ctx context.Context, answer string) {
	if r, ok := ctx.Value(rpcKey{}).(*rpc); ok {
		r.source.Store(&answer)
	}
}

// TagRPC starts a call's state. It implements stats.Handler.
func (m *Metrics) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, rpcKey{}, &rpc{method: info.FullMethodName})
}

// HandleRPC counts a call's messages, and the call once it ends. It
// implements stats.Handler.
func (m *Metrics) HandleRPC(ctx context.Context, s stats.RPCStats) {
	r, ok := ctx.Value(rpcKey{}).(*rpc)
	if !ok {
		return
	}
	switch s := s.(type) {
	case *stats.Begin:
		m.inflight.Inc()
	case *stats.InPayload:
		m.msgsIn.WithLabelValues(r.method).Inc()
	case *stats.OutPayload:
		m.msgsOut.WithLabelValues(r.method).Inc()
	case *stats.End:
		// The call leaves the in-flight gauge only once it is counted, so
		// a scrape that sees nothing in flight sees every ended call.
		defer m.inflight.Dec()
		source, stub := SourceNone, ""
		if p := r.source.Load(); p != nil && *p != "" {
			source = *p
			if id, ok := strings.CutPrefix(source, "stub:"); ok {
				source = SourceStub
				if m.cfg.labelStub != nil && m.cfg.labelStub(id) {
					stub = id
				}
			}
		}
		m.calls.WithLabelValues(r.method, status.Code(s.Error).String(), source, stub).Inc()
		m.latency.WithLabelValues(r.method).Observe(s.EndTime.Sub(s.BeginTime).Seconds())
	}
}

// TagConn implements stats.Handler.
func (m *Metrics) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

// HandleConn implements stats.Handler.
func (m *Metrics) HandleConn(context.Context, stats.ConnStats) {}

var _ stats.Handler = (*Metrics)(nil)
