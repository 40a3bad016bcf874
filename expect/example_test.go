package expect_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// A Mock without a test, as a standalone server uses one; in a test, use
// expect.New(t) and mockserver.Start(t, m).
func ExampleNewMock() {
	m := expect.NewMock()
	m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequest(&pb.Point{Latitude: 1}).
		Return(&pb.Feature{Name: "x"})
	srv, err := mockserver.New(m)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	client := pb.NewRouteGuideClient(srv.ClientConn())
	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1})
	fmt.Println(f.GetName(), err)
	_, err = client.GetFeature(ctx, &pb.Point{Latitude: 2})
	fmt.Println(status.Code(err))
	fmt.Println(m.Verify() != nil)
	// Output:
	// x <nil>
	// FailedPrecondition
	// true
}

// A double that answers misses NotFound, as gripmock does, for clients
// whose tests check that code; a stub's own NotFound is its answer.
func ExampleWithMissCode() {
	m := expect.NewMock(expect.WithMissCode(codes.NotFound))
	m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequest(&pb.Point{Latitude: 1}).
		ReturnError(codes.NotFound, "no feature there")
	srv, err := mockserver.New(m)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err = client.GetFeature(ctx, &pb.Point{Latitude: 1})
	fmt.Println(status.Convert(err).Message())
	_, err = client.GetFeature(ctx, &pb.Point{Latitude: 2})
	fmt.Println(status.Code(err), strings.HasPrefix(status.Convert(err).Message(), "grpcdouble: no expectation matches"))
	// Output:
	// no feature there
	// NotFound true
}

func ExampleParseStubs() {
	stubs, err := expect.ParseStubs("inline.yaml", []byte(`
- id: missing
  method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 404}}
  status: {code: NOT_FOUND, message: nothing here}
`), nil)
	if err != nil {
		panic(err)
	}
	m := expect.NewMock()
	ids, err := m.AddStubs(stubs...)
	fmt.Println(ids, err)

	x, err := m.Explain("routeguide.RouteGuide/GetFeature", []byte(`{"latitude": 404}`), metadata.MD{})
	fmt.Println(x, err)
	// Output:
	// [missing] <nil>
	// /routeguide.RouteGuide/GetFeature: matches expectation missing <nil>
}

func ExampleParseStubs_error() {
	_, err := expect.ParseStubs("bad.yaml", []byte(`
- method: routeguide.RouteGuide/GetFeature
  response:
    name: x
    nmae: y
`), nil)
	fmt.Println(err)
	// Output:
	// bad stub file: bad.yaml:5: response: not a routeguide.Feature: unknown field "nmae"
}

// A stub that, once called, puts another stub and deletes itself.
func ExampleUnaryExpectation_Then() {
	login, err := expect.ParseStubs("login.yaml", []byte(`
{id: login, method: routeguide.RouteGuide/GetFeature, request: {partial: {latitude: 2}}, response: {name: welcome}}`), nil)
	if err != nil {
		panic(err)
	}
	m := expect.NewMock()
	register := m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequest(&pb.Point{Latitude: 1}).
		Return(&pb.Feature{Name: "registered"})
	register.Then(expect.PutStubs(login...), expect.DeleteStubs(register.ID()))
	srv, err := mockserver.New(m)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	client := pb.NewRouteGuideClient(srv.ClientConn())
	for _, lat := range []int32{2, 1, 1, 2} {
		f, err := client.GetFeature(ctx, &pb.Point{Latitude: lat})
		fmt.Println(lat, f.GetName(), status.Code(err))
	}
	// Output:
	// 2  FailedPrecondition
	// 1 registered OK
	// 1  FailedPrecondition
	// 2 welcome OK
}

// RenderTemplate renders a template that reads no call, as a reader of
// gripmock's YAML files does at load.
func ExampleRenderTemplate() {
	out, err := expect.RenderTemplate(`{{ uuid2int64 "0b6666ba-cfdf-41c0-89a8-42474787feec" }}`)
	fmt.Println(out, err)
	_, err = expect.RenderTemplate(`{{ uuid2int64 "not-a-uuid" }}`)
	fmt.Println(err)
	// Output:
	// {"high":-4593144061662697973,"low":-1369508496466073463} <nil>
	// at <uuid2int64 "not-a-uuid">: error calling uuid2int64: not a UUID "not-a-uuid": invalid UUID length: 10
}

