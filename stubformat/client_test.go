package stubformat_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// callTimeout bounds every call a test makes: a call that must succeed
// returns at once when right, so it may be generous for a loaded machine.
const callTimeout = 30 * time.Second

// pauseWindow is how long a stream waits for a message that an hour-long
// pause holds back: a wrong double sends it at once, within the window.
const pauseWindow = 300 * time.Millisecond

const (
	protoDir  = "testdata/protos"
	shopProto = "shop/v1/shop.proto"
	getItem   = "/shop.v1.ShopService/GetItem"
	listItems = "/shop.v1.ShopService/ListItems"
	upload    = "/shop.v1.ShopService/Upload"
	chat      = "/shop.v1.ShopService/Chat"
)

// double serves the shop service from a .proto, with the stubs of paths
// loaded by load (stubformat.Load, or expect's own loader for native files).
type double struct {
	t    *testing.T
	srv  *mockserver.Server
	mock *expect.Mock
	// timeout bounds each call; 0 is callTimeout.
	timeout time.Duration
	// pausing: a stream's call ends pauseWindow after its pauseAfter-th
	// message, to show an hour-long pause comes next. Until then it has the
	// whole timeout, so a slow machine delivers what comes first.
	pausing    bool
	pauseAfter int
	// session: each call carries x-gripmock-session with it, when set.
	session string
}

func serveWith(t *testing.T, load func(mockserver.Methods) ([]expect.Stub, error)) *double {
	t.Helper()
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	stubs, err := load(srv)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if _, err := m.AddStubs(stubs...); err != nil {
		t.Fatalf("AddStubs: %v", err)
	}
	return &double{t: t, srv: srv, mock: m}
}

// serve loads foreign (or mixed) stub files as they are.
func serve(t *testing.T, format stubformat.Format, paths ...string) *double {
	t.Helper()
	return serveWith(t, func(r mockserver.Methods) ([]expect.Stub, error) { return stubformat.Load(r, format, paths...) })
}

// serveConverted converts paths from a foreign format, writes the native
// files, and serves those with expect's own loader.
func serveConverted(t *testing.T, from stubformat.Format, paths ...string) *double {
	t.Helper()
	dir := convertTo(t, from, paths...)
	return serveWith(t, func(r mockserver.Methods) ([]expect.Stub, error) { return expect.LoadStubs(r, dir) })
}

func convertTo(t *testing.T, from stubformat.Format, paths ...string) string {
	t.Helper()
	resolver, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		t.Fatal(err)
	}
	defer resolver.Close()
	files, problems, err := stubformat.Convert(resolver, from, paths...)
	if err != nil || len(problems) > 0 {
		t.Fatalf("convert: %v %v", err, problems)
	}
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// answer is what a call got, in a form tests compare.
type answer struct {
	Messages []string // protojson of each message received, in order
	Code     codes.Code
	Message  string
	Details  []string // protojson of each status detail
	Header   metadata.MD
	Trailer  metadata.MD
}

func (d *double) ctx(md ...string) (context.Context, context.CancelFunc) {
	timeout := callTimeout
	if d.timeout > 0 {
		timeout = d.timeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	if d.session != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, expect.GripmockSessionKey, d.session)
	}
	if len(md) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, md...)
	}
	return ctx, cancel
}

func (d *double) method(name string) protoreflect.MethodDescriptor {
	d.t.Helper()
	md, err := d.srv.Method(name)
	if err != nil {
		d.t.Fatal(err)
	}
	return md
}

func (d *double) msg(desc protoreflect.MessageDescriptor, js string) proto.Message {
	d.t.Helper()
	m := dynamicpb.NewMessage(desc)
	if err := protojson.Unmarshal([]byte(js), m); err != nil {
		d.t.Fatalf("%s: %v", js, err)
	}
	return m
}

// canon writes a message as protojson, re-parsed so its spacing is stable.
func canon(t *testing.T, m proto.Message) string {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back = m.ProtoReflect().New().Interface()
	if err := protojson.Unmarshal(b, back); err != nil {
		t.Fatal(err)
	}
	b, _ = protojson.MarshalOptions{}.Marshal(back)
	return compact(string(b))
}

