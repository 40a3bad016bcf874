package record_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
	"github.com/grpcdouble/grpcdouble/replay"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// callTimeout bounds every call a test makes.
const callTimeout = 20 * time.Second

// observed is everything a client can see of a call.
type observed struct {
	Messages []proto.Message
	Header   metadata.MD
	Trailer  metadata.MD
	Code     codes.Code
	Message  string
	Details  []*anypb.Any
}

func clean(md metadata.MD) metadata.MD {
	out := metadata.MD{}
	for k, v := range md {
		if !cassette.TransportHeader(k) {
			out[k] = v
		}
	}
	return out
}

func observe(msgs []proto.Message, h, tr metadata.MD, err error) observed {
	st := status.Convert(err)
	return observed{Messages: msgs, Header: clean(h), Trailer: clean(tr), Code: st.Code(), Message: st.Message(), Details: st.Proto().GetDetails()}
}

type scenario struct {
	name string
	run  func(ctx context.Context, c pb.RouteGuideClient) observed
}

func withUser(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "x-user", "ann", "x-trace-bin", string([]byte{9, 0, 200}))
}

func unaryScenario(name string, p *pb.Point) scenario {
	return scenario{name, func(ctx context.Context, c pb.RouteGuideClient) observed {
		var h, tr metadata.MD
		f, err := c.GetFeature(withUser(ctx), p, grpc.Header(&h), grpc.Trailer(&tr))
		var msgs []proto.Message
		if err == nil {
			msgs = append(msgs, f)
		}
		return observe(msgs, h, tr, err)
	}}
}

func listScenario(name string, r *pb.Rectangle, cancelAfter int) scenario {
	return scenario{name, func(ctx context.Context, c pb.RouteGuideClient) observed {
		ctx, cancel := context.WithCancel(withUser(ctx))
		defer cancel()
		s, err := c.ListFeatures(ctx, r)
		if err != nil {
			return observe(nil, nil, nil, err)
		}
		var msgs []proto.Message
		for {
			if cancelAfter >= 0 && len(msgs) == cancelAfter {
				cancel()
			}
			f, err := s.Recv()
			if err != nil {
				h, _ := s.Header()
				if err == io.EOF {
					err = nil
				}
				o := observe(msgs, h, s.Trailer(), err)
				if cancelAfter >= 0 {
					o.Message, o.Trailer = "", nil // said by the client's own gRPC
				}
				return o
			}
			msgs = append(msgs, f)
		}
	}}
}

var recordRoute = scenario{"client-stream", func(ctx context.Context, c pb.RouteGuideClient) observed {
	s, err := c.RecordRoute(withUser(ctx))
	if err != nil {
		return observe(nil, nil, nil, err)
	}
	for i := int32(1); i <= 10; i++ {
		if err := s.Send(&pb.Point{Latitude: i, Longitude: -i}); err != nil {
			break
		}
	}
	sum, err := s.CloseAndRecv()
	h, _ := s.Header()
	var msgs []proto.Message
	if err == nil {
		msgs = append(msgs, sum)
	}
	return observe(msgs, h, s.Trailer(), err)
}}

func chatScenario(name string, notes ...string) scenario {
	return scenario{name, func(ctx context.Context, c pb.RouteGuideClient) observed {
		s, err := c.RouteChat(withUser(ctx))
		if err != nil {
			return observe(nil, nil, nil, err)
		}
		var msgs []proto.Message
		recv := func() error {
			n, err := s.Recv()
			if err == nil {
				msgs = append(msgs, n)
			}
			return err
		}
		err = recv() // the server greets first
		for _, n := range notes {
			if err != nil {
				break
			}
			if err = s.Send(&pb.RouteNote{Message: n, Location: &pb.Point{Latitude: int32(len(n))}}); err != nil {
				break
			}
			err = recv()
		}
		if err == nil {
			_ = s.CloseSend()
			err = recv()
		}
		if err == io.EOF {
			err = nil
		}
		h, _ := s.Header()
		return observe(msgs, h, s.Trailer(), err)
	}}
}