// Two client-stream expectations each look for one message; the one whose
// message came later in the stream answers.
func ExampleLatest() {
	m := expect.NewMock()
	for _, lat := range []int32{1, 2} {
		m.ClientStream("/routeguide.RouteGuide/RecordRoute").
			WithRequestsMatching(expect.Latest(expect.Partial(&pb.Point{Latitude: lat}))).
			Return(&pb.RouteSummary{PointCount: lat}).AnyTimes()
	}
	srv, err := mockserver.New(m)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	client := pb.NewRouteGuideClient(srv.ClientConn())
	for _, lats := range [][]int32{{1, 2}, {2, 1, 7}} {
		stream, err := client.RecordRoute(ctx)
		if err != nil {
			panic(err)
		}
		for _, l := range lats {
			_ = stream.Send(&pb.Point{Latitude: l})
		}
		sum, err := stream.CloseAndRecv()
		fmt.Println(lats, sum.GetPointCount(), err)
	}
	// Output:
	// [1 2] 2 <nil>
	// [2 1 7] 1 <nil>
}

// A stub made for the caller: registering at longitude n puts a login
// stub for n alone.
func ExamplePutStubsFunc() {
	m := expect.NewMock()
	m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequestPartial(&pb.Point{Latitude: 1}).
		Return(&pb.Feature{Name: "registered"}).
		Then(expect.PutStubsFunc(func(_ context.Context, call expect.Received) ([]expect.Stub, error) {
			n := call.Message().(*pb.Point).GetLongitude()
			return expect.ParseStubs("login.yaml", fmt.Appendf(nil,
				"{id: login-%d, method: routeguide.RouteGuide/GetFeature, request: {partial: {latitude: 2, longitude: %d}}, response: {name: welcome %d}}", n, n, n), nil)
		})).
		AnyTimes()
	srv, err := mockserver.New(m)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	client := pb.NewRouteGuideClient(srv.ClientConn())
	for _, p := range []*pb.Point{{Latitude: 1, Longitude: 7}, {Latitude: 2, Longitude: 7}, {Latitude: 2, Longitude: 8}} {
		f, err := client.GetFeature(ctx, p)
		fmt.Println(p.GetLatitude(), p.GetLongitude(), f.GetName(), status.Code(err))
	}
	// Output:
	// 1 7 registered OK
	// 2 7 welcome 7 OK
	// 2 8  FailedPrecondition
}

// Unordered compares a list in any order, one value or operator per
// element; duplicates count.
func ExampleUnordered() {
	tags := expect.Field("tags", expect.Unordered("old", expect.Prefix("ta")))
	fmt.Println(tags.Match(&pb.Feature{Tags: []string{"tall", "old"}}))
	fmt.Println(tags.Match(&pb.Feature{Tags: []string{"old", "old"}}))
	fmt.Println(tags)
	// Output:
	// true
	// false
	// with tags unordered(equal "old", prefix "ta")
}

// SomeElement tests the elements of a list one by one: it holds when one
// passes. A path's [i] picks one element, [key] one value of a map.
func ExampleSomeElement() {
	sale := expect.Field("tags", expect.SomeElement(expect.Prefix("sale-")))
	fmt.Println(sale.Match(&pb.Feature{Tags: []string{"new", "sale-20"}}))
	fmt.Println(sale.Match(&pb.Feature{Tags: []string{"new"}}))
	last := expect.Field("tags[-1]", expect.Eq("new"))
	fmt.Println(last.Match(&pb.Feature{Tags: []string{"sale-20", "new"}}))
	height := expect.Field("attributes[height]", expect.Regex("m$"))
	fmt.Println(height.Match(&pb.Feature{Attributes: map[string]string{"height": "80m"}}))
	fmt.Println(sale)
	// Output:
	// true
	// false
	// true
	// true
	// with tags someElement(prefix "sale-")
}

// Fields tests a message value by fields inside it: here each element of
// a list of messages in Unordered; Entries tests a map's values by key.
func ExampleFields() {
	near := expect.Field("location", expect.Fields(expect.Field("latitude", expect.Gt(0)), expect.Field("longitude", expect.Lt(0))))
	fmt.Println(near.Match(&pb.Feature{Location: &pb.Point{Latitude: 5, Longitude: -2}}))
	fmt.Println(near)
	height := expect.Field("attributes", expect.Entries(map[string]any{"height": expect.Regex("m$")}))
	fmt.Println(height.Match(&pb.Feature{Attributes: map[string]string{"height": "80m", "age": "300y"}}))
	fmt.Println(height)
	// Output:
	// true
	// with location fields(latitude gt 0, longitude lt 0)
	// true
	// with attributes entries("height": regex "m$")
}
