package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// outcome is what a client saw of one call.
type outcome struct {
	Name     string
	Messages []proto.Message
	Header   metadata.MD
	Trailer  metadata.MD
	Code     codes.Code
	Message  string
	Details  []proto.Message

	clientEnded bool
}

// settle drops what races with the client's own deadline or cancel.
func (o *outcome) settle() {
	if o.clientEnded {
		o.Header, o.Trailer = nil, nil
	}
}

func (o *outcome) finish(err error) {
	st := status.Convert(err)
	o.Code, o.Message = st.Code(), st.Message()
	if o.Code == codes.DeadlineExceeded || o.Code == codes.Canceled {
		// The client makes these itself, and whether its own timer or the
		// server's RST_STREAM wins, and so which message it shows, is a
		// race inside grpc-go: only the code is the server's doing. The
		// server's trailers race the client's timer the same way, even
		// against the live server; finish runs before they are set, so
		// mark the outcome and drop them afterwards.
		o.Message = ""
		o.clientEnded = true
	}
	for _, d := range st.Proto().GetDetails() {
		o.Details = append(o.Details, d)
	}
}

// transportKeys are headers gRPC adds itself.
func cleanMD(md metadata.MD) metadata.MD {
	out := metadata.MD{}
	for k, v := range md {
		if k == "content-type" {
			continue
		}
		out[k] = v
	}
	return out
}

// scenario is one client run touching every RPC kind and every awkward case;
// it returns what the client saw, to compare between the live server (through
// the recording proxy) and the replay.
func scenario(t *testing.T, conn *grpc.ClientConn) []outcome {
	t.Helper()
	c := pb.NewRouteGuideClient(conn)
	base, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var out []outcome
	unary := func(name string, ctx context.Context, p *pb.Point) {
		o := outcome{Name: name}
		f, err := c.GetFeature(ctx, p, grpc.Header(&o.Header), grpc.Trailer(&o.Trailer))
		if err == nil {
			if ph := f.GetPhoto(); len(ph.GetData()) > 1024 {
				// cmp.Diff walks bytes one by one: compare a digest.
				sum := sha256.Sum256(ph.GetData())
				ph.MimeType += fmt.Sprintf(" (%d bytes)", len(ph.GetData()))
				ph.Data = sum[:]
			}
			o.Messages = []proto.Message{f}
		}
		o.finish(err)
		o.Header, o.Trailer = cleanMD(o.Header), cleanMD(o.Trailer)
		o.settle()
		out = append(out, o)
	}
	// streamEnded records how a stream call ended; s is nil when the call
	// could not start.
	streamEnded := func(o outcome, s grpc.ClientStream, err error) {
		o.finish(err)
		if s != nil {
			h, _ := s.Header()
			o.Header, o.Trailer = cleanMD(h), cleanMD(s.Trailer())
		}
		o.settle()
		out = append(out, o)
	}
	echo := func(v string) context.Context { return metadata.AppendToOutgoingContext(base, "x-echo", v) }

	unary("unary", echo("één ✓"), &pb.Point{Latitude: 1, Longitude: 2})
	for i := range 3 { // repeated identical calls
		unary(fmt.Sprintf("repeat %d", i), echo("same"), &pb.Point{Latitude: 3, Longitude: 3})
	}
	unary("unicode error with details", echo("err"), &pb.Point{Latitude: -1})
	unary("large", base, &pb.Point{Latitude: bigLatitude, Longitude: 300_000})
	dctx, dcancel := context.WithTimeout(base, 300*time.Millisecond)
	unary("deadline", dctx, &pb.Point{Latitude: slowLatitude})
	dcancel()

	for _, r := range []*pb.Rectangle{
		{Lo: &pb.Point{Latitude: 0}, Hi: &pb.Point{Latitude: 5}},
		{Lo: &pb.Point{Latitude: 10, Longitude: -1}, Hi: &pb.Point{Latitude: 20}}, // fails mid-stream
	} {
		o := outcome{Name: fmt.Sprintf("server stream %v", r.GetLo().GetLongitude())}
		s, err := c.ListFeatures(echo("list"), r)
		for err == nil {
			var f *pb.Feature
			if f, err = s.Recv(); err == nil {
				o.Messages = append(o.Messages, f)
			}
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
		streamEnded(o, s, err)
	}

	{
		o := outcome{Name: "client stream"}
		s, err := c.RecordRoute(echo("route"))
		for i := 0; err == nil && i < 4; i++ {
			err = s.Send(&pb.Point{Latitude: int32(i)})
		}
		var sum *pb.RouteSummary
		if err == nil {
			sum, err = s.CloseAndRecv()
		}
		if sum != nil {
			o.Messages = []proto.Message{sum}
		}
		streamEnded(o, s, err)
	}

	{
		o := outcome{Name: "bidi ping-pong"}
		s, err := c.RouteChat(echo("chat"))
		for _, m := range []string{"a", "b", "c"} {
			if err == nil {
				err = s.Send(&pb.RouteNote{Message: m})
			}
			var n *pb.RouteNote
			if err == nil {
				if n, err = s.Recv(); err == nil {
					o.Messages = append(o.Messages, n)
				}
			}
		}
		if err == nil {
			err = s.CloseSend()
		}
		if err == nil {
			if _, err = s.Recv(); errors.Is(err, io.EOF) {
				err = nil
			}
		}
		streamEnded(o, s, err)
	}

	{
		o := outcome{Name: "bidi cancelled"}
		ctx, ccancel := context.WithCancel(echo("cancel"))
		s, err := c.RouteChat(ctx)
		if err == nil {
			err = s.Send(&pb.RouteNote{Message: "x"})
		}
		if err == nil {
			var n *pb.RouteNote
			if n, err = s.Recv(); err == nil {
				o.Messages = append(o.Messages, n)
			}
		}
		ccancel()
		if err == nil {
			_, err = s.Recv()
		}
		o.finish(err)
		o.settle()
		out = append(out, o)
	}
	return out
}

func TestRecordThenServe(t *testing.T) {
	t.Parallel()
	certs, files := writeCerts(t, t.TempDir())
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "plaintext", true: "tls"}[useTLS], func(t *testing.T) {
			t.Parallel()
			var upstreamTLS, clientTLS *tls.Config
			var recordTLS, serveTLS []string
			if useTLS {
				upstreamTLS, clientTLS = certs.ServerTLS(false), certs.ClientTLS(false)
				recordTLS = []string{"--upstream-ca", files.CA, "--upstream-server-name", certs.ServerName}
				serveTLS = []string{"--tls-cert", files.ServerCert, "--tls-key", files.ServerKey}
			}
			upstream, stopUpstream := startUpstream(t, upstreamTLS)
			file := filepath.Join(t.TempDir(), "routeguide.cassette")

			// The reference: the client against the live server itself.
			want := scenario(t, dial(t, upstream, clientTLS))

			rec := startProc(t, append(append([]string{"record", "--listen", "127.0.0.1:0", "--upstream", upstream, "--cassette", file}, recordTLS...), serveTLS...)...)
			recorded := scenario(t, dial(t, rec.Addr, clientTLS))
			if diff := cmp.Diff(want, recorded, protocmp.Transform(), cmpopts.IgnoreUnexported(outcome{})); diff != "" {
				t.Errorf("through the recording proxy (-live +proxy):\n%s", diff)
			}
			if err := rec.stop(t, syscall.SIGTERM); err != nil {
				t.Fatalf("record exited with %v", err)
			}
			stopUpstream()

			srv := startProc(t, append(append([]string{"serve", "--listen", "127.0.0.1:0", "--cassette", file}, protoArgs...), serveTLS...)...)
			replayed := scenario(t, dial(t, srv.Addr, clientTLS))
			if diff := cmp.Diff(want, replayed, protocmp.Transform(), cmpopts.IgnoreUnexported(outcome{})); diff != "" {
				t.Errorf("replayed from the cassette (-live +replay):\n%s", diff)
			}
		})
	}
}

