package transcoder_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/examples/routeguide/routeguideconnect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/mockserver/transcoder"
)

// protocols are connect-go's three, by the journal's names for them.
var protocols = []struct {
	name string
	opt  []connect.ClientOption
}{
	{mockserver.ProtocolConnect, nil},
	{mockserver.ProtocolGRPC, []connect.ClientOption{connect.WithGRPC()}},
	{mockserver.ProtocolGRPCWeb, []connect.ClientOption{connect.WithGRPCWeb()}},
}

var codecs = []struct {
	name string
	opt  []connect.ClientOption
}{
	{"proto", nil},
	{"json", []connect.ClientOption{connect.WithProtoJSON()}},
}

// routeHandler answers every RouteGuide method, with a header and a trailer:
// GetFeature names the feature after the point, ListFeatures sends three,
// RecordRoute counts the points, RouteChat echoes each note upper-cased.
var routeHandler = mockserver.HandlerFunc(func(c *mockserver.Call) error {
	if err := c.SetHeader(metadata.Pairs("x-header", "h-"+string(c.Method().Name()))); err != nil {
		return err
	}
	c.SetTrailer(metadata.Pairs("x-trailer", "t-"+string(c.Method().Name())))
	switch c.Method().Name() {
	case "GetFeature":
		req, err := c.Recv()
		if err != nil {
			return err
		}
		p := req.(*pb.Point)
		return c.Send(&pb.Feature{Name: fmt.Sprintf("at %d,%d", p.Latitude, p.Longitude), Location: p})
	case "ListFeatures":
		if _, err := c.Recv(); err != nil {
			return err
		}
		for i := range 3 {
			if err := c.Send(&pb.Feature{Name: fmt.Sprint("f", i)}); err != nil {
				return err
			}
		}
		return nil
	case "RecordRoute":
		n := int32(0)
		for {
			_, err := c.Recv()
			if errors.Is(err, io.EOF) {
				return c.Send(&pb.RouteSummary{PointCount: n})
			}
			if err != nil {
				return err
			}
			n++
		}
	default: // RouteChat
		for {
			req, err := c.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := c.Send(&pb.RouteNote{Message: strings.ToUpper(req.(*pb.RouteNote).Message)}); err != nil {
				return err
			}
		}
	}
})

func start(t *testing.T, h mockserver.Handler, opts ...mockserver.Option) (*mockserver.Server, *transcoder.Server) {
	t.Helper()
	opts = append([]mockserver.Option{mockserver.WithSource(mockserver.GoTypes("routeguide.RouteGuide"))}, opts...)
	ms := mockserver.Start(t, h, opts...)
	return ms, transcoder.Start(t, ms)
}

