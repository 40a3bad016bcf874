package protodiff_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/internal/protodiff"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFields(t *testing.T) {
	want := &pb.Rectangle{Lo: &pb.Point{Latitude: 1, Longitude: 2}}
	got := &pb.Rectangle{Lo: &pb.Point{Latitude: 5, Longitude: 2}, Hi: &pb.Point{Latitude: 3}}
	assert.Equal(t, []string{"lo.latitude: want 1, got 5", `hi: want unset, got routeguide.Point {"latitude":3}`}, protodiff.Fields(want, got, false))
	assert.Equal(t, []string{"lo.latitude: want 1, got 5"}, protodiff.Fields(want, got, true), "partial: only the fields want sets")
	assert.Empty(t, protodiff.Fields(want, proto.Clone(want), false))

	many := &pb.Feature{}
	for range 30 {
		many.Tags = append(many.Tags, "t")
	}
	fs := protodiff.Fields(&pb.Feature{}, many, false)
	assert.Len(t, fs, 21)
	assert.Equal(t, "... and 11 more", fs[20])
}

func TestDiff(t *testing.T) {
	assert.Empty(t, protodiff.Diff(&pb.Point{Latitude: 1}, &pb.Point{Latitude: 1}))
	assert.Equal(t, "  routeguide.Feature{\n- \t\"name\":    \"a\",\n+ \t\"name\":    \"b\",\n  \t\"terrain\": TERRAIN_FOREST,\n  }",
		protodiff.Diff(&pb.Feature{Name: "a", Terrain: pb.Terrain_TERRAIN_FOREST}, &pb.Feature{Name: "b", Terrain: pb.Terrain_TERRAIN_FOREST}))

	// Messages inside other values, as replay compares status details.
	a, err := anypb.New(&errdetails.ErrorInfo{Reason: "A"})
	assert.NoError(t, err)
	b, err := anypb.New(&errdetails.ErrorInfo{Reason: "B"})
	assert.NoError(t, err)
	d := protodiff.DiffAny([]any{a}, []any{b})
	assert.Contains(t, d, `"reason":`)
	assert.NotContains(t, d, "Inverse")
	assert.NotContains(t, d, "}))")
}

func TestText(t *testing.T) {
	assert.Equal(t, `routeguide.Point {"latitude":1}`, protodiff.Text(&pb.Point{Latitude: 1}))
	assert.Equal(t, "<nil>", protodiff.Text(nil))
}
