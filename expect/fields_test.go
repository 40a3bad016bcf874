package expect_test

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Every operator, on every kind of field it accepts, both ways.
func TestFieldOperators(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	f := &pb.Feature{
		Name: "alder", Location: &pb.Point{Latitude: 7, Longitude: -3}, Terrain: pb.Terrain_TERRAIN_FOREST,
		Tags: []string{"old", "tall"}, Attributes: map[string]string{"height": "80m"},
		Detail: &pb.Feature_Description{Description: ""}, ObservedAt: timestamppb.New(at),
	}
	for _, tc := range []struct {
		path string
		op   expect.Op
		want bool
	}{
		{"name", expect.Eq("alder"), true},
		{"name", expect.Eq("birch"), false},
		{"location.latitude", expect.Eq(7), true},
		{"location", expect.Eq(&pb.Point{Latitude: 7, Longitude: -3}), true},
		{"terrain", expect.Eq(pb.Terrain_TERRAIN_FOREST), true},
		{"terrain", expect.Eq("TERRAIN_FOREST"), true},
		{"terrain", expect.Eq("TERRAIN_ROAD"), false},
		{"tags", expect.Eq([]string{"old", "tall"}), true},
		{"tags", expect.Eq([]string{"old"}), false},
		{"name", expect.Regex("^al"), true},
		{"name", expect.Regex("^b"), false},
		{"name", expect.Contains("lde"), true},
		{"tags", expect.Contains("tall"), true},
		{"tags", expect.Contains("tal"), false},
		{"attributes", expect.Contains("height"), true},
		{"attributes", expect.Contains("width"), false},
		{"name", expect.Prefix("al"), true},
		{"name", expect.Suffix("er"), true},
		{"name", expect.Suffix("al"), false},
		{"location.latitude", expect.Gt(0), true},
		{"location.latitude", expect.Gt(7), false},
		{"location.latitude", expect.Gte(7), true},
		{"location.longitude", expect.Lt(0), true},
		{"location.longitude", expect.Lte(-4), false},
		{"observed_at", expect.Gt(at.Add(-time.Second)), true},
		{"observedAt", expect.Lt(at), false},
		{"observedAt", expect.Gte("2024-05-01T12:00:00Z"), true},
		{"tags", expect.Len(2), true},
		{"attributes", expect.Len(1), true},
		{"name", expect.Len(5), true},
		{"name", expect.Len(4), false},
		{"description", expect.Present(), true}, // a oneof member set to ""
		{"photo", expect.Absent(), true},
		{"photo", expect.Present(), false},
		{"name", expect.AnyOf(expect.Eq("x"), expect.Prefix("a")), true},
		{"name", expect.AnyOf(expect.Eq("x"), expect.Eq("y")), false},
	} {
		m := expect.Field(tc.path, tc.op)
		assert.Equal(t, tc.want, m.Match(f), "%s %s", tc.path, m)
	}
	// Below an unset message every field is unset and zero.
	empty := &pb.Feature{}
	assert.True(t, expect.Field("location.latitude", expect.Eq(0)).Match(empty))
	assert.True(t, expect.Field("location.latitude", expect.Absent()).Match(empty))
	assert.False(t, expect.Field("location.latitude", expect.Gt(0)).Match(empty))

	// Optional (explicit presence) fields: set to zero is present.
	fdp := &descriptorpb.FieldDescriptorProto{Number: proto.Int32(0)}
	assert.True(t, expect.Field("number", expect.Present()).Match(fdp))
	assert.True(t, expect.Field("name", expect.Absent()).Match(fdp))
}