var deadlineScenario = scenario{"unary deadline exceeded", func(ctx context.Context, c pb.RouteGuideClient) observed {
	ctx, cancel := context.WithTimeout(withUser(ctx), 200*time.Millisecond)
	defer cancel()
	_, err := c.GetFeature(ctx, &pb.Point{Latitude: latHang})
	return observed{Code: status.Code(err)}
}}

var scenarios = []scenario{
	unaryScenario("unary", &pb.Point{Latitude: 10, Longitude: 20}),
	unaryScenario("unary error with details", &pb.Point{Latitude: latError}),
	unaryScenario("unary large", &pb.Point{Latitude: latLarge}),
	deadlineScenario,
	listScenario("server-stream", &pb.Rectangle{Lo: &pb.Point{Latitude: 0}, Hi: &pb.Point{Latitude: 5}}, -1),
	listScenario("server-stream error", &pb.Rectangle{Lo: &pb.Point{Latitude: 0}, Hi: &pb.Point{Latitude: 2, Longitude: -1}}, -1),
	listScenario("server-stream cancel", &pb.Rectangle{Lo: &pb.Point{Latitude: 0, Longitude: -1}, Hi: &pb.Point{Latitude: 3}}, 3),
	recordRoute,
	chatScenario("bidi", "a", "bb", "ccc"),
	chatScenario("bidi error", "a", "bye"),
}

func runAll(t *testing.T, client pb.RouteGuideClient) []observed {
	t.Helper()
	out := make([]observed, len(scenarios))
	for i, s := range scenarios {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		out[i] = s.run(ctx, client)
		cancel()
	}
	return out
}

func requireSame(t *testing.T, want, got []observed) {
	t.Helper()
	for i, s := range scenarios {
		if sameObserved(want[i], got[i]) {
			continue
		}
		if d := cmp.Diff(want[i], got[i], protocmp.Transform()); d != "" {
			t.Errorf("%s: replay differs from the live server (-live +replay):\n%s", s.name, d)
		}
	}
}

// sameObserved is a fast check (cmp.Diff walks a 300 KB bytes field one
// byte at a time); the diff is only for failures.
func sameObserved(a, b observed) bool {
	if len(a.Messages) != len(b.Messages) || len(a.Details) != len(b.Details) {
		return false
	}
	for i := range a.Messages {
		if !proto.Equal(a.Messages[i], b.Messages[i]) {
			return false
		}
	}
	for i := range a.Details {
		if !proto.Equal(a.Details[i], b.Details[i]) {
			return false
		}
	}
	a.Messages, b.Messages, a.Details, b.Details = nil, nil, nil, nil
	return cmp.Equal(a, b, cmpopts.EquateEmpty())
}

// replayServer serves a cassette and returns a client of it.
func replayServer(t *testing.T, path string, opts ...replay.Option) pb.RouteGuideClient {
	t.Helper()
	h, err := replay.Open(path, append([]replay.Option{replay.WithT(t)}, opts...)...)
	require.NoError(t, err)
	srv := mockserver.Start(t, h)
	return pb.NewRouteGuideClient(srv.ClientConn())
}

func TestProxyRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rg.cassette")
	upstream, stopReal := startReal(t)

	// Live, directly: what the real server says.
	live := runAll(t, pb.NewRouteGuideClient(upstream))
	require.Equal(t, codes.NotFound, live[1].Code, "the scenarios exercise what they claim")
	require.Equal(t, unicodeMessage, live[1].Message)
	require.Len(t, live[1].Details, 2)
	require.Equal(t, codes.DeadlineExceeded, live[3].Code)
	require.Equal(t, codes.Canceled, live[6].Code)

	// Through the recording proxy: the client cannot tell.
	rec, err := record.Create(path, record.Keep("set-cookie"), record.WithWriterOptions(cassette.NoSync()))
	require.NoError(t, err)
	srv, err := mockserver.New(rec.Proxy(upstream), mockserver.WithServices("routeguide.RouteGuide"))
	require.NoError(t, err)
	proxied := runAll(t, pb.NewRouteGuideClient(srv.ClientConn()))
	require.NoError(t, srv.Close())
	require.NoError(t, rec.Close())
	requireSame(t, live, proxied)
	stopReal()

	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, len(scenarios))

	// Replayed with the real server gone: the client still cannot tell.
	replayed := runAll(t, replayServer(t, path))
	requireSame(t, live, replayed)
}

func TestInterceptorRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rg.cassette")
	upstream, stopReal := startReal(t)
	live := runAll(t, pb.NewRouteGuideClient(upstream))

	rec, err := record.Create(path, record.Keep("set-cookie"), record.WithWriterOptions(cassette.NoSync()))
	require.NoError(t, err)
	cc, err := grpc.NewClient(upstream.Target(), append(rec.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	require.NoError(t, err)
	recorded := runAll(t, pb.NewRouteGuideClient(cc))
	require.NoError(t, cc.Close())
	require.NoError(t, rec.Close())
	requireSame(t, live, recorded)
	stopReal()

	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, len(scenarios))
	requireSame(t, live, runAll(t, replayServer(t, path)))
}

// Fifty calls at once, on one connection through the proxy: each lands in
// the cassette whole, with its own messages in order.
func TestConcurrentCalls(t *testing.T) {
	const n, notes = 50, 5
	path := filepath.Join(t.TempDir(), "many.cassette")
	upstream, _ := startReal(t)
	rec, err := record.Create(path)
	require.NoError(t, err)
	srv := mockserver.Start(t, rec.Proxy(upstream), mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())

	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	errs := make(chan error, n)
	for i := range n {
		go func() {
			s, err := client.RouteChat(ctx)
			if err != nil {
				errs <- err
				return
			}
			if _, err := s.Recv(); err != nil { // hello
				errs <- err
				return
			}
			for k := range notes {
				msg := fmt.Sprintf("c%d-%d", i, k)
				if err := s.Send(&pb.RouteNote{Message: msg}); err != nil {
					errs <- err
					return
				}
				got, err := s.Recv()
				if err != nil {
					errs <- err
					return
				}
				if got.Message != "re:"+msg {
					errs <- fmt.Errorf("call %d: got %q, want %q", i, got.Message, "re:"+msg)
					return
				}
			}
			_ = s.CloseSend()
			_, err = s.Recv()
			if err != io.EOF {
				errs <- fmt.Errorf("call %d: end: %v", i, err)
				return
			}
			errs <- nil
		}()
	}
	for range n {
		select {
		case err := <-errs:
			require.NoError(t, err)
		case <-ctx.Done():
			t.Fatal("calls did not finish")
		}
	}
	require.NoError(t, srv.Close())
	require.NoError(t, rec.Close())

	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, n)
	seen := map[int]bool{}
	for _, in := range c.Interactions {
		require.Equal(t, "/routeguide.RouteGuide/RouteChat", in.Method)
		var id int
		var client, server []string
		for _, m := range in.ClientMessages() {
			note, err := m.Decode((&pb.RouteNote{}).ProtoReflect().Type())
			require.NoError(t, err)
			client = append(client, note.(*pb.RouteNote).Message)
		}
		for _, m := range in.ServerMessages() {
			note, err := m.Decode((&pb.RouteNote{}).ProtoReflect().Type())
			require.NoError(t, err)
			server = append(server, note.(*pb.RouteNote).Message)
		}
		_, err := fmt.Sscanf(client[0], "c%d-0", &id)
		require.NoError(t, err)
		require.False(t, seen[id], "call %d recorded twice", id)
		seen[id] = true
		wantServer := []string{"hello"}
		for k := range notes {
			require.Equal(t, fmt.Sprintf("c%d-%d", id, k), client[k], "line %d", in.Line)
			wantServer = append(wantServer, fmt.Sprintf("re:c%d-%d", id, k))
		}
		require.Len(t, client, notes)
		require.Equal(t, wantServer, server, "line %d", in.Line)
		require.Equal(t, cassette.HalfClose, in.Events[len(in.Events)-1].Type)
	}
}

func TestSecretsRedactedByDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.cassette")
	upstream, _ := startReal(t)
	rec, err := record.Create(path,
		record.Redact("x-session"),
		record.BeforeSave(func(in *cassette.Interaction) { in.Metadata.Set("x-hook", "ran") }))
	require.NoError(t, err)
	srv := mockserver.Start(t, rec.Proxy(upstream), mockserver.WithServices("routeguide.RouteGuide"))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx,
		"authorization", "Bearer tok-AUTH-1",
		"cookie", "c=tok-COOKIE-2",
		"x-api-key", "tok-APIKEY-3",
		"proxy-authorization", "Basic tok-PROXY-4",
		"x-session", "tok-SESSION-5",
		"x-user", "ann")
	var h metadata.MD
	_, err = pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{Latitude: 1}, grpc.Header(&h))
	require.NoError(t, err)
	require.Equal(t, []string{"session=s3cr3t-cookie"}, h.Get("set-cookie"), "the client still sees the real header")
	require.NoError(t, srv.Close())
	require.NoError(t, rec.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, secret := range []string{"tok-AUTH-1", "tok-COOKIE-2", "tok-APIKEY-3", "tok-PROXY-4", "tok-SESSION-5", "s3cr3t-cookie"} {
		require.NotContains(t, string(data), secret)
	}
	c, err := cassette.Load(path)
	require.NoError(t, err)
	in := c.Interactions[0]
	require.Equal(t, []string{cassette.Redacted}, in.Metadata.Get("authorization"))
	require.Equal(t, []string{"ann"}, in.Metadata.Get("x-user"))
	require.Equal(t, []string{"ran"}, in.Metadata.Get("x-hook"))
	hdr, ok := in.Header()
	require.True(t, ok)
	require.Equal(t, []string{cassette.Redacted}, hdr.Get("set-cookie"))
}

// Every key that names a credential is redacted, not only a short list:
// these were written as they were. grpcdouble-session is not a secret, and
// Keep exempts a key.
func TestCredentialKeysRedactedByPattern(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.cassette")
	upstream, _ := startReal(t)
	rec, err := record.Create(path, record.Keep("x-debug-token"))
	require.NoError(t, err)
	srv := mockserver.Start(t, rec.Proxy(upstream), mockserver.WithServices("routeguide.RouteGuide"))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	secrets := map[string]string{
		"x-goog-api-key": "s-1", "x-auth-token": "s-2", "x-amz-security-token": "s-3", "x-csrf-token": "s-4",
		"x-access-token": "s-5", "api-key": "s-6", "token": "s-7", "authorization-bin": "s-8",
		"grpc-metadata-cookie": "s-9", "x-client-secret": "s-10", "x-password": "s-11", "x-session-id": "s-12",
	}
	var kv []string
	for k, v := range secrets {
		kv = append(kv, k, "secret-"+v)
	}
	kv = append(kv, "grpcdouble-session", "alice", "x-debug-token", "kept-on-purpose")
	_, err = pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(metadata.AppendToOutgoingContext(ctx, kv...), &pb.Point{Latitude: 1})
	require.NoError(t, err)
	require.NoError(t, srv.Close())
	require.NoError(t, rec.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(data), "secret-")
	c, err := cassette.Load(path)
	require.NoError(t, err)
	md := c.Interactions[0].Metadata
	for k := range secrets {
		require.Equal(t, []string{cassette.Redacted}, md.Get(k), k)
	}
	require.Equal(t, []string{"alice"}, md.Get("grpcdouble-session"), "a session name is not a secret")
	require.Equal(t, []string{"kept-on-purpose"}, md.Get("x-debug-token"), "Keep exempts a key")
}
