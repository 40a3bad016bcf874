package mockserver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

// Fixtures, relative to this package's directory.
const (
	protoDir        = "../testdata/protos"
	echoProto       = "echo/v1/echo.proto"
	echoProtoset    = "../testdata/protosets/echo.protoset"
	echoService     = "echo.v1.EchoService"
	routeGuide      = "routeguide.RouteGuide"
	routeGuideDir   = "../examples/routeguide"
	routeGuideProto = "routeguide.proto"
)

func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// kindHandler is the trivial handler of the source tests. It answers every
// kind of RPC with responses built by fill from the method name, the
// response's index and how many requests it has received so far:
// unary one, server stream three, client stream one after the last request,
// bidi one per request.
var kindHandler = mockserver.HandlerFunc(func(c *mockserver.Call) error {
	received := 0
	reply := func(i int) error {
		return c.Send(fill(c.NewResponse(), replyText(c.Method(), i, received), received))
	}
	switch c.Kind() {
	case mockserver.Unary, mockserver.ServerStream:
		if _, err := c.Recv(); err != nil {
			return err
		}
		received = 1
		n := 1
		if c.Kind() == mockserver.ServerStream {
			n = 3
		}
		for i := 0; i < n; i++ {
			if err := reply(i); err != nil {
				return err
			}
		}
		return nil
	case mockserver.ClientStream:
		for {
			_, err := c.Recv()
			if errors.Is(err, io.EOF) {
				return reply(0)
			}
			if err != nil {
				return err
			}
			received++
		}
	default:
		for i := 0; ; i++ {
			_, err := c.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			received++
			if err := reply(i); err != nil {
				return err
			}
		}
	}
})

func replyText(md protoreflect.MethodDescriptor, i, received int) string {
	return fmt.Sprintf("%s/%d/%d", md.Name(), i, received)
}

// fill sets msg's first singular string field to text and its first
// singular int32 field to n, whatever the message type, and returns msg.
func fill(msg proto.Message, text string, n int) proto.Message {
	m := msg.ProtoReflect()
	fields := m.Descriptor().Fields()
	var didString, didInt bool
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if f.Cardinality() == protoreflect.Repeated || f.ContainingOneof() != nil {
			continue
		}
		switch {
		case f.Kind() == protoreflect.StringKind && !didString:
			m.Set(f, protoreflect.ValueOfString(text))
			didString = true
		case f.Kind() == protoreflect.Int32Kind && !didInt:
			m.Set(f, protoreflect.ValueOfInt32(int32(n)))
			didInt = true
		}
	}
	return msg
}

// requireProto fails unless want and got are equal protos.
func requireProto(t testing.TB, want, got proto.Message) {
	t.Helper()
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Fatalf("message mismatch (-want +got):\n%s", diff)
	}
}

// exerciseService calls every method of sd over conn with a dynamic client
// (dynamicpb messages, conn.Invoke and conn.NewStream, no generated code) and
// checks kindHandler's answers. It returns the requests sent, by method.
func exerciseService(t *testing.T, ctx context.Context, conn grpc.ClientConnInterface, sd protoreflect.ServiceDescriptor) map[string][]proto.Message {
	t.Helper()
	sent := map[string][]proto.Message{}
	for i := 0; i < sd.Methods().Len(); i++ {
		md := sd.Methods().Get(i)
		full := fmt.Sprintf("/%s/%s", sd.FullName(), md.Name())
		newReq := func(k int) proto.Message {
			req := fill(dynamicpb.NewMessage(md.Input()), fmt.Sprintf("request %d", k), k+1)
			sent[full] = append(sent[full], req)
			return req
		}
		want := func(i, received int) proto.Message {
			return fill(dynamicpb.NewMessage(md.Output()), replyText(md, i, received), received)
		}
		recv := func(stream grpc.ClientStream) proto.Message {
			t.Helper()
			got := dynamicpb.NewMessage(md.Output())
			require.NoError(t, stream.RecvMsg(got), full)
			return got
		}
		requireEOF := func(stream grpc.ClientStream) {
			t.Helper()
			err := stream.RecvMsg(dynamicpb.NewMessage(md.Output()))
			require.ErrorIs(t, err, io.EOF, full)
		}

		kind := mockserver.KindOf(md)
		if kind == mockserver.Unary {
			got := dynamicpb.NewMessage(md.Output())
			require.NoError(t, conn.Invoke(ctx, full, newReq(0), got), full)
			requireProto(t, want(0, 1), got)
			continue
		}
		desc := &grpc.StreamDesc{StreamName: string(md.Name()), ServerStreams: md.IsStreamingServer(), ClientStreams: md.IsStreamingClient()}
		stream, err := conn.NewStream(ctx, desc, full)
		require.NoError(t, err, full)
		switch kind {
		case mockserver.ServerStream:
			require.NoError(t, stream.SendMsg(newReq(0)))
			require.NoError(t, stream.CloseSend())
			for i := 0; i < 3; i++ {
				requireProto(t, want(i, 1), recv(stream))
			}
		case mockserver.ClientStream:
			for k := 0; k < 3; k++ {
				require.NoError(t, stream.SendMsg(newReq(k)))
			}
			require.NoError(t, stream.CloseSend())
			requireProto(t, want(0, 3), recv(stream))
		case mockserver.BidiStream:
			for k := 0; k < 3; k++ {
				require.NoError(t, stream.SendMsg(newReq(k)))
				requireProto(t, want(k, k+1), recv(stream))
			}
			require.NoError(t, stream.CloseSend())
		}
		requireEOF(stream)
	}
	return sent
}

// waitFor receives from ch or fails after testTimeout.
func waitFor[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("timed out after %v waiting for %s", testTimeout, what)
		panic("unreachable")
	}
}
