package mockserver_test

import (
	"context"
	"fmt"
	"log"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Start is what a test calls: the server is closed at the test's cleanup and
// a setup error fails the test. (This example is compiled, not run: it needs
// a test's t.)
func ExampleStart() {
	var t *testing.T // your test's t

	srv := mockserver.Start(t, mockserver.HandlerFunc(func(c *mockserver.Call) error {
		req, err := c.Recv()
		if err != nil {
			return err
		}
		return c.Send(&pb.Feature{Name: "Vale", Location: req.(*pb.Point)})
	}), mockserver.WithServices("routeguide.RouteGuide"))

	client := pb.NewRouteGuideClient(srv.ClientConn())
	f, err := client.GetFeature(context.Background(), &pb.Point{Latitude: 1})
	if err != nil {
		t.Fatal(err)
	}
	_ = f
}

// New starts a server outside a test; Close stops it. The handler answers
// every method of the services served, so it switches on what it receives.
func ExampleNew() {
	srv, err := mockserver.New(mockserver.HandlerFunc(func(c *mockserver.Call) error {
		req, err := c.Recv()
		if err != nil {
			return err
		}
		p := req.(*pb.Point) // generated types are linked in, so handlers get them
		if p.GetLatitude() < 0 {
			return status.Error(codes.InvalidArgument, "latitude below the equator")
		}
		return c.Send(&pb.Feature{Name: "Vale", Location: p})
	}), mockserver.WithServices("routeguide.RouteGuide"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	client := pb.NewRouteGuideClient(srv.ClientConn())
	f, err := client.GetFeature(context.Background(), &pb.Point{Latitude: 1, Longitude: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.GetName(), f.GetLocation().GetLongitude())

	_, err = client.GetFeature(context.Background(), &pb.Point{Latitude: -1})
	fmt.Println(status.Code(err), status.Convert(err).Message())
	// Output:
	// Vale 2
	// InvalidArgument latitude below the equator
}

// GoTypes serves services compiled into the binary, by full name.
// (WithServices does the same and also works with other sources.)
func ExampleGoTypes() {
	srv, err := mockserver.New(kindHandler, mockserver.WithSource(mockserver.GoTypes("routeguide.RouteGuide")))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	for _, sd := range srv.Services() {
		for i := 0; i < sd.Methods().Len(); i++ {
			md := sd.Methods().Get(i)
			fmt.Printf("%s/%s: %s\n", sd.FullName(), md.Name(), mockserver.KindOf(md))
		}
	}
	// Output:
	// routeguide.RouteGuide/GetFeature: unary
	// routeguide.RouteGuide/ListFeatures: server-stream
	// routeguide.RouteGuide/RecordRoute: client-stream
	// routeguide.RouteGuide/RouteChat: bidi-stream
}

// ProtoFiles parses .proto files at run time. With no generated code for
// them, messages are dynamicpb messages on both sides.
func ExampleProtoFiles() {
	echo := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		req, err := c.Recv()
		if err != nil {
			return err
		}
		in := req.ProtoReflect()
		fmt.Printf("handler got a %T\n", req)
		resp := c.NewResponse().ProtoReflect()
		text := in.Get(in.Descriptor().Fields().ByName("message")).String()
		resp.Set(resp.Descriptor().Fields().ByName("message"), protoreflect.ValueOfString("echo: "+text))
		return c.Send(resp.Interface())
	})
	srv, err := mockserver.New(echo,
		mockserver.WithSource(mockserver.ProtoFiles([]string{"../testdata/protos"}, "echo/v1/echo.proto")))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// A client without generated code: dynamic messages from the descriptors.
	md, err := srv.Method("/echo.v1.EchoService/Echo")
	if err != nil {
		log.Fatal(err)
	}
	req := dynamicpb.NewMessage(md.Input())
	if err := protojson.Unmarshal([]byte(`{"message": "hello", "mood": "MOOD_HAPPY"}`), req); err != nil {
		log.Fatal(err)
	}
	resp := dynamicpb.NewMessage(md.Output())
	if err := srv.ClientConn().Invoke(context.Background(), "/echo.v1.EchoService/Echo", req, resp); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Get(md.Output().Fields().ByName("message")).String())
	// Output:
	// handler got a *dynamicpb.Message
	// echo: hello
}

// Calls is the journal: every call received, with its metadata, messages in
// order, headers, trailers and status.
func ExampleServer_Calls() {
	srv, err := mockserver.New(mockserver.HandlerFunc(func(c *mockserver.Call) error {
		if _, err := c.Recv(); err != nil {
			return err
		}
		c.SetTrailer(metadata.Pairs("x-served-by", "mockserver"))
		return c.Send(&pb.Feature{Name: "Vale"})
	}), mockserver.WithServices("routeguide.RouteGuide"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer t0k3n")
	if _, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{Latitude: 7}); err != nil {
		log.Fatal(err)
	}

	for _, call := range srv.Calls() {
		fmt.Println(call.Method, call.Kind, call.Code())
		fmt.Println("authorization:", call.Metadata.Get("authorization"))
		fmt.Println("received point:", proto.Equal(call.Received()[0], &pb.Point{Latitude: 7}))
		fmt.Println("sent:", call.Sent()[0].(*pb.Feature).GetName())
		fmt.Println("trailer:", call.Trailer.Get("x-served-by"))
	}
	// Output:
	// /routeguide.RouteGuide/GetFeature unary OK
	// authorization: [Bearer t0k3n]
	// received point: true
	// sent: Vale
	// trailer: [mockserver]
}
