package mockserver_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// routeGuideServer is a hand-written generated-code server: the reflection
// upstream of the source tests and the baseline of the benchmarks.
type routeGuideServer struct {
	pb.UnimplementedRouteGuideServer
}

func (routeGuideServer) GetFeature(_ context.Context, p *pb.Point) (*pb.Feature, error) {
	return &pb.Feature{Name: "f", Location: p}, nil
}

func (routeGuideServer) ListFeatures(r *pb.Rectangle, stream grpc.ServerStreamingServer[pb.Feature]) error {
	for i := 0; i < streamLen(r); i++ {
		if err := stream.Send(&pb.Feature{Name: "f", Location: r.GetLo()}); err != nil {
			return err
		}
	}
	return nil
}

// streamLen is how many features ListFeatures sends: Rectangle.Hi.Latitude.
func streamLen(r *pb.Rectangle) int { return int(r.GetHi().GetLatitude()) }

// startGeneratedServer serves routeGuideServer, with reflection, on a stock
// bufconn listener and returns a connection to it.
func startGeneratedServer(t testing.TB) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer()
	pb.RegisterRouteGuideServer(s, routeGuideServer{})
	reflection.Register(s)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = conn.Close()
		s.Stop()
		<-served
	})
	return conn
}

// sourceCases are the four descriptor sources, each serving a service.
// wantDynamic says whether messages decode into dynamicpb (no Go type linked
// in) or into the generated routeguide types.
func sourceCases() []struct {
	name        string
	opts        func(t *testing.T) []mockserver.Option
	service     string
	wantDynamic bool
} {
	return []struct {
		name        string
		opts        func(t *testing.T) []mockserver.Option
		service     string
		wantDynamic bool
	}{
		{
			name: "GoTypes",
			opts: func(*testing.T) []mockserver.Option {
				return []mockserver.Option{mockserver.WithSource(mockserver.GoTypes(routeGuide))}
			},
			service: routeGuide,
		},
		{
			name: "ProtoFiles/dynamic",
			opts: func(*testing.T) []mockserver.Option {
				return []mockserver.Option{mockserver.WithSource(mockserver.ProtoFiles([]string{protoDir}, echoProto))}
			},
			service:     echoService,
			wantDynamic: true,
		},
		{
			name: "ProtoFiles/linked-in-types",
			opts: func(*testing.T) []mockserver.Option {
				return []mockserver.Option{mockserver.WithProtoFiles([]string{routeGuideDir}, routeGuideProto)}
			},
			service: routeGuide,
		},
		{
			name: "Protoset",
			opts: func(*testing.T) []mockserver.Option {
				return []mockserver.Option{mockserver.WithProtoset(echoProtoset)}
			},
			service:     echoService,
			wantDynamic: true,
		},
		{
			name: "Reflection/of-a-mockserver",
			opts: func(t *testing.T) []mockserver.Option {
				upstream := mockserver.Start(t, kindHandler, mockserver.WithProtoFiles([]string{protoDir}, echoProto))
				return []mockserver.Option{mockserver.WithSource(mockserver.Reflection(upstream.ClientConn()))}
			},
			service:     echoService,
			wantDynamic: true,
		},
		{
			name: "Reflection/of-a-generated-server",
			opts: func(t *testing.T) []mockserver.Option {
				return []mockserver.Option{mockserver.WithSource(mockserver.Reflection(startGeneratedServer(t)))}
			},
			service: routeGuide,
		},
	}
}

// TestSourcesServeAllKinds: every descriptor source serves all four RPC
// kinds to a dynamic client, the handler sees generated types when they
// are linked in and dynamicpb messages otherwise, and the journal keeps
// every message each way, in order, in those same types.
func TestSourcesServeAllKinds(t *testing.T) {
	for _, tc := range sourceCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := mockserver.Start(t, kindHandler, tc.opts(t)...)
			services := srv.Services()
			require.Len(t, services, 1)
			require.Equal(t, tc.service, string(services[0].FullName()))
			require.Equal(t, 4, services[0].Methods().Len())

			sent := exerciseService(t, testContext(t), srv.ClientConn(), services[0])

			calls := srv.Calls()
			require.Len(t, calls, 4)
			kinds := map[mockserver.Kind]bool{}
			for _, c := range calls {
				require.True(t, c.Done, c.Method)
				require.Equal(t, codes.OK, c.Code(), c.Method)
				md, err := srv.Method(c.Method)
				require.NoError(t, err)
				require.Equal(t, mockserver.KindOf(md), c.Kind)
				kinds[c.Kind] = true

				got := c.Received()
				require.Len(t, got, len(sent[c.Method]), c.Method)
				for i, m := range got {
					_, dynamic := m.(*dynamicpb.Message)
					require.Equal(t, tc.wantDynamic, dynamic, "%s: handler got a %T", c.Method, m)
					requireProto(t, sent[c.Method][i], m)
				}
				// What kindHandler sent, in order, decoded from the journal
				// into the same types as what it received.
				var wantSent []proto.Message
				reply := func(i, received int) {
					wantSent = append(wantSent, fill(dynamicpb.NewMessage(md.Output()), replyText(md, i, received), received))
				}
				wantOrder := map[mockserver.Kind][]string{
					mockserver.Unary:        {"recv", "send"},
					mockserver.ServerStream: {"recv", "send", "send", "send"},
					mockserver.ClientStream: {"recv", "recv", "recv", "half-close", "send"},
					mockserver.BidiStream:   {"recv", "send", "recv", "send", "recv", "send", "half-close"},
				}[c.Kind]
				switch c.Kind {
				case mockserver.Unary:
					reply(0, 1)
				case mockserver.ServerStream:
					reply(0, 1)
					reply(1, 1)
					reply(2, 1)
				case mockserver.ClientStream:
					reply(0, 3)
				case mockserver.BidiStream:
					reply(0, 1)
					reply(1, 2)
					reply(2, 3)
				}
				require.Len(t, c.Sent(), len(wantSent), c.Method)
				for i, m := range c.Sent() {
					_, dynamic := m.(*dynamicpb.Message)
					require.Equal(t, tc.wantDynamic, dynamic, "%s: journal sent a %T", c.Method, m)
					requireProto(t, wantSent[i], m)
				}
				var order []string
				for _, e := range c.Events {
					order = append(order, e.Type.String())
				}
				require.Equal(t, wantOrder, order, c.Method)
			}
			require.Len(t, kinds, 4, "all four kinds called")
		})
	}
}

