package mockserver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Codecs that are not proto, one of each registry, for clients that name
// them as their content-subtype. They speak JSON, so a server that read or
// wrote such a call's messages as proto would fail it.
const (
	jsonCodecV1 = "mockserver-test-json-v1"
	jsonCodecV2 = "mockserver-test-json-v2"
)

type jsonV1 struct{}

func (jsonV1) Name() string                    { return jsonCodecV1 }
func (jsonV1) Marshal(v any) ([]byte, error)   { return protojson.Marshal(v.(proto.Message)) }
func (jsonV1) Unmarshal(b []byte, v any) error { return protojson.Unmarshal(b, v.(proto.Message)) }

type jsonV2 struct{}

func (jsonV2) Name() string { return jsonCodecV2 }

func (jsonV2) Marshal(v any) (mem.BufferSlice, error) {
	b, err := protojson.Marshal(v.(proto.Message))
	return mem.BufferSlice{mem.SliceBuffer(b)}, err
}

func (jsonV2) Unmarshal(data mem.BufferSlice, v any) error {
	return protojson.Unmarshal(data.Materialize(), v.(proto.Message))
}

func init() {
	encoding.RegisterCodec(jsonV1{})
	encoding.RegisterCodecV2(jsonV2{})
}

const (
	changedAfterRecv = "changed by the handler after Recv"
	changedAfterSend = "changed by the handler after Send"
)

// scribbler answers every kind as kindHandler does, then writes over each
// message once done with it: a request after Recv, a response after Send.
var scribbler = mockserver.HandlerFunc(func(c *mockserver.Call) error {
	received := 0
	recv := func() error {
		m, err := c.Recv()
		if err != nil {
			return err
		}
		received++
		fill(m, changedAfterRecv, -1)
		return nil
	}
	send := func(i int) error {
		m := fill(c.NewResponse(), replyText(c.Method(), i, received), received)
		if err := c.Send(m); err != nil {
			return err
		}
		fill(m, changedAfterSend, -1)
		return nil
	}
	switch c.Kind() {
	case mockserver.Unary:
		if err := recv(); err != nil {
			return err
		}
		return send(0)
	case mockserver.ServerStream:
		if err := recv(); err != nil {
			return err
		}
		for i := 0; i < 3; i++ {
			if err := send(i); err != nil {
				return err
			}
		}
		return nil
	case mockserver.ClientStream:
		for {
			err := recv()
			if errors.Is(err, io.EOF) {
				return send(0)
			}
			if err != nil {
				return err
			}
		}
	default:
		for i := 0; ; i++ {
			err := recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := send(i); err != nil {
				return err
			}
		}
	}
})

// wireLog is what a client sent and got, by method.
type wireLog struct{ sent, got map[string][]proto.Message }

// callEveryMethod calls each method of sd once with dynamic messages,
// three requests to the client-streaming ones, and logs what went each way.
func callEveryMethod(t *testing.T, ctx context.Context, conn grpc.ClientConnInterface, sd protoreflect.ServiceDescriptor, opts ...grpc.CallOption) wireLog {
	t.Helper()
	log := wireLog{sent: map[string][]proto.Message{}, got: map[string][]proto.Message{}}
	for i := 0; i < sd.Methods().Len(); i++ {
		md := sd.Methods().Get(i)
		full := fmt.Sprintf("/%s/%s", sd.FullName(), md.Name())
		req := func(k int) proto.Message {
			m := fill(dynamicpb.NewMessage(md.Input()), fmt.Sprintf("request %d", k), k+1)
			log.sent[full] = append(log.sent[full], m)
			return m
		}
		kind := mockserver.KindOf(md)
		if kind == mockserver.Unary {
			got := dynamicpb.NewMessage(md.Output())
			require.NoError(t, conn.Invoke(ctx, full, req(0), got, opts...), full)
			log.got[full] = append(log.got[full], got)
			continue
		}
		desc := &grpc.StreamDesc{StreamName: string(md.Name()), ServerStreams: md.IsStreamingServer(), ClientStreams: md.IsStreamingClient()}
		stream, err := conn.NewStream(ctx, desc, full, opts...)
		require.NoError(t, err, full)
		recv := func() error {
			got := dynamicpb.NewMessage(md.Output())
			if err := stream.RecvMsg(got); err != nil {
				return err
			}
			log.got[full] = append(log.got[full], got)
			return nil
		}
		n := 1
		if md.IsStreamingClient() {
			n = 3
		}
		for k := 0; k < n; k++ {
			require.NoError(t, stream.SendMsg(req(k)), full)
			if kind == mockserver.BidiStream {
				require.NoError(t, recv(), full)
			}
		}
		require.NoError(t, stream.CloseSend(), full)
		for {
			err := recv()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, full)
		}
	}
	return log
}

