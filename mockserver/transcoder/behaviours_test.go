package transcoder_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/examples/routeguide/routeguideconnect"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/mockserver/transcoder"
	"github.com/grpcdouble/grpcdouble/record"
	"github.com/grpcdouble/grpcdouble/replay"
)

// TestExpectationsReachConnect: Go expectations, matched on the request and
// its metadata, answer a connect-go client with messages, headers and an
// error with details.
func TestExpectationsReachConnect(t *testing.T) {
	m := expect.New(t)
	m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequest(&pb.Point{Latitude: 1}).
		WithMetadata("x-team", "web").
		Return(&pb.Feature{Name: "one"}).
		ReturnHeader("x-served-by", "double")
	m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequest(&pb.Point{Latitude: 2}).
		ReturnError(codes.NotFound, "no feature at 2", &errdetails.ErrorInfo{Reason: "MISSING"})
	m.ServerStream("/routeguide.RouteGuide/ListFeatures").
		Send(&pb.Feature{Name: "a"}, &pb.Feature{Name: "b"})
	ms := mockserver.Start(t, m)
	web := transcoder.Start(t, ms)
	client := routeguideconnect.NewRouteGuideClient(web.Client(), web.URL(), connect.WithProtoJSON())
	ctx := testContext(t)

	req := connect.NewRequest(&pb.Point{Latitude: 1})
	req.Header().Set("x-team", "web")
	got, err := client.GetFeature(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, "one", got.Msg.Name)
	assert.Equal(t, "double", got.Header().Get("x-served-by"))

	_, err = client.GetFeature(ctx, connect.NewRequest(&pb.Point{Latitude: 2}))
	var cerr *connect.Error
	require.ErrorAs(t, err, &cerr)
	assert.Equal(t, connect.CodeNotFound, cerr.Code())
	assert.Equal(t, "no feature at 2", cerr.Message())
	require.Len(t, cerr.Details(), 1)
	d, err := cerr.Details()[0].Value()
	require.NoError(t, err)
	protoDiff(t, &errdetails.ErrorInfo{Reason: "MISSING"}, d)

	stream, err := client.ListFeatures(ctx, connect.NewRequest(&pb.Rectangle{}))
	require.NoError(t, err)
	var names []string
	for stream.Receive() {
		names = append(names, stream.Msg().Name)
	}
	require.NoError(t, stream.Err())
	require.NoError(t, stream.Close())
	assert.Equal(t, []string{"a", "b"}, names)
}

// liveRouteGuide is the real service the cassettes are recorded from.
type liveRouteGuide struct {
	pb.UnimplementedRouteGuideServer
}

func (liveRouteGuide) GetFeature(ctx context.Context, p *pb.Point) (*pb.Feature, error) {
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-region", "eu"))
	if p.Latitude < 0 {
		return nil, status.Error(codes.InvalidArgument, "latitude must be ≥ 0")
	}
	return &pb.Feature{Name: fmt.Sprintf("peak %d", p.Latitude), Location: p}, nil
}

func (liveRouteGuide) ListFeatures(r *pb.Rectangle, s pb.RouteGuide_ListFeaturesServer) error {
	for i := r.GetLo().GetLatitude(); i < r.GetHi().GetLatitude(); i++ {
		if err := s.Send(&pb.Feature{Name: fmt.Sprintf("f%d", i)}); err != nil {
			return err
		}
	}
	return nil
}

// startLive serves liveRouteGuide in memory and returns a connection to it.
func startLive(t *testing.T) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	pb.RegisterRouteGuideServer(srv, liveRouteGuide{})
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///live",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(); srv.Stop(); <-served })
	return conn
}

// exercise makes the same three calls through either kind of client and
// returns what came back, as text.
type exercise func(t *testing.T) []string