func compact(s string) string {
	out := make([]rune, 0, len(s))
	inStr := false
	for _, r := range s {
		if r == '"' {
			inStr = !inStr
		}
		if !inStr && (r == ' ' || r == '\n' || r == '\u00a0') {
			continue
		}
		out = append(out, r)
	}
	return string(out)
}

func (d *double) finish(a *answer, err error) answer {
	d.t.Helper()
	st := status.Convert(err)
	a.Code, a.Message = st.Code(), st.Message()
	for _, det := range st.Proto().GetDetails() {
		// Details are compared by type and wire bytes through protojson of
		// the Any, which resolves known types.
		b, err := protojson.Marshal(det)
		if err != nil {
			a.Details = append(a.Details, det.GetTypeUrl())
			continue
		}
		a.Details = append(a.Details, compact(string(b)))
	}
	return *a
}

// unary calls a unary method with a protojson request.
func (d *double) unary(method, req string, md ...string) answer {
	d.t.Helper()
	desc := d.method(method)
	ctx, cancel := d.ctx(md...)
	defer cancel()
	out := dynamicpb.NewMessage(desc.Output())
	var a answer
	err := d.srv.ClientConn().Invoke(ctx, method, d.msg(desc.Input(), req), out, grpc.Header(&a.Header), grpc.Trailer(&a.Trailer))
	if err == nil {
		a.Messages = []string{canon(d.t, out)}
	}
	return d.finish(&a, err)
}

// stream opens a stream, sends reqs (then half-closes), and reads every
// answer. With pingPong, it reads one answer after each message sent.
func (d *double) stream(method string, pingPong bool, reqs []string, md ...string) answer {
	d.t.Helper()
	desc := d.method(method)
	ctx, cancel := d.ctx(md...)
	defer cancel()
	sd := &grpc.StreamDesc{ServerStreams: desc.IsStreamingServer(), ClientStreams: desc.IsStreamingClient()}
	cs, err := d.srv.ClientConn().NewStream(ctx, sd, method)
	if err != nil {
		d.t.Fatal(err)
	}
	var a answer
	// window starts the short wait for what must not come yet.
	window := func() {
		if d.pausing && len(a.Messages) == d.pauseAfter {
			t := time.AfterFunc(pauseWindow, cancel)
			d.t.Cleanup(func() { t.Stop() })
		}
	}
	window()
	recv := func() error {
		out := dynamicpb.NewMessage(desc.Output())
		if err := cs.RecvMsg(out); err != nil {
			return err
		}
		a.Messages = append(a.Messages, canon(d.t, out))
		window()
		return nil
	}
	for _, r := range reqs {
		if err := cs.SendMsg(d.msg(desc.Input(), r)); err != nil {
			break // the server ended the call; RecvMsg says how
		}
		if pingPong {
			if err := recv(); err != nil {
				a.Header, _ = cs.Header()
				a.Trailer = cs.Trailer()
				return d.finish(&a, err)
			}
		}
	}
	if err := cs.CloseSend(); err != nil {
		d.t.Fatal(err)
	}
	for {
		err = recv()
		if err != nil {
			break
		}
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	a.Header, _ = cs.Header()
	a.Trailer = cs.Trailer()
	return d.finish(&a, err)
}

func checkAnswer(t *testing.T, name string, want, got answer) {
	t.Helper()
	// Only the headers and trailers a case names are compared.
	got.Header = pick(got.Header, want.Header)
	got.Trailer = pick(got.Trailer, want.Trailer)
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("%s: answer (-want +got):\n%s", name, diff)
	}
}

func pick(got, keys metadata.MD) metadata.MD {
	if keys == nil {
		return nil
	}
	out := metadata.MD{}
	for k := range keys {
		if v, ok := got[k]; ok {
			out[k] = v
		}
	}
	return out
}