// A partial matcher that sets a oneof member or an optional field to its
// zero value wants that field set: an unset one used to match because Get
// reads it as zero.
func TestPartialMeansSet(t *testing.T) {
	oneofZero := expect.Partial(&pb.Feature{Detail: &pb.Feature_Description{Description: ""}})
	assert.False(t, oneofZero.Match(&pb.Feature{}))
	assert.False(t, oneofZero.Match(&pb.Feature{Detail: &pb.Feature_Photo_{Photo: &pb.Feature_Photo{}}}))
	assert.True(t, oneofZero.Match(&pb.Feature{Name: "n", Detail: &pb.Feature_Description{Description: ""}}))

	optionalZero := expect.Partial(&descriptorpb.FieldDescriptorProto{Number: proto.Int32(0)})
	assert.False(t, optionalZero.Match(&descriptorpb.FieldDescriptorProto{}))
	assert.True(t, optionalZero.Match(&descriptorpb.FieldDescriptorProto{Number: proto.Int32(0), Name: proto.String("x")}))
	assert.False(t, optionalZero.Match(&descriptorpb.FieldDescriptorProto{Number: proto.Int32(1)}))

	// The same through a stub on a method parsed at run time: echo.v1's
	// EchoRequest has a oneof {payload, note}.
	res, err := echoMethodsT(t)
	require.NoError(t, err)
	stubs, err := expect.ParseStubs("p.yaml", []byte(`
- method: echo.v1.EchoService/Echo
  request: {partial: {note: ""}}
  response: {message: "note set"}
- method: echo.v1.EchoService/Echo
  response: {message: "other"}
`), res)
	require.NoError(t, err)
	m := expect.NewMock(expect.WithResolver(res))
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
	for _, tc := range []struct {
		req  string
		want string
	}{{`{"message": "hi"}`, "2"}, {`{"note": ""}`, "1"}, {`{"payload": ""}`, "2"}} {
		x, err := m.Explain("/echo.v1.EchoService/Echo", []byte(tc.req), nil)
		require.NoError(t, err)
		assert.Equal(t, tc.want, x.Match, "%s", tc.req)
	}
}

func echoMethodsT(t *testing.T) (methodMap, error) {
	t.Helper()
	return echoMethods()
}

// WithRequestField on real calls, combined with WithRequestPartial; the
// same operators on client-stream messages and bidi recv steps.
func TestWithRequestField(t *testing.T) {
	m := expect.New(t)
	north := m.Unary(getFeature).
		WithRequestField("latitude", expect.Gt(0)).
		WithRequestField("longitude", expect.AnyOf(expect.Eq(1), expect.Eq(2))).
		AnyTimes().Return(&pb.Feature{Name: "north"})
	m.Unary(getFeature).WithRequestPartial(&pb.Point{Longitude: 9}).
		WithRequestField("latitude", expect.Lte(-10)).Return(&pb.Feature{Name: "far south"})
	m.ServerStream(listFeatures).WithRequestField("lo.latitude", expect.Gte(5)).Send(&pb.Feature{Name: "a"})
	m.ClientStream(recordRoute).
		WithRequestsMatching(expect.Messages(expect.Field("latitude", expect.Eq(1)), expect.Field("longitude", expect.Lt(0)))).
		Return(&pb.RouteSummary{PointCount: 2})
	m.Bidi(routeChat).RecvMatching(expect.Field("message", expect.Prefix("ping"))).Send(note("pong"))
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 3, Longitude: 2})
	require.NoError(t, err)
	assert.Equal(t, "north", f.Name)
	f, err = client.GetFeature(ctx(t), &pb.Point{Latitude: -11, Longitude: 9})
	require.NoError(t, err)
	assert.Equal(t, "far south", f.Name)
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 3, Longitude: 5})
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "field longitude: want anyOf(equal 1, equal 2), got 5")
	assert.Len(t, north.Calls(), 1)

	ls, err := client.ListFeatures(ctx(t), &pb.Rectangle{Lo: &pb.Point{Latitude: 5}})
	require.NoError(t, err)
	feats, err := recvAll[*pb.Feature](ls)
	require.NoError(t, err)
	assert.Len(t, feats, 1)

	rs, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	require.NoError(t, rs.Send(&pb.Point{Latitude: 1}))
	require.NoError(t, rs.Send(&pb.Point{Longitude: -1}))
	sum, err := rs.CloseAndRecv()
	require.NoError(t, err)
	assert.Equal(t, int32(2), sum.PointCount)

	bs, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, bs.Send(note("ping 1")))
	got, err := bs.Recv()
	require.NoError(t, err)
	assert.Equal(t, "pong", got.Message)
	require.NoError(t, bs.CloseSend())
	_, err = bs.Recv()
	assert.Equal(t, io.EOF, err)

	// The unexpected call above is reported at cleanup; say it was wanted.
	for _, ms := range m.Unexpected() {
		assert.Equal(t, getFeature, ms.Method)
	}
	m.Reset()
}