func protoDiff(t *testing.T, want, got proto.Message) {
	t.Helper()
	if d := cmp.Diff(want, got, protocmp.Transform()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

// TestEveryKindEveryProtocol calls all four RPC kinds over HTTP/2 with each
// of connect-go's protocols and both codecs, and checks the answers, the
// header and trailer, and what the journal says the call came in on.
func TestEveryKindEveryProtocol(t *testing.T) {
	for _, p := range protocols {
		for _, c := range codecs {
			t.Run(p.name+"/"+c.name, func(t *testing.T) {
				ms, web := start(t, routeHandler)
				client := routeguideconnect.NewRouteGuideClient(web.Client(), web.URL(), append(append([]connect.ClientOption{}, p.opt...), c.opt...)...)
				ctx := testContext(t)

				unary, err := client.GetFeature(ctx, connect.NewRequest(&pb.Point{Latitude: 1, Longitude: 2}))
				require.NoError(t, err)
				protoDiff(t, &pb.Feature{Name: "at 1,2", Location: &pb.Point{Latitude: 1, Longitude: 2}}, unary.Msg)
				assert.Equal(t, "h-GetFeature", unary.Header().Get("x-header"))
				assert.Equal(t, "t-GetFeature", unary.Trailer().Get("x-trailer"))

				ss, err := client.ListFeatures(ctx, connect.NewRequest(&pb.Rectangle{}))
				require.NoError(t, err)
				var names []string
				for ss.Receive() {
					names = append(names, ss.Msg().Name)
				}
				require.NoError(t, ss.Err())
				assert.Equal(t, []string{"f0", "f1", "f2"}, names)
				assert.Equal(t, "h-ListFeatures", ss.ResponseHeader().Get("x-header"))
				assert.Equal(t, "t-ListFeatures", ss.ResponseTrailer().Get("x-trailer"))
				require.NoError(t, ss.Close())

				cs := client.RecordRoute(ctx)
				for i := range 4 {
					require.NoError(t, cs.Send(&pb.Point{Latitude: int32(i)}))
				}
				sum, err := cs.CloseAndReceive()
				require.NoError(t, err)
				protoDiff(t, &pb.RouteSummary{PointCount: 4}, sum.Msg)
				assert.Equal(t, "t-RecordRoute", sum.Trailer().Get("x-trailer"))

				bidi := client.RouteChat(ctx)
				for _, s := range []string{"a", "b"} {
					require.NoError(t, bidi.Send(&pb.RouteNote{Message: s}))
					got, err := bidi.Receive()
					require.NoError(t, err)
					assert.Equal(t, strings.ToUpper(s), got.Message)
				}
				require.NoError(t, bidi.CloseRequest())
				_, err = bidi.Receive()
				assert.ErrorIs(t, err, io.EOF)
				assert.Equal(t, "t-RouteChat", bidi.ResponseTrailer().Get("x-trailer"))
				require.NoError(t, bidi.CloseResponse())

				calls := ms.Calls()
				require.Len(t, calls, 4)
				for _, call := range calls {
					assert.Equal(t, mockserver.Protocol{Name: p.name, Codec: c.name}, call.Protocol, call.Method)
					assert.Equal(t, codes.OK, call.Code(), call.Method)
				}
				protoDiff(t, &pb.Point{Latitude: 1, Longitude: 2}, calls[0].Received()[0])
				assert.Len(t, calls[2].Received(), 4)
			})
		}
	}
}

// TestHTTP1 calls unary and server-streaming methods over HTTP/1.1, with
// the protocols that allow it.
func TestHTTP1(t *testing.T) {
	for _, p := range []struct {
		name string
		opt  []connect.ClientOption
	}{protocols[0], protocols[2]} {
		for _, c := range codecs {
			t.Run(p.name+"/"+c.name, func(t *testing.T) {
				ms, web := start(t, routeHandler)
				client := routeguideconnect.NewRouteGuideClient(web.HTTP1Client(), web.URL(), append(append([]connect.ClientOption{}, p.opt...), c.opt...)...)
				ctx := testContext(t)
				unary, err := client.GetFeature(ctx, connect.NewRequest(&pb.Point{Latitude: 7}))
				require.NoError(t, err)
				assert.Equal(t, "at 7,0", unary.Msg.Name)
				assert.Equal(t, "t-GetFeature", unary.Trailer().Get("x-trailer"))

				ss, err := client.ListFeatures(ctx, connect.NewRequest(&pb.Rectangle{}))
				require.NoError(t, err)
				n := 0
				for ss.Receive() {
					n++
				}
				require.NoError(t, ss.Err())
				assert.Equal(t, 3, n)
				require.NoError(t, ss.Close())
				for _, call := range ms.Calls() {
					assert.Equal(t, p.name, call.Protocol.Name)
				}
			})
		}
	}
}

// TestErrorDetails: a status with details reaches each protocol as a
// connect.Error whose details decode to the messages sent, with the
// trailers set on the error.
func TestErrorDetails(t *testing.T) {
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		c.SetTrailer(metadata.Pairs("x-why", "because"))
		st, err := status.New(codes.InvalidArgument, "latitude out of range: ±90°").WithDetails(
			&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "latitude", Description: "too far north"}}},
			&errdetails.ErrorInfo{Reason: "OUT_OF_RANGE", Domain: "routeguide.example"})
		if err != nil {
			return err
		}
		return st.Err()
	})
	for _, p := range protocols {
		for _, c := range codecs {
			t.Run(p.name+"/"+c.name, func(t *testing.T) {
				_, web := start(t, h)
				client := routeguideconnect.NewRouteGuideClient(web.Client(), web.URL(), append(append([]connect.ClientOption{}, p.opt...), c.opt...)...)
				_, err := client.GetFeature(testContext(t), connect.NewRequest(&pb.Point{Latitude: 1000}))
				var cerr *connect.Error
				require.ErrorAs(t, err, &cerr)
				assert.Equal(t, connect.CodeInvalidArgument, cerr.Code())
				assert.Equal(t, "latitude out of range: ±90°", cerr.Message())
				require.Len(t, cerr.Details(), 2)
				d0, err := cerr.Details()[0].Value()
				require.NoError(t, err)
				protoDiff(t, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "latitude", Description: "too far north"}}}, d0)
				d1, err := cerr.Details()[1].Value()
				require.NoError(t, err)
				protoDiff(t, &errdetails.ErrorInfo{Reason: "OUT_OF_RANGE", Domain: "routeguide.example"}, d1)
				assert.Equal(t, "because", cerr.Meta().Get("x-why"))
			})
		}
	}
}