// TestGeneratedClient drives the routeguide sources with the generated
// client and checks the handler got *pb.Point and friends.
func TestGeneratedClient(t *testing.T) {
	for _, tc := range sourceCases() {
		if tc.service != routeGuide {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			srv := mockserver.Start(t, kindHandler, tc.opts(t)...)
			ctx := testContext(t)
			client := pb.NewRouteGuideClient(srv.ClientConn())

			f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
			require.NoError(t, err)
			requireProto(t, &pb.Feature{Name: "GetFeature/0/1"}, f)

			ls, err := client.ListFeatures(ctx, &pb.Rectangle{Lo: &pb.Point{Latitude: 1}})
			require.NoError(t, err)
			for i := 0; i < 3; i++ {
				f, err := ls.Recv()
				require.NoError(t, err)
				require.Equal(t, fmt.Sprintf("ListFeatures/%d/1", i), f.GetName())
			}
			_, err = ls.Recv()
			require.ErrorIs(t, err, io.EOF)

			rr, err := client.RecordRoute(ctx)
			require.NoError(t, err)
			for i := int32(0); i < 4; i++ {
				require.NoError(t, rr.Send(&pb.Point{Latitude: i}))
			}
			sum, err := rr.CloseAndRecv()
			require.NoError(t, err)
			require.Equal(t, int32(4), sum.GetPointCount())

			chat, err := client.RouteChat(ctx)
			require.NoError(t, err)
			for i := 0; i < 2; i++ {
				require.NoError(t, chat.Send(&pb.RouteNote{Message: "hi"}))
				note, err := chat.Recv()
				require.NoError(t, err)
				require.Equal(t, fmt.Sprintf("RouteChat/%d/%d", i, i+1), note.GetMessage())
			}
			require.NoError(t, chat.CloseSend())
			_, err = chat.Recv()
			require.ErrorIs(t, err, io.EOF)

			calls := srv.Calls()
			require.Len(t, calls, 4)
			requireTypes := func(c mockserver.CallRecord, want proto.Message) {
				t.Helper()
				require.NotEmpty(t, c.Received(), c.Method)
				for _, m := range c.Received() {
					require.IsType(t, want, m, c.Method)
				}
			}
			requireTypes(calls[0], &pb.Point{})
			requireProto(t, &pb.Point{Latitude: 1, Longitude: 2}, calls[0].Received()[0])
			requireTypes(calls[1], &pb.Rectangle{})
			requireTypes(calls[2], &pb.Point{})
			require.Len(t, calls[2].Received(), 4)
			requireTypes(calls[3], &pb.RouteNote{})
			require.IsType(t, &pb.Feature{}, calls[0].Sent()[0])
		})
	}
}

// TestProtosetMatchesProtoFiles: the committed protoset and the .proto files
// it was made from describe the same service.
func TestProtosetMatchesProtoFiles(t *testing.T) {
	ctx := testContext(t)
	fromFiles, err := mockserver.ProtoFiles([]string{protoDir}, echoProto).Services(ctx)
	require.NoError(t, err)
	fromSet, err := mockserver.Protoset(echoProtoset).Services(ctx)
	require.NoError(t, err)
	require.Equal(t, shape(fromFiles), shape(fromSet), "regenerate testdata/protosets (see testdata/README.md)")
}

func shape(sds []protoreflect.ServiceDescriptor) []string {
	var out []string
	for _, sd := range sds {
		for i := 0; i < sd.Methods().Len(); i++ {
			md := sd.Methods().Get(i)
			out = append(out, fmt.Sprintf("%s/%s %s(%s) %s", sd.FullName(), md.Name(), mockserver.KindOf(md), md.Input().FullName(), md.Output().FullName()))
		}
	}
	return out
}

// A protoset is read only from a regular file: /dev/zero was read until
// 2.9 GB.
func TestProtosetRefusesSpecialFiles(t *testing.T) {
	_, err := mockserver.New(mockserver.HandlerFunc(func(*mockserver.Call) error { return nil }), mockserver.WithProtoset("/dev/zero"))
	if err == nil || !strings.Contains(err.Error(), "/dev/zero: not a regular file (it is a character device)") {
		t.Fatalf("New with a /dev/zero protoset: %v", err)
	}
}
