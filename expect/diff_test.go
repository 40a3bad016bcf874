package expect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// explainMiss declares want for GetFeature's request (with match) and
// returns why got misses it.
func explainMiss(t *testing.T, declare func(m *expect.Mock), method, got string) string {
	t.Helper()
	m := expect.NewMock()
	declare(m)
	x, err := m.Explain(method, []byte(got), metadata.MD{})
	require.NoError(t, err)
	require.Empty(t, x.Match)
	require.Len(t, x.Reasons, 1, "%v", x.Reasons)
	return x.Reasons[0]
}

// A miss says which fields differ, by path, with want and got; a whole
// message match adds a (-want +got) diff without protocmp's wrapping.
func TestMissShowsFieldPaths(t *testing.T) {
	feature := &pb.Feature{
		Name: "a", Location: &pb.Point{Latitude: 1}, Terrain: pb.Terrain_TERRAIN_FOREST,
		Tags: []string{"x", "y"}, Attributes: map[string]string{"h": "1"},
		Detail: &pb.Feature_Description{Description: "d"},
	}
	for _, tc := range []struct {
		name    string
		declare func(m *expect.Mock)
		method  string
		got     string
		want    string
	}{
		{"one field", func(m *expect.Mock) {
			m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1, Longitude: 2}).Return(&pb.Feature{})
		}, getFeature, `{"latitude": 5, "longitude": 2}`,
			"request: latitude: want 1, got 5\n(-want +got):\n  routeguide.Point{\n- \t\"latitude\":  1,\n+ \t\"latitude\":  5,\n  \t\"longitude\": 2,\n  }"},
		{"nested, partial", func(m *expect.Mock) {
			m.ServerStream(listFeatures).WithRequestPartial(&pb.Rectangle{Lo: &pb.Point{Latitude: 1}}).Send(&pb.Feature{})
		}, listFeatures, `{"lo": {"latitude": 5, "longitude": 9}, "hi": {"latitude": 3}}`,
			"request: lo.latitude: want 1, got 5"},
		{"nested message missing, partial", func(m *expect.Mock) {
			m.ServerStream(listFeatures).WithRequestPartial(&pb.Rectangle{Lo: &pb.Point{Latitude: 1}}).Send(&pb.Feature{})
		}, listFeatures, `{"hi": {"latitude": 3}}`,
			`request: lo: want routeguide.Point {"latitude":1}, got unset`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := explainMiss(t, tc.declare, tc.method, tc.got)
			assert.Equal(t, tc.want, got)
			assert.NotContains(t, got, "Inverse")
			assert.NotContains(t, got, "protocmp")
			assert.NotContains(t, got, "int32(")
		})
	}

	// Every kind of field: scalars, enums, repeated, maps, oneofs.
	got := &pb.Feature{
		Name: "b", Location: &pb.Point{Latitude: 5, Longitude: 3},
		Tags: []string{"x"}, Attributes: map[string]string{"h": "2", "k": "v"},
		Detail: &pb.Feature_Photo_{Photo: &pb.Feature_Photo{MimeType: "image/png"}},
	}
	d := expect.Equal(feature).(interface{ Diff(proto.Message) string }).Diff(got)
	for _, line := range []string{
		"10 fields differ:",
		`  name: want "a", got "b"`,
		"  location.latitude: want 1, got 5",
		"  location.longitude: want 0, got 3",
		"  terrain: want TERRAIN_FOREST, got TERRAIN_UNSPECIFIED",
		"  tags: want 2 elements, got 1",
		`  tags[1]: want "y", got none`,
		`  attributes["h"]: want "1", got "2"`,
		`  attributes["k"]: want none, got "v"`,
		`  description: want "d", got unset`,
		`  photo: want unset, got routeguide.Feature.Photo {"mimeType":"image/png"}`,
		"(-want +got):",
		"  routeguide.Feature{",
		"- \t\"terrain\": TERRAIN_FOREST,",
	} {
		assert.Contains(t, d, line)
	}
	assert.NotContains(t, d, "Inverse")
	assert.NotContains(t, d, "@type")
}

// A message known only from a .proto file (a dynamicpb message) reads the
// same, without "(*dynamicpb.Message)(Inverse(protocmp.Transform, ...".
func TestMissDiffOfDynamicMessages(t *testing.T) {
	srv, err := mockserver.New(mockserver.HandlerFunc(func(*mockserver.Call) error { return nil }),
		mockserver.WithProtoFiles([]string{"../testdata/protos"}, "echo/v1/echo.proto"))
	require.NoError(t, err)
	defer srv.Close()
	md, err := srv.Method("/echo.v1.EchoService/Echo")
	require.NoError(t, err)
	msg := func(text string) proto.Message {
		m := dynamicpb.NewMessage(md.Input())
		m.Set(md.Input().Fields().ByName("message"), protoreflect.ValueOfString(text))
		return m
	}
	d := expect.Equal(msg("ping")).(interface{ Diff(proto.Message) string }).Diff(msg("pong"))
	assert.Equal(t, "message: want \"ping\", got \"pong\"\n(-want +got):\n  echo.v1.EchoRequest{\n- \t\"message\": \"ping\",\n+ \t\"message\": \"pong\",\n  }", d)
}