// TestDeadlineAndCancel: for each protocol, the client's deadline reaches
// the handler (connect-timeout-ms or grpc-timeout) and trips the call with
// DeadlineExceeded, and a client's cancel ends the handler's context.
func TestDeadlineAndCancel(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name+"/deadline", func(t *testing.T) {
			sawDeadline := make(chan time.Duration, 16)
			h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
				d, ok := c.Deadline()
				if ok {
					sawDeadline <- time.Until(d)
				} else {
					sawDeadline <- -1
				}
				<-c.Context().Done()
				return c.Context().Err()
			})
			_, web := start(t, h)
			client := routeguideconnect.NewRouteGuideClient(web.Client(), web.URL(), p.opt...)
			// On a loaded machine a short deadline may pass before the
			// call reaches the handler: a longer one is tried then.
			for _, timeout := range []time.Duration{300 * time.Millisecond, time.Second, 4 * time.Second} {
				ctx, cancel := context.WithTimeout(testContext(t), timeout)
				_, err := client.GetFeature(ctx, connect.NewRequest(&pb.Point{}))
				cancel()
				assert.Equal(t, connect.CodeDeadlineExceeded, connect.CodeOf(err), "%v", err)
				select {
				case left := <-sawDeadline:
					if left <= 0 && left != -1 {
						continue // it came after its deadline
					}
					assert.Greater(t, left, time.Duration(0), "the handler saw no deadline")
					assert.LessOrEqual(t, left, timeout)
					return
				case <-time.After(timeout + 2*time.Second):
					// The call never reached the handler in time.
				}
			}
			t.Fatal("the handler never ran before the call's deadline, however long")
		})
		t.Run(p.name+"/cancel", func(t *testing.T) {
			started := make(chan struct{})
			ended := make(chan error, 1)
			h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
				close(started)
				<-c.Context().Done()
				ended <- c.Context().Err()
				return c.Context().Err()
			})
			_, web := start(t, h)
			client := routeguideconnect.NewRouteGuideClient(web.Client(), web.URL(), p.opt...)
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			// connect-go returns from a call only once response headers
			// come, so the call runs on its own goroutine.
			callErr := make(chan error, 1)
			go func() {
				_, err := client.GetFeature(ctx, connect.NewRequest(&pb.Point{}))
				callErr <- err
			}()
			wait := testContext(t)
			select {
			case <-started:
			case <-wait.Done():
				t.Fatal("the handler never ran")
			}
			cancel()
			select {
			case err := <-ended:
				assert.ErrorIs(t, err, context.Canceled)
			case <-wait.Done():
				t.Fatal("the client's cancel never reached the handler")
			}
			select {
			case err := <-callErr:
				assert.Equal(t, connect.CodeCanceled, connect.CodeOf(err), "%v", err)
			case <-wait.Done():
				t.Fatal("the call never returned")
			}
		})
	}
}

// methodRecorder passes requests on, noting each one's HTTP method and
// query, to show what a connect-go client really sent.
type methodRecorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (m *methodRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	m.mu.Lock()
	m.seen = append(m.seen, r.Method+" "+r.URL.Query().Get("connect")+" "+r.URL.Query().Get("encoding"))
	m.mu.Unlock()
	return m.next.RoundTrip(r)
}

func (m *methodRecorder) methods() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.seen)
}

// TestConnectGET: GetFeature is marked idempotency_level NO_SIDE_EFFECTS,
// so a connect-go client with WithHTTPGet calls it with HTTP GET (the
// message in the query), over HTTP/2 and HTTP/1.1 with both codecs; it
// reaches the handler like a POST, with its header and trailer, and an
// error keeps its code, message and details.
func TestConnectGET(t *testing.T) {
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		req, err := c.Recv()
		if err != nil {
			return err
		}
		p := req.(*pb.Point)
		if p.Latitude == 42 {
			return status.Error(codes.NotFound, "nothing at 42 — rien")
		}
		if err := c.SetHeader(metadata.Pairs("x-header", "h")); err != nil {
			return err
		}
		c.SetTrailer(metadata.Pairs("x-trailer", "t"))
		return c.Send(&pb.Feature{Name: fmt.Sprintf("at %d,%d", p.Latitude, p.Longitude)})
	})
	ms, web := start(t, h)
	for _, hc := range []struct {
		name string
		c    *http.Client
	}{{"h2", web.Client()}, {"http1", web.HTTP1Client()}} {
		for _, c := range codecs {
			t.Run(hc.name+"/"+c.name, func(t *testing.T) {
				rec := &methodRecorder{next: hc.c.Transport}
				client := routeguideconnect.NewRouteGuideClient(&http.Client{Transport: rec}, web.URL(),
					append([]connect.ClientOption{connect.WithHTTPGet()}, c.opt...)...)
				ctx := testContext(t)
				before := len(ms.Calls())
				got, err := client.GetFeature(ctx, connect.NewRequest(&pb.Point{Latitude: 3, Longitude: 4}))
				require.NoError(t, err)
				assert.Equal(t, "at 3,4", got.Msg.Name)
				assert.Equal(t, "h", got.Header().Get("x-header"))
				assert.Equal(t, "t", got.Trailer().Get("x-trailer"))
				_, err = client.GetFeature(ctx, connect.NewRequest(&pb.Point{Latitude: 42}))
				assert.Equal(t, connect.CodeNotFound, connect.CodeOf(err), "%v", err)
				assert.Contains(t, err.Error(), "nothing at 42 — rien")
				assert.Equal(t, []string{"GET v1 " + c.name, "GET v1 " + c.name}, rec.methods())

				calls := ms.Calls()[before:]
				require.Len(t, calls, 2)
				assert.Equal(t, mockserver.Protocol{Name: mockserver.ProtocolConnect, Codec: c.name}, calls[0].Protocol)
				protoDiff(t, &pb.Point{Latitude: 3, Longitude: 4}, calls[0].Received()[0])
			})
		}
	}
}
