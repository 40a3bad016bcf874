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
	assert.Contains(t, err.Error(), "bad.yaml:2: requests: give one of equal, partial, count, fields, each, some or latest")
}

// Of two expectations that each look for one message, the one whose message
// came later answers; Some keeps declared order.
func TestLatest(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	first := expect.Latest(expect.Partial(&pb.Point{Latitude: 1}))
	second := expect.Latest(expect.Partial(&pb.Point{Latitude: 2}))
	m.ClientStream(recordRoute).WithRequestsMatching(first).Return(&pb.RouteSummary{PointCount: 1}).AnyTimes()
	m.ClientStream(recordRoute).WithRequestsMatching(second).Return(&pb.RouteSummary{PointCount: 2}).AnyTimes()
	m.ClientStream(recordRoute).WithRequestsMatching(expect.Some(expect.Partial(&pb.Point{Latitude: 3}))).
		Return(&pb.RouteSummary{PointCount: 3}).AnyTimes()
	m.ClientStream(recordRoute).WithRequestsMatching(expect.Latest(expect.Partial(&pb.Point{Latitude: 4}))).
		Return(&pb.RouteSummary{PointCount: 4}).Priority(-1).AnyTimes()
	client, finish := serve(t, m, ft)
	for _, tc := range []struct {
		lats []int32
		want int32
	}{
		{[]int32{1}, 1}, {[]int32{2}, 2},
		{[]int32{1, 2}, 2}, {[]int32{2, 1}, 1}, {[]int32{1, 2, 9}, 2}, {[]int32{2, 1, 2, 9}, 2},
		// Some's match ends at the last message: it outranks an earlier
		// Latest match, and ties with one of the last message, which keeps
		// declared order.
		{[]int32{1, 3}, 3}, {[]int32{3, 1}, 1},
		// A lower priority is tried only when nothing of a higher one matches.
		{[]int32{1, 4}, 1}, {[]int32{9, 4}, 4},
	} {
		got, err := record(t, client, tc.lats...)
		require.NoError(t, err, "%v", tc.lats)
		assert.Equal(t, tc.want, got.GetPointCount(), "%v", tc.lats)
	}
	_, err := record(t, client, 9)
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	assert.Contains(t, finish(), "the latest such wins")
}

func TestLatestInAStubFile(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	stubs, err := expect.ParseStubs("route.yaml", []byte(`
- method: routeguide.RouteGuide/RecordRoute
  requests: {latest: {partial: {latitude: 1}}}
  response: {pointCount: 1}
- method: routeguide.RouteGuide/RecordRoute
  requests: {latest: {fields: {latitude: 2}}}
  response: {pointCount: 2}
`), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
	client, finish := serve(t, m, ft)
	for _, tc := range []struct {
		lats []int32
		want int32
	}{{[]int32{1, 2}, 2}, {[]int32{2, 1}, 1}, {[]int32{1, 1}, 1}} {
		got, err := record(t, client, tc.lats...)
		require.NoError(t, err, "%v", tc.lats)
		assert.Equal(t, tc.want, got.GetPointCount(), "%v", tc.lats)
	}
	assert.Empty(t, finish())

	_, err = expect.ParseStubs("bad.yaml", []byte("- method: routeguide.RouteGuide/RecordRoute\n  requests: {latest: {any: true}, some: {any: true}}\n  response: {}\n"), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.yaml:2: requests: give one of equal, partial, count, fields, each, some or latest")
}