// TestJournalKeepsWhatWentOnTheWire: whatever the handler does to a message
// once it has received or sent it, the journal keeps the message as it went
// over the wire, for every kind, in generated and dynamic types alike, and
// whether Send hands gRPC the journal's bytes (the default), or the server
// has options of the user's and Send hands gRPC the message, or the client
// speaks another codec than proto.
func TestJournalKeepsWhatWentOnTheWire(t *testing.T) {
	modes := []struct {
		name string
		opts []mockserver.Option
		call []grpc.CallOption
	}{
		{name: "default"},
		{name: "server-options", opts: []mockserver.Option{mockserver.WithServerOptions(grpc.MaxRecvMsgSize(8 << 20))}},
		{name: "codec-v1", call: []grpc.CallOption{grpc.CallContentSubtype(jsonCodecV1)}},
		{name: "codec-v2", call: []grpc.CallOption{grpc.CallContentSubtype(jsonCodecV2)}},
	}
	sources := []struct {
		name        string
		opt         mockserver.Option
		wantDynamic bool
	}{
		{name: "generated", opt: mockserver.WithServices(routeGuide)},
		{name: "protoset", opt: mockserver.WithProtoset(echoProtoset), wantDynamic: true},
	}
	for _, mode := range modes {
		for _, src := range sources {
			t.Run(mode.name+"/"+src.name, func(t *testing.T) {
				srv := mockserver.Start(t, scribbler, append(mode.opts, src.opt)...)
				sd := srv.Services()[0]
				log := callEveryMethod(t, testContext(t), srv.ClientConn(), sd, mode.call...)

				calls := srv.Calls()
				require.Len(t, calls, sd.Methods().Len())
				for _, c := range calls {
					requireMessages(t, c.Method+" received", src.wantDynamic, log.sent[c.Method], c.Received())
					requireMessages(t, c.Method+" sent", src.wantDynamic, log.got[c.Method], c.Sent())
					// A unary response goes out when the handler returns,
					// as the handler left it; a stream's when sent.
					md, err := srv.Method(c.Method)
					require.NoError(t, err)
					text := log.got[c.Method][0].ProtoReflect()
					gotText := text.Get(md.Output().Fields().Get(0)).String()
					if c.Kind == mockserver.Unary {
						require.Equal(t, changedAfterSend, gotText, c.Method)
					} else {
						require.NotEqual(t, changedAfterSend, gotText, c.Method)
					}
				}
				// Snapshots decode afresh: changing one changes nothing in the journal.
				fill(calls[0].Received()[0], "changed by the test", -2)
				requireMessages(t, "after the test changed a snapshot", src.wantDynamic, log.sent[calls[0].Method], srv.Calls()[0].Received())
			})
		}
	}
}

func requireMessages(t *testing.T, what string, wantDynamic bool, want, got []proto.Message) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		_, dynamic := got[i].(*dynamicpb.Message)
		require.Equal(t, wantDynamic, dynamic, "%s: a %T", what, got[i])
		requireProto(t, want[i], got[i])
	}
}

// TestJournalKeepsMessagesThatWillNotMarshal: a response the proto codec
// refuses (a string that is not UTF-8) fails the call as gRPC fails it,
// and the journal does not lose it.
func TestJournalKeepsMessagesThatWillNotMarshal(t *testing.T) {
	bad := string([]byte{0xff, 0xfe})
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		if _, err := c.Recv(); err != nil {
			return err
		}
		if c.Kind() == mockserver.Unary {
			return c.Send(&pb.Feature{Name: bad})
		}
		err := c.Send(&pb.Feature{Name: bad})
		if status.Code(err) != codes.Internal {
			return status.Errorf(codes.DataLoss, "Send of a bad message: got %v, want Internal", err)
		}
		return err
	})
	for _, name := range []string{"default", "server-options"} {
		t.Run(name, func(t *testing.T) {
			opts := []mockserver.Option{mockserver.WithServices(routeGuide)}
			if name == "server-options" {
				opts = append(opts, mockserver.WithServerOptions(grpc.MaxRecvMsgSize(8<<20)))
			}
			srv := mockserver.Start(t, h, opts...)
			ctx := testContext(t)
			client := pb.NewRouteGuideClient(srv.ClientConn())

			_, err := client.GetFeature(ctx, &pb.Point{Latitude: 1})
			require.Equal(t, codes.Internal, status.Code(err), "%v", err)
			stream, err := client.ListFeatures(ctx, &pb.Rectangle{})
			require.NoError(t, err)
			_, err = stream.Recv()
			require.Equal(t, codes.Internal, status.Code(err), "%v", err)

			calls := srv.Calls()
			require.Len(t, calls, 2)
			require.Len(t, calls[0].Sent(), 1, "the unary response the handler sent")
			require.Equal(t, bad, calls[0].Sent()[0].(*pb.Feature).GetName())
			require.Empty(t, calls[1].Sent(), "a stream's Send failed, so nothing was sent")
		})
	}
}