// A bad path or operand in the Go DSL is a setup error naming the field.
func TestWithRequestFieldSetupErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		decl func(m *expect.Mock)
		want string
	}{
		{"unknown field", func(m *expect.Mock) {
			m.Unary(getFeature).WithRequestField("lattitude", expect.Gt(0)).Return(&pb.Feature{})
		}, `WithRequestField: field lattitude: routeguide.Point has no field "lattitude" (did you mean latitude?)`},
		{"through a scalar", func(m *expect.Mock) {
			m.Unary(getFeature).WithRequestField("latitude.x", expect.Gt(0)).Return(&pb.Feature{})
		}, "latitude is a int32, not a message the path can go through"},
		{"wrong operand", func(m *expect.Mock) {
			m.Unary(getFeature).WithRequestField("latitude", expect.Gt("north")).Return(&pb.Feature{})
		}, `field latitude (int32): gt: operand "north" is not a int32`},
		{"regex on a message", func(m *expect.Mock) {
			m.ServerStream(listFeatures).WithRequestField("lo", expect.Regex("1")).Send()
		}, "regex works on string, number, bool, enum and bytes fields, and lists of them"},
		{"bad regex", func(m *expect.Mock) {
			m.Bidi(routeChat).RecvMatching(expect.Field("message", expect.Regex("(")))
		}, "RecvMatching: field message (string): regex \"(\": error parsing regexp"},
		{"gt on a message", func(m *expect.Mock) {
			m.ServerStream(listFeatures).WithRequestField("lo", expect.Gt(1)).Send()
		}, "gt: works on numbers, strings, Timestamps and Durations, not a routeguide.Point"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeT{}
			m := expect.New(ft)
			tc.decl(m)
			assert.ErrorIs(t, m.Err(), expect.ErrSetup)
			assert.Contains(t, m.Err().Error(), tc.want)
			assert.Contains(t, m.Err().Error(), "fields_test.go:")
			ft.finish()
		})
	}
}

// The same operators in a stub file, with equal and partial, on requests,
// client-stream messages and bidi recv steps.
func TestStubFields(t *testing.T) {
	stubs, err := expect.ParseStubs("f.yaml", []byte(`
- method: routeguide.RouteGuide/GetFeature
  request:
    partial: {longitude: 2}
    fields:
      latitude: {gt: 0, lt: 100}
  response: {name: small}
- method: routeguide.RouteGuide/GetFeature
  request:
    fields:
      latitude: {anyOf: [{equal: -1}, {gte: 100}]}
  response: {name: odd}
- method: routeguide.RouteGuide/RecordRoute
  requests:
    fields:
      - {latitude: 1}
      - {longitude: {lt: 0}}
  response: {pointCount: 2}
- method: routeguide.RouteGuide/RouteChat
  steps:
    - recv: {fields: {message: {regex: "^ping"}, location: {absent: true}}}
    - send: {message: pong}
`), nil)
	require.NoError(t, err)
	m := expect.New(t)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	for _, tc := range []struct {
		p    *pb.Point
		want string
	}{{&pb.Point{Latitude: 5, Longitude: 2}, "small"}, {&pb.Point{Latitude: -1}, "odd"}, {&pb.Point{Latitude: 500, Longitude: 2}, "odd"}} {
		f, err := client.GetFeature(ctx(t), tc.p)
		require.NoError(t, err)
		assert.Equal(t, tc.want, f.Name, "%v", tc.p)
	}
	rs, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	require.NoError(t, rs.Send(&pb.Point{Latitude: 1}))
	require.NoError(t, rs.Send(&pb.Point{Longitude: -5}))
	sum, err := rs.CloseAndRecv()
	require.NoError(t, err)
	assert.Equal(t, int32(2), sum.PointCount)

	bs, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, bs.Send(note("ping")))
	got, err := bs.Recv()
	require.NoError(t, err)
	assert.Equal(t, "pong", got.Message)
	require.NoError(t, bs.CloseSend())
	_, err = bs.Recv()
	assert.Equal(t, io.EOF, err)
}

