package record_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// Coordinates that make the real server misbehave on purpose.
const (
	latError = -1  // GetFeature: NotFound with a Unicode message and details
	latLarge = 777 // GetFeature: a feature with a 300 KB photo
	latHang  = 999 // GetFeature: answer only when the context ends
)

const unicodeMessage = "точка не найдена ✗ 地点 🚫"

// routeGuide is a real implementation of the example service: it echoes
// request metadata into headers and trailers, fails with Unicode messages
// and details, and sends large messages.
type routeGuide struct {
	pb.UnimplementedRouteGuideServer
}

func echo(ctx context.Context) (header, trailer metadata.MD) {
	md, _ := metadata.FromIncomingContext(ctx)
	header = metadata.Pairs("x-served-by", "real", "set-cookie", "session=s3cr3t-cookie")
	for _, v := range md.Get("x-user") {
		header.Append("x-echo-user", v)
	}
	trailer = metadata.Pairs("x-trailer", "t1")
	trailer.Append("x-cost-bin", string([]byte{0, 1, 2, 255}))
	return header, trailer
}

func detailed(c codes.Code, msg string) error {
	st, err := status.New(c, msg).WithDetails(
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "latitude", Description: "вне диапазона"}}},
		&errdetails.RetryInfo{},
	)
	if err != nil {
		panic(err)
	}
	return st.Err()
}

func (routeGuide) GetFeature(ctx context.Context, p *pb.Point) (*pb.Feature, error) {
	h, tr := echo(ctx)
	if err := grpc.SetHeader(ctx, h); err != nil {
		return nil, err
	}
	if err := grpc.SetTrailer(ctx, tr); err != nil {
		return nil, err
	}
	switch p.Latitude {
	case latError:
		return nil, detailed(codes.NotFound, unicodeMessage)
	case latHang:
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	case latLarge:
		data := []byte(strings.Repeat("0123456789abcdef", 300<<10/16))
		return &pb.Feature{Name: "large", Location: p, Detail: &pb.Feature_Photo_{Photo: &pb.Feature_Photo{Data: data, MimeType: "image/png"}}}, nil
	}
	return &pb.Feature{Name: fmt.Sprintf("feature %d,%d", p.Latitude, p.Longitude), Location: p, Tags: []string{"a", "b"}}, nil
}

// ListFeatures sends hi.latitude-lo.latitude features. A negative
// hi.longitude ends with an error; lo.longitude -1 waits for the client to
// cancel after the features.
func (routeGuide) ListFeatures(r *pb.Rectangle, stream pb.RouteGuide_ListFeaturesServer) error {
	h, tr := echo(stream.Context())
	if err := stream.SendHeader(h); err != nil {
		return err
	}
	stream.SetTrailer(tr)
	for i := r.GetLo().GetLatitude(); i < r.GetHi().GetLatitude(); i++ {
		if err := stream.Send(&pb.Feature{Name: fmt.Sprintf("f%d", i), Location: &pb.Point{Latitude: i}}); err != nil {
			return err
		}
	}
	if r.GetLo().GetLongitude() == -1 {
		<-stream.Context().Done()
		return stream.Context().Err()
	}
	if r.GetHi().GetLongitude() < 0 {
		return detailed(codes.ResourceExhausted, "trop de points ⚠")
	}
	return nil
}

func (routeGuide) RecordRoute(stream pb.RouteGuide_RecordRouteServer) error {
	_, tr := echo(stream.Context())
	stream.SetTrailer(tr)
	var n, dist int32
	for {
		p, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&pb.RouteSummary{PointCount: n, Distance: dist})
		}
		if err != nil {
			return err
		}
		n++
		dist += p.Latitude
	}
}

// RouteChat greets first, answers each note, and fails on "bye".
func (routeGuide) RouteChat(stream pb.RouteGuide_RouteChatServer) error {
	h, tr := echo(stream.Context())
	if err := stream.SendHeader(h); err != nil {
		return err
	}
	stream.SetTrailer(tr)
	if err := stream.Send(&pb.RouteNote{Message: "hello"}); err != nil {
		return err
	}
	for {
		n, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n.Message == "bye" {
			return detailed(codes.Aborted, "au revoir — さようなら")
		}
		if err := stream.Send(&pb.RouteNote{Location: n.Location, Message: "re:" + n.Message}); err != nil {
			return err
		}
	}
}

// startReal serves the real implementation on loopback TCP and returns a
// connection to it and a func that stops it (also run at cleanup).
func startReal(t testing.TB) (*grpc.ClientConn, func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	pb.RegisterRouteGuideServer(s, routeGuide{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(lis)
	}()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cc.Close()
		s.Stop()
		<-done
	}
	t.Cleanup(stop)
	return cc, stop
}
