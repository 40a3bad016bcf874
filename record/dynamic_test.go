package record_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
	"github.com/grpcdouble/grpcdouble/replay"
)

// The echo service has no Go types anywhere in this module: every server
// here (upstream, recording proxy, replay) knows it only from the .proto
// file parsed at run time, and every message is a dynamicpb.Message.
var echoFiles = mockserver.WithProtoFiles([]string{"../testdata/protos"}, "echo/v1/echo.proto")

const echoService = "/echo.v1.EchoService/"

func setField(m protoreflect.Message, name string, v protoreflect.Value) {
	m.Set(m.Descriptor().Fields().ByName(protoreflect.Name(name)), v)
}

func getString(m proto.Message, name string) string {
	r := m.ProtoReflect()
	return r.Get(r.Descriptor().Fields().ByName(protoreflect.Name(name))).String()
}

// echoUpstream is a real implementation of the echo service as a
// HandlerFunc: Echo echoes, Expand sends count messages, Collect lists what
// it received, Chat answers each message and fails on "bye" with a Unicode
// message and details. Every call gets a header and a trailer.
func echoUpstream(c *mockserver.Call) error {
	if err := c.SetHeader(metadata.Pairs("x-upstream", "dynamic", "x-method", string(c.Method().Name()))); err != nil {
		return err
	}
	c.SetTrailer(metadata.Pairs("x-done", "yes", "x-bytes-bin", string([]byte{0, 1, 254})))
	reply := func(text string, index int32, seen []string) proto.Message {
		r := c.NewResponse().ProtoReflect()
		setField(r, "message", protoreflect.ValueOfString(text))
		setField(r, "index", protoreflect.ValueOfInt32(index))
		if len(seen) > 0 {
			list := r.Mutable(r.Descriptor().Fields().ByName("seen")).List()
			for _, s := range seen {
				list.Append(protoreflect.ValueOfString(s))
			}
		}
		return r.Interface()
	}
	switch c.Method().Name() {
	case "Echo":
		req, err := c.Recv()
		if err != nil {
			return err
		}
		return c.Send(reply("echo: "+getString(req, "message"), 0, nil))
	case "Expand":
		req, err := c.Recv()
		if err != nil {
			return err
		}
		r := req.ProtoReflect()
		n := r.Get(r.Descriptor().Fields().ByName("count")).Int()
		for i := range int32(n) {
			if err := c.Send(reply(fmt.Sprintf("%s #%d", getString(req, "message"), i), i, nil)); err != nil {
				return err
			}
		}
		return nil
	case "Collect":
		var seen []string
		for {
			req, err := c.Recv()
			if err == io.EOF {
				return c.Send(reply("collected", int32(len(seen)), seen))
			}
			if err != nil {
				return err
			}
			seen = append(seen, getString(req, "message"))
		}
	default: // Chat
		for i := int32(0); ; i++ {
			req, err := c.Recv()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if getString(req, "message") == "bye" {
				st, err := status.New(codes.Aborted, "прощай — 再见 👋").WithDetails(&errdetails.ErrorInfo{Reason: "BYE", Domain: "echo"})
				if err != nil {
					return err
				}
				return st.Err()
			}
			if err := c.Send(reply("re: "+getString(req, "message"), i, nil)); err != nil {
				return err
			}
		}
	}
}

// echoCall is one call a client of the echo service makes.
type echoCall struct {
	method string
	reqs   []func(protoreflect.Message) // each fills one request
}

func msg(text string) func(protoreflect.Message) {
	return func(m protoreflect.Message) { setField(m, "message", protoreflect.ValueOfString(text)) }
}