func TestStubFieldErrors(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"bad path", "- method: routeguide.RouteGuide/GetFeature\n  request:\n    fields:\n      lattitude: {gt: 0}\n  response: {}\n",
			`s.yaml:4: request.fields.lattitude: field lattitude: routeguide.Point has no field "lattitude" (did you mean latitude?)`},
		{"wrong operand type", "- method: routeguide.RouteGuide/GetFeature\n  request:\n    fields:\n      latitude: {gt: north}\n  response: {}\n",
			`s.yaml:4: request.fields.latitude: field latitude (int32): gt: operand "north" is not a int32`},
		{"bad regex", "- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - recv:\n        fields:\n          message: {regex: \"a(\"}\n",
			"s.yaml:5: steps[0].recv.fields.message.regex: error parsing regexp"},
		{"unknown operator", "- method: routeguide.RouteGuide/GetFeature\n  request: {fields: {latitude: {bigger: 1}}}\n  response: {}\n",
			`s.yaml:2: request.fields.latitude: unknown operator "bigger"`},
		{"len not a count", "- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - recv: {fields: {message: {len: many}}}\n",
			`s.yaml:3: steps[0].recv.fields.message.len: want a count (0 or more), got "many"`},
		{"fields and equal lengths", "- method: routeguide.RouteGuide/RecordRoute\n  requests:\n    equal: [{}]\n    fields: [{latitude: 1}, {latitude: 2}]\n  response: {}\n",
			"s.yaml:3: requests: fields has 2 entries and equal 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := expect.ParseStubs("s.yaml", []byte(tc.data), nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, expect.ErrStubFile)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

var _ = codes.OK

// regex on a number field matches its text.
func TestRegexOnNumbersAndEnums(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: {regex: "^100[1-2]{2}\\d{0,3}$"}}}
  response: {name: in range}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: {regex: "^-"}}}
  response: {name: negative}
`)
	m.Unary(getFeature).WithRequestField("longitude", expect.Regex("^7$")).AnyTimes().Return(&pb.Feature{Name: "seven"})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	for _, tc := range []struct {
		p    *pb.Point
		want string
	}{
		{&pb.Point{Latitude: 10012}, "in range"},
		{&pb.Point{Latitude: 1001299}, "in range"},
		{&pb.Point{Latitude: -3}, "negative"},
		{&pb.Point{Latitude: 5, Longitude: 7}, "seven"},
		{&pb.Point{Latitude: 10032}, expect.NoMatchCode.String()},
	} {
		f, err := client.GetFeature(ctx(t), tc.p)
		got := f.GetName()
		if err != nil {
			got = status.Code(err).String()
		}
		assert.Equal(t, tc.want, got, "%v", tc.p)
	}
	m.Reset() // the miss was wanted
}

// allOf holds when every operator does: two tests of one field, in a stub
// file and in Go.
func TestAllOf(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: {allOf: [{gt: 0}, {regex: "5$"}]}}}
  response: {name: "positive, ends in 5"}
`)
	m.Unary(getFeature).WithRequestField("longitude", expect.AllOf(expect.Gte(10), expect.Lt(20))).AnyTimes().Return(&pb.Feature{Name: "teens"})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	for _, tc := range []struct {
		p    *pb.Point
		want string
	}{
		{&pb.Point{Latitude: 15}, "positive, ends in 5"},
		{&pb.Point{Latitude: -5, Longitude: 12}, "teens"},
		{&pb.Point{Latitude: 14, Longitude: 20}, expect.NoMatchCode.String()},
	} {
		f, err := client.GetFeature(ctx(t), tc.p)
		got := f.GetName()
		if err != nil {
			got = status.Code(err).String()
		}
		assert.Equal(t, tc.want, got, "%v", tc.p)
	}
	m.Reset() // the miss was wanted
}

// unordered: the list's elements pair off with the tests, in any order,
// each element passing its own; duplicates count. contains with a mapping
// on a map field: these entries among the map's.
func TestUnorderedAndMapEntries(t *testing.T) {
	f := &pb.Feature{Tags: []string{"tall", "old", "old"}, Attributes: map[string]string{"height": "80m", "age": "300y"}}
	for _, tc := range []struct {
		path string
		op   expect.Op
		want bool
	}{
		{"tags", expect.Unordered("old", "tall", "old"), true},
		{"tags", expect.Unordered("old", "tall", "tall"), false},
		{"tags", expect.Unordered("old", "tall"), false},
		{"tags", expect.Unordered("old", "tall", "old", "old"), false},
		// "^.*l" fits every element; a greedy pairing would give it
		// "tall" and leave the "^t" test nothing.
		{"tags", expect.Unordered(expect.Regex("^.*l"), expect.Regex("^t"), "old"), true},
		{"tags", expect.Unordered(expect.Regex("^t"), expect.Regex("^t"), "old"), false},
		{"tags", expect.Unordered(expect.AnyOf(expect.Eq("x"), expect.Prefix("ta")), expect.Len(3), expect.Suffix("d")), true},
		{"attributes", expect.Contains(map[string]string{"height": "80m"}), true},
		{"attributes", expect.Contains(map[string]string{"height": "80m", "age": "300y"}), true},
		{"attributes", expect.Contains(map[string]string{"height": "81m"}), false},
		{"attributes", expect.Contains(map[string]string{"width": "80m"}), false},
	} {
		m := expect.Field(tc.path, tc.op)
		assert.Equal(t, tc.want, m.Match(f), "%s %s", tc.path, m)
	}
	assert.True(t, expect.Field("tags", expect.Unordered()).Match(&pb.Feature{}))

	// The same in a stub file.
	stubs, err := expect.ParseStubs("f.yaml", []byte(`
- method: routeguide.RouteGuide/GetFeature
  request:
    fields: {latitude: {unordered: []}}
  response: {}
`), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "f.yaml:4: request.fields.latitude: field latitude (int32): unordered works on repeated fields, not a int32")
	assert.Empty(t, stubs)
}

func TestUnorderedErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   expect.Op
		path string
		want string
	}{
		{"not a list", expect.Unordered("a"), "name", "unordered works on repeated fields, not a string"},
		{"element of the wrong type", expect.Unordered(3, "a"), "tags", "unordered[0]: equal: operand 3 is not a string"},
		{"present on an element", expect.Unordered(expect.Present()), "tags", "unordered[0]: present tests a field, not one element of a list"},
		{"a list in a list", expect.Unordered(expect.Unordered("a")), "tags", "unordered[0]: unordered works on repeated fields, not a element of a list"},
		{"entries of the wrong type", expect.Contains(map[string]int{"height": 80}), "attributes", "contains: operand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := expect.BindField(tc.path, tc.op, (&pb.Feature{}).ProtoReflect().Descriptor())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// anyOf in a match: alternatives for a whole message, sharing the stub's
// count and answer; in Go, AnyOfMatchers.
func TestAnyOfMatch(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  times: {max: 2}
  request:
    fields: {longitude: 0}
    anyOf:
      - fields: {latitude: 1}
      - partial: {latitude: 2}
  response: {name: one or two}
- method: routeguide.RouteGuide/RecordRoute
  requests:
    each:
      anyOf: [{fields: {latitude: 5}}, {fields: {longitude: 6}}]
  response: {pointCount: 9}
`)
	m.Unary(getFeature).WithRequestMatching(expect.AnyOfMatchers(
		expect.Field("latitude", expect.Eq(7)), expect.Equal(&pb.Point{Latitude: 8}))).Times(1).Return(&pb.Feature{Name: "seven or eight"})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	for _, tc := range []struct {
		p    *pb.Point
		want string
	}{
		{&pb.Point{Latitude: 2}, "one or two"},
		{&pb.Point{Latitude: 1, Longitude: 3}, expect.NoMatchCode.String()}, // longitude: 0 holds beside
		{&pb.Point{Latitude: 1}, "one or two"},
		{&pb.Point{Latitude: 1}, expect.NoMatchCode.String()}, // the count is shared: used up
		{&pb.Point{Latitude: 8}, "seven or eight"},
		{&pb.Point{Latitude: 7}, expect.NoMatchCode.String()},
	} {
		f, err := client.GetFeature(ctx(t), tc.p)
		got := f.GetName()
		if err != nil {
			got = status.Code(err).String()
		}
		assert.Equal(t, tc.want, got, "%v", tc.p)
	}
	rs, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	require.NoError(t, rs.Send(&pb.Point{Latitude: 5}))
	require.NoError(t, rs.Send(&pb.Point{Longitude: 6}))
	sum, err := rs.CloseAndRecv()
	require.NoError(t, err)
	assert.Equal(t, int32(9), sum.PointCount)
	m.Reset() // the misses were wanted

	_, err = expect.ParseStubs("s.yaml", []byte("- method: routeguide.RouteGuide/GetFeature\n  request:\n    anyOf:\n      - fields: {lattitude: 1}\n  response: {}\n"), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `s.yaml:4: request.anyOf[0].fields.lattitude: field lattitude: routeguide.Point has no field "lattitude"`)
	_, err = expect.ParseStubs("s.yaml", []byte("- method: routeguide.RouteGuide/GetFeature\n  request:\n    anyOf: []\n  response: {}\n"), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "s.yaml:3: request.anyOf: want a list of one or more message matches")
}
