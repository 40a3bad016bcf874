package routeguide_test

import (
	"context"
	"fmt"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The committed generated code must describe exactly what routeguide.proto
// says; if this fails, regenerate with `go generate ./examples/routeguide`.
func TestGeneratedCodeMatchesProto(t *testing.T) {
	// mockserver.ProtoFiles finds google/api/annotations.proto among the
	// linked descriptors, as protoc was given them (see gen.go).
	services, err := mockserver.ProtoFiles([]string{"."}, "routeguide.proto").Services(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	parsed := protodesc.ToFileDescriptorProto(services[0].ParentFile())
	generated := protodesc.ToFileDescriptorProto(pb.File_routeguide_proto)
	parsed.SourceCodeInfo, generated.SourceCodeInfo = nil, nil
	if !proto.Equal(parsed, generated) {
		t.Fatalf("generated code is stale (-proto +generated):\n%s", cmp.Diff(parsed, generated, protocmp.Transform()))
	}
}

func Example() {
	f := &pb.Feature{
		Name:       "Berkshire Valley Management Area Trail",
		Location:   &pb.Point{Latitude: 409146138, Longitude: -746188906},
		Terrain:    pb.Terrain_TERRAIN_FOREST,
		Tags:       []string{"trail"},
		Attributes: map[string]string{"surface": "dirt"},
		Detail:     &pb.Feature_Description{Description: "a trail"},
	}
	fmt.Println(f.GetName(), f.GetTerrain(), f.GetAttributes()["surface"], f.GetDescription())
	// Output: Berkshire Valley Management Area Trail TERRAIN_FOREST dirt a trail
}
