package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/admin/metrics"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

const callTimeout = 10 * time.Second

// scrape parses the metrics the handler serves.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value finds the sample of a family whose labels are exactly labels.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no %s sample with labels %v", name, labels)
	return 0
}

// answering is a Mock that tells Metrics what answered each call, as the
// grpcdouble command's dispatcher does.
type answering struct{ *expect.Mock }

func (a answering) Handle(c *mockserver.Call) error {
	err := a.Mock.Handle(c)
	metrics.Answered(c.Context(), c.Answer())
	return err
}

func TestCounts(t *testing.T) {
	m := expect.NewMock()
	stubs, err := expect.ParseStubs("s.yaml", []byte(`
- {id: file-stub, method: routeguide.RouteGuide/GetFeature, request: {equal: {latitude: 1}}, response: {name: a}}
- {id: run-time, method: routeguide.RouteGuide/GetFeature, request: {equal: {latitude: 2}}, response: {name: b}}
- {id: three, method: routeguide.RouteGuide/ListFeatures, responses: [{name: x}, {name: y}, {name: z}]}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddStubs(stubs...); err != nil {
		t.Fatal(err)
	}
	met := metrics.New(
		metrics.LabelStub(func(id string) bool { return id != "run-time" }),
		metrics.Gauge("stubs", "Stubs loaded.", func() float64 { return float64(len(m.Stubs())) }),
	)
	srv := mockserver.Start(t, answering{m}, mockserver.WithServerOptions(grpc.StatsHandler(met)))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	for range 3 {
		if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 2}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 9}); status.Code(err) != expect.NoMatchCode {
			t.Fatalf("unstubbed GetFeature: %v", err)
		}
	}
	stream, err := client.ListFeatures(ctx, &pb.Rectangle{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); err != nil {
			break
		}
	}

	// A client sees its call end before the server's stats handler has
	// seen it end: wait, bounded, until no call is in flight.
	fams := scrape(t, met.Handler())
	for value(t, fams, "grpcdouble_calls_in_flight", nil) != 0 {
		if ctx.Err() != nil {
			t.Fatal("calls still in flight after every client call returned")
		}
		time.Sleep(time.Millisecond) // polling a gauge, bounded by ctx
		fams = scrape(t, met.Handler())
	}
	get, list := "/routeguide.RouteGuide/GetFeature", "/routeguide.RouteGuide/ListFeatures"
	ok, miss := codes.OK.String(), expect.NoMatchCode.String()
	for _, tc := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"method": get, "code": ok, "source": "stub", "stub": "file-stub"}, 3},
		{map[string]string{"method": get, "code": ok, "source": "stub", "stub": ""}, 1},
		{map[string]string{"method": get, "code": miss, "source": "miss", "stub": ""}, 2},
		{map[string]string{"method": list, "code": ok, "source": "stub", "stub": "three"}, 1},
	} {
		if got := value(t, fams, "grpcdouble_calls_total", tc.labels); got != tc.want {
			t.Errorf("calls_total%v = %v, want %v", tc.labels, got, tc.want)
		}
	}
	if got := value(t, fams, "grpcdouble_messages_received_total", map[string]string{"method": get}); got != 6 {
		t.Errorf("messages received on GetFeature: %v, want 6", got)
	}
	if got := value(t, fams, "grpcdouble_messages_sent_total", map[string]string{"method": get}); got != 4 {
		t.Errorf("messages sent on GetFeature: %v, want 4", got)
	}
	if got := value(t, fams, "grpcdouble_messages_sent_total", map[string]string{"method": list}); got != 3 {
		t.Errorf("messages sent on ListFeatures: %v, want 3", got)
	}
	if got := value(t, fams, "grpcdouble_call_duration_seconds", map[string]string{"method": get}); got != 6 {
		t.Errorf("latency samples on GetFeature: %v, want 6", got)
	}
	if got := value(t, fams, "grpcdouble_stubs", nil); got != 3 {
		t.Errorf("stubs gauge: %v, want 3", got)
	}
}