var echoCalls = []echoCall{
	{"Echo", []func(protoreflect.Message){msg("héllo ✓")}},
	{"Expand", []func(protoreflect.Message){func(m protoreflect.Message) {
		setField(m, "message", protoreflect.ValueOfString("x"))
		setField(m, "count", protoreflect.ValueOfInt32(4))
	}}},
	{"Collect", []func(protoreflect.Message){msg("a"), msg("b"), msg("c")}},
	{"Chat", []func(protoreflect.Message){msg("one"), msg("two")}},
	{"Chat", []func(protoreflect.Message){msg("three"), msg("bye")}},
}

// seen is what the client of a dynamic call observed.
type seen struct {
	Messages []proto.Message
	Header   metadata.MD
	Trailer  metadata.MD
	Status   *spb.Status // details and all
}

// runEcho makes every echo call on cc, with messages built from the
// descriptors srv parsed, and returns what the client saw.
func runEcho(t *testing.T, srv *mockserver.Server, cc grpc.ClientConnInterface) []seen {
	t.Helper()
	var out []seen
	for _, ec := range echoCalls {
		md, err := srv.Method(echoService + ec.method)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		ctx = metadata.AppendToOutgoingContext(ctx, "x-user", "ann")
		cs, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: md.IsStreamingServer(), ClientStreams: md.IsStreamingClient()}, echoService+ec.method)
		require.NoError(t, err)
		for _, fill := range ec.reqs {
			req := dynamicpb.NewMessage(md.Input())
			fill(req)
			require.NoError(t, cs.SendMsg(req))
		}
		require.NoError(t, cs.CloseSend())
		var s seen
		for {
			resp := dynamicpb.NewMessage(md.Output())
			if err = cs.RecvMsg(resp); err != nil {
				break
			}
			s.Messages = append(s.Messages, resp)
		}
		if err == io.EOF {
			err = nil
		}
		h, herr := cs.Header()
		require.NoError(t, herr)
		s.Header, s.Trailer, s.Status = clean(h), clean(cs.Trailer()), status.Convert(err).Proto()
		cancel()
		out = append(out, s)
	}
	return out
}

// Record through the proxy from an upstream that exists only as a .proto
// and a HandlerFunc, stop it, replay: the client sees the same messages,
// headers, trailers and statuses, details included, with no Go types for
// the service anywhere.
func TestDynamicServiceRecordReplay(t *testing.T) {
	upstream := mockserver.Start(t, mockserver.HandlerFunc(echoUpstream), echoFiles)
	path := filepath.Join(t.TempDir(), "echo.cassette")
	rec, err := record.Create(path, record.WithWriterOptions(cassette.NoSync()))
	require.NoError(t, err)
	proxy := mockserver.Start(t, rec.Proxy(upstream.ClientConn()), echoFiles)
	live := runEcho(t, upstream, proxy.ClientConn())

	// Sanity: the upstream really answered as implemented.
	require.Len(t, live, len(echoCalls))
	require.Equal(t, "echo: héllo ✓", getString(live[0].Messages[0], "message"))
	require.Len(t, live[1].Messages, 4)
	require.Equal(t, int32(codes.Aborted), live[4].Status.GetCode())
	require.Len(t, live[4].Status.GetDetails(), 1)
	require.Equal(t, []string{"dynamic"}, live[0].Header.Get("x-upstream"))

	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	proxy.GracefulStop(ctx)
	upstream.GracefulStop(ctx)
	require.NoError(t, rec.Close())
	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, len(echoCalls))
	for _, in := range c.Interactions {
		for _, e := range in.Events {
			if e.Message != nil {
				require.False(t, e.Message.IsRaw(), "%s: a message of a parsed type was kept as raw bytes", in.Where(path))
			}
		}
	}

	h, err := replay.Open(path, replay.WithT(t))
	require.NoError(t, err)
	replayed := mockserver.Start(t, h, echoFiles)
	got := runEcho(t, replayed, replayed.ClientConn())
	if diff := cmp.Diff(live, got, protocmp.Transform()); diff != "" {
		t.Errorf("replay differs from the live run (-live +replay):\n%s", diff)
	}
}