func viaGRPC(conn grpc.ClientConnInterface) exercise {
	return func(t *testing.T) []string {
		client := pb.NewRouteGuideClient(conn)
		ctx := testContext(t)
		var out []string
		var hdr metadata.MD
		f, err := client.GetFeature(ctx, &pb.Point{Latitude: 7}, grpc.Header(&hdr))
		require.NoError(t, err)
		out = append(out, f.Name, "region="+fmt.Sprint(hdr.Get("x-region")))
		_, err = client.GetFeature(ctx, &pb.Point{Latitude: -1})
		out = append(out, status.Code(err).String()+": "+status.Convert(err).Message())
		s, err := client.ListFeatures(ctx, &pb.Rectangle{Lo: &pb.Point{}, Hi: &pb.Point{Latitude: 3}})
		require.NoError(t, err)
		for {
			f, err := s.Recv()
			if err != nil {
				break
			}
			out = append(out, f.Name)
		}
		return out
	}
}

func viaConnect(web *transcoder.Server, opts ...connect.ClientOption) exercise {
	return func(t *testing.T) []string {
		client := routeguideconnect.NewRouteGuideClient(web.Client(), web.URL(), opts...)
		ctx := testContext(t)
		var out []string
		f, err := client.GetFeature(ctx, connect.NewRequest(&pb.Point{Latitude: 7}))
		require.NoError(t, err)
		out = append(out, f.Msg.Name, "region="+fmt.Sprint(f.Header().Values("x-region")))
		_, err = client.GetFeature(ctx, connect.NewRequest(&pb.Point{Latitude: -1}))
		var cerr *connect.Error
		require.ErrorAs(t, err, &cerr)
		out = append(out, codes.Code(cerr.Code()).String()+": "+cerr.Message())
		s, err := client.ListFeatures(ctx, connect.NewRequest(&pb.Rectangle{Lo: &pb.Point{}, Hi: &pb.Point{Latitude: 3}}))
		require.NoError(t, err)
		for s.Receive() {
			out = append(out, s.Msg().Name)
		}
		require.NoError(t, s.Close())
		return out
	}
}

var wantLive = []string{"peak 7", "region=[eu]", "InvalidArgument: latitude must be ≥ 0", "f0", "f1", "f2"}

// TestCassetteAcrossProtocols records a cassette from one kind of client
// through the recording proxy and replays it to the other: grpc-go to
// connect-go (Connect with JSON), and connect-go (gRPC-Web) to grpc-go.
func TestCassetteAcrossProtocols(t *testing.T) {
	live := startLive(t)
	guide := mockserver.WithSource(mockserver.GoTypes("routeguide.RouteGuide"))
	cases := []struct {
		name           string
		record, replay func(ms *mockserver.Server, web *transcoder.Server) exercise
	}{
		{"grpc-go to connect-go",
			func(ms *mockserver.Server, _ *transcoder.Server) exercise { return viaGRPC(ms.ClientConn()) },
			func(_ *mockserver.Server, web *transcoder.Server) exercise {
				return viaConnect(web, connect.WithProtoJSON())
			}},
		{"connect-go to grpc-go",
			func(_ *mockserver.Server, web *transcoder.Server) exercise {
				return viaConnect(web, connect.WithGRPCWeb())
			},
			func(ms *mockserver.Server, _ *transcoder.Server) exercise { return viaGRPC(ms.ClientConn()) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "routeguide.cassette")
			rec, err := record.Create(path)
			require.NoError(t, err)
			ms := mockserver.Start(t, rec.Proxy(live), guide)
			web := transcoder.Start(t, ms)
			assert.Equal(t, wantLive, tc.record(ms, web)(t))
			require.NoError(t, web.Close())
			require.NoError(t, ms.Close())
			require.NoError(t, rec.Close())
			require.Equal(t, 3, rec.Recorded())

			h, err := replay.Open(path, replay.WithT(t))
			require.NoError(t, err)
			ms = mockserver.Start(t, h, guide)
			web = transcoder.Start(t, ms)
			assert.Equal(t, wantLive, tc.replay(ms, web)(t))
			assert.Empty(t, h.Unused())
		})
	}
}
