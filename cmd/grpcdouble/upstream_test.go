package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// The real routeguide server the tests record, reflect and measure against.
// Its answers depend on the request so one client run exercises every case:
//
//   - GetFeature: latitude < 0 fails InvalidArgument with a Unicode message
//     and details; latitude == slowLatitude waits for the client's deadline;
//     latitude == bigLatitude answers with a photo of longitude bytes;
//     otherwise a feature named after the point.
//   - ListFeatures: hi.latitude-lo.latitude features; lo.longitude < 0
//     fails after two of them.
//   - RecordRoute: counts the points.
//   - RouteChat: answers each note at once with its message upper-cased.
//
// Every method echoes "x-echo" request metadata as a response header
// "x-echo-header" and trailer "x-echo-trailer".
type routeGuide struct {
	pb.UnimplementedRouteGuideServer
}

const (
	slowLatitude = 1000
	bigLatitude  = 2000
	unicodeMsg   = "ungültiger Breitengrad ✗ 緯度が不正です 🚫"
)

func echo(ctx context.Context) (header, trailer metadata.MD) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("x-echo")
	header, trailer = metadata.MD{}, metadata.MD{}
	if len(vals) > 0 {
		header.Set("x-echo-header", vals...)
		trailer.Set("x-echo-trailer", vals...)
	}
	trailer.Set("x-served-by", "real")
	return header, trailer
}

func (routeGuide) GetFeature(ctx context.Context, p *pb.Point) (*pb.Feature, error) {
	h, tr := echo(ctx)
	_ = grpc.SetHeader(ctx, h)
	_ = grpc.SetTrailer(ctx, tr)
	switch {
	case p.GetLatitude() < 0:
		st, _ := status.New(codes.InvalidArgument, unicodeMsg).WithDetails(&errdetails.BadRequest{
			FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "latitude", Description: "must be ≥ 0"}},
		})
		return nil, st.Err()
	case p.GetLatitude() == slowLatitude:
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	case p.GetLatitude() == bigLatitude:
		data := make([]byte, p.GetLongitude())
		for i := range data {
			data[i] = byte(i * 7)
		}
		return &pb.Feature{Name: "big", Location: p, Detail: &pb.Feature_Photo_{Photo: &pb.Feature_Photo{Data: data, MimeType: "image/x-test"}}}, nil
	}
	return &pb.Feature{
		Name:       fmt.Sprintf("feature at %d,%d", p.GetLatitude(), p.GetLongitude()),
		Location:   p,
		Terrain:    pb.Terrain_TERRAIN_FOREST,
		Tags:       []string{"a", "b"},
		Attributes: map[string]string{"k": "v"},
	}, nil
}

func (routeGuide) ListFeatures(r *pb.Rectangle, stream grpc.ServerStreamingServer[pb.Feature]) error {
	h, tr := echo(stream.Context())
	_ = stream.SetHeader(h)
	stream.SetTrailer(tr)
	n := int(r.GetHi().GetLatitude() - r.GetLo().GetLatitude())
	for i := range min(n, 1000) {
		if r.GetLo().GetLongitude() < 0 && i == 2 {
			return status.Error(codes.ResourceExhausted, "zu viele Features — 多すぎる")
		}
		if err := stream.Send(&pb.Feature{Name: fmt.Sprintf("f%d", i), Location: &pb.Point{Latitude: r.GetLo().GetLatitude() + int32(i)}}); err != nil {
			return err
		}
	}
	return nil
}

func (routeGuide) RecordRoute(stream grpc.ClientStreamingServer[pb.Point, pb.RouteSummary]) error {
	h, tr := echo(stream.Context())
	_ = stream.SetHeader(h)
	stream.SetTrailer(tr)
	var n int32
	for {
		_, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(&pb.RouteSummary{PointCount: n, Distance: n * 10})
		}
		if err != nil {
			return err
		}
		n++
	}
}

func (routeGuide) RouteChat(stream grpc.BidiStreamingServer[pb.RouteNote, pb.RouteNote]) error {
	h, tr := echo(stream.Context())
	_ = stream.SetHeader(h)
	stream.SetTrailer(tr)
	for {
		note, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&pb.RouteNote{Location: note.GetLocation(), Message: strings.ToUpper(note.GetMessage())}); err != nil {
			return err
		}
	}
}

// startUpstream serves the real routeguide server, with reflection, on a
// loopback port; tlsCfg may be nil. stop is idempotent and also runs at
// cleanup.
func startUpstream(t testing.TB, tlsCfg *tls.Config) (addr string, stop func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if tlsCfg != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsCfg)))
	}
	s := grpc.NewServer(opts...)
	pb.RegisterRouteGuideServer(s, routeGuide{})
	reflection.Register(s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(lis)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		s.Stop()
		<-done
	}
	t.Cleanup(stop)
	return lis.Addr().String(), stop
}

// dial makes a client connection to addr; tlsCfg may be nil.
func dial(t testing.TB, addr string, tlsCfg *tls.Config) *grpc.ClientConn {
	t.Helper()
	creds := credentials.TransportCredentials(nil)
	if tlsCfg != nil {
		creds = credentials.NewTLS(tlsCfg)
	} else {
		creds = insecureCreds()
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// callTimeout bounds every call a test makes.
const callTimeout = 20 * time.Second