// TestSIGTERMDuringRecording stops the recorder while a stream is open: the
// stream still finishes, and every finished call is in the cassette.
func TestSIGTERMDuringRecording(t *testing.T) {
	t.Parallel()
	upstream, _ := startUpstream(t, nil)
	file := filepath.Join(t.TempDir(), "sigterm.cassette")
	// Descriptors from the .proto file here, not the upstream's reflection.
	rec := startProc(t, append([]string{"record", "--listen", "127.0.0.1:0", "--upstream", upstream, "--cassette", file}, protoArgs...)...)
	c := pb.NewRouteGuideClient(dial(t, rec.Addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	const unaries = 5
	for i := range unaries {
		if _, err := c.GetFeature(ctx, &pb.Point{Latitude: int32(i)}); err != nil {
			t.Fatal(err)
		}
	}
	chat, err := c.RouteChat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := chat.Send(&pb.RouteNote{Message: "before"}); err != nil {
		t.Fatal(err)
	}
	if _, err := chat.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := rec.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := rec.stderr.waitFor("msg=stopping", 1, exitTimeout); err != nil {
		t.Fatalf("no \"stopping\" log after SIGTERM: %v", err)
	}
	// The open stream keeps working during the graceful stop.
	if err := chat.Send(&pb.RouteNote{Message: "after"}); err != nil {
		t.Fatal(err)
	}
	if n, err := chat.Recv(); err != nil || n.GetMessage() != "AFTER" {
		t.Fatalf("stream during graceful stop: %v, %v", n, err)
	}
	if err := chat.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := chat.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("stream end: %v", err)
	}
	// The last call has ended: the graceful stop completes by itself (a
	// second signal would end the process at once).
	if err := rec.wait(t); err != nil {
		t.Fatalf("record exited with %v", err)
	}
	cas, err := cassette.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(cas.Interactions) != unaries+1 || cas.Torn != nil {
		t.Fatalf("cassette holds %d interactions (torn %v), want %d", len(cas.Interactions), cas.Torn, unaries+1)
	}
	if last := cas.Interactions[unaries]; !strings.HasSuffix(last.Method, "/RouteChat") {
		t.Fatalf("last interaction is %s", last.Method)
	}
}

// TestSecondSignalStopsAtOnce: the first SIGTERM waits for a running call,
// the second ends the process.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	t.Parallel()
	p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", "testdata/standalone/protos", "--stubs", "testdata/standalone/stubs")
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	chat, err := pb.NewRouteGuideClient(dial(t, p.Addr, nil)).RouteChat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := chat.Send(&pb.RouteNote{Message: "hello"}); err != nil {
		t.Fatal(err)
	}
	if _, err := chat.Recv(); err != nil { // the call is running
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.stderr.waitFor("msg=stopping", 1, exitTimeout); err != nil {
		t.Fatalf("no \"stopping\" log after SIGTERM: %v", err)
	}
	err = p.stop(t, syscall.SIGTERM)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != -1 {
		t.Fatalf("after a second SIGTERM: %v, want death by the signal", err)
	}
}
