package expect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
)

func record(t *testing.T, client pb.RouteGuideClient, lats ...int32) (*pb.RouteSummary, error) {
	t.Helper()
	stream, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	for _, l := range lats {
		require.NoError(t, stream.Send(&pb.Point{Latitude: l}))
	}
	return stream.CloseAndRecv()
}

func TestEachAndSome(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.ClientStream(recordRoute).WithRequestsMatching(expect.Each(expect.Field("latitude", expect.Gt(0)))).
		Return(&pb.RouteSummary{PointCount: 1}).AnyTimes()
	m.ClientStream(recordRoute).WithRequestsMatching(expect.Some(expect.Partial(&pb.Point{Latitude: -5}))).
		Return(&pb.RouteSummary{PointCount: 2}).AnyTimes()
	client, finish := serve(t, m, ft)

	for _, tc := range []struct {
		lats []int32
		want int32
	}{
		{[]int32{1}, 1}, {[]int32{1, 2, 3, 4}, 1}, {[]int32{1, -5, 3}, 2}, {[]int32{-5}, 2},
	} {
		got, err := record(t, client, tc.lats...)
		require.NoError(t, err, "%v", tc.lats)
		assert.Equal(t, tc.want, got.GetPointCount(), "%v", tc.lats)
	}
	for _, lats := range [][]int32{nil, {1, -1}} {
		_, err := record(t, client, lats...)
		assert.Equal(t, expect.NoMatchCode, status.Code(err), "%v", lats)
	}
	assert.Contains(t, finish(), "one or more messages, each")
}

func TestEachAndSomeInAStubFile(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	stubs, err := expect.ParseStubs("route.yaml", []byte(`
- method: routeguide.RouteGuide/RecordRoute
  requests: {each: {fields: {latitude: {gt: 0}}}}
  response: {pointCount: 1}
- method: routeguide.RouteGuide/RecordRoute
  requests: {some: {partial: {latitude: -5}}}
  status: {code: OUT_OF_RANGE}
`), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
	client, finish := serve(t, m, ft)
	got, err := record(t, client, 1, 2)
	require.NoError(t, err)
	assert.Equal(t, int32(1), got.GetPointCount())
	_, err = record(t, client, 3, -5)
	assert.Equal(t, codes.OutOfRange, status.Code(err))
	assert.Empty(t, finish())

	_, err = expect.ParseStubs("bad.yaml", []byte("- method: routeguide.RouteGuide/RecordRoute\n  requests: {each: {any: true}, count: 2}\n  response: {}\n"), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.yaml:2: requests: give one of equal, partial, count, fields, each or some")
}
