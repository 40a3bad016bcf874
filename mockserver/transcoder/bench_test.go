package transcoder_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc/test/bufconn"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/examples/routeguide/routeguideconnect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/mockserver/transcoder"
)

// handWritten is the baseline: a connect-go handler on the generated code.
type handWritten struct {
	routeguideconnect.UnimplementedRouteGuideHandler
}

func (handWritten) GetFeature(_ context.Context, req *connect.Request[pb.Point]) (*connect.Response[pb.Feature], error) {
	return connect.NewResponse(&pb.Feature{Name: "bench", Location: req.Msg}), nil
}

var benchHandler = mockserver.HandlerFunc(func(c *mockserver.Call) error {
	req, err := c.Recv()
	if err != nil {
		return err
	}
	return c.Send(&pb.Feature{Name: "bench", Location: req.(*pb.Point)})
})

type noDeadline struct{ net.Conn }

func (noDeadline) SetDeadline(time.Time) error      { return nil }
func (noDeadline) SetReadDeadline(time.Time) error  { return nil }
func (noDeadline) SetWriteDeadline(time.Time) error { return nil }

type noDeadlineListener struct{ *bufconn.Listener }

func (l noDeadlineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return noDeadline{c}, nil
}

// serveHandWritten serves the baseline on the transport transcoder.Server
// uses: a bufconn listener, net/http speaking h2c, and an h2c client.
func serveHandWritten(b *testing.B) *http.Client {
	lis := bufconn.Listen(1 << 20)
	mux := http.NewServeMux()
	mux.Handle(routeguideconnect.NewRouteGuideHandler(handWritten{}))
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	hs := &http.Server{Handler: mux, Protocols: &p}
	served := make(chan struct{})
	go func() { defer close(served); _ = hs.Serve(noDeadlineListener{lis}) }()
	var cp http.Protocols
	cp.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &cp, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		c, err := lis.DialContext(ctx)
		if err != nil {
			return nil, err
		}
		return noDeadline{c}, nil
	}}
	b.Cleanup(func() { tr.CloseIdleConnections(); _ = hs.Close(); <-served })
	return &http.Client{Transport: tr}
}

// BenchmarkConnectUnaryPaired alternates, call by call, a Connect unary call
// (proto codec, HTTP/2 in memory) to the double through the transcoder and
// to a hand-written connect-go handler on the same transport, and reports
// the double's time as a multiple of the baseline's ("x-handwritten"), a
// ratio that drift on a shared machine cannot skew.
func BenchmarkConnectUnaryPaired(b *testing.B) {
	for _, codec := range []struct {
		name string
		opts []connect.ClientOption
	}{{"proto", nil}, {"json", []connect.ClientOption{connect.WithProtoJSON()}}} {
		b.Run(codec.name, func(b *testing.B) {
			ms, err := mockserver.New(benchHandler, mockserver.WithSource(mockserver.GoTypes("routeguide.RouteGuide")))
			if err != nil {
				b.Fatal(err)
			}
			web, err := transcoder.New(ms)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = web.Close(); _ = ms.Close() })
			double := routeguideconnect.NewRouteGuideClient(web.Client(), web.URL(), codec.opts...)
			base := routeguideconnect.NewRouteGuideClient(serveHandWritten(b), "http://bufconn", codec.opts...)
			call := func(c routeguideconnect.RouteGuideClient) error {
				resp, err := c.GetFeature(context.Background(), connect.NewRequest(&pb.Point{Latitude: 1, Longitude: 2}))
				if err == nil && resp.Msg.GetLocation().GetLatitude() != 1 {
					err = errors.New("wrong answer")
				}
				return err
			}
			var tDouble, tBase time.Duration
			for i := 0; b.Loop(); i++ {
				first, second, t1, t2 := base, double, &tBase, &tDouble
				if i%2 == 1 {
					first, second, t1, t2 = double, base, &tDouble, &tBase
				}
				start := time.Now()
				if err := call(first); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				if err := call(second); err != nil {
					b.Fatal(err)
				}
				*t1 += mid.Sub(start)
				*t2 += time.Since(mid)
			}
			if tBase > 0 {
				b.ReportMetric(float64(tDouble)/float64(tBase), "x-handwritten")
			}
		})
	}
}
