//go:build ignore

// gen.go regenerates the routeguide code; `go generate ./examples/routeguide`
// runs it. routeguide.proto imports google/api/annotations.proto, which
// Debian's protoc does not ship: gen.go writes the googleapis files it needs
// as a descriptor set, taken from the descriptors linked into the
// google.golang.org/genproto/googleapis/api Go module (as mockserver's
// ProtoFiles does at run time), and hands that set to protoc.
package main

import (
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

func main() {
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(f protoreflect.FileDescriptor)
	add = func(f protoreflect.FileDescriptor) {
		if seen[f.Path()] {
			return
		}
		seen[f.Path()] = true
		for i := 0; i < f.Imports().Len(); i++ {
			add(f.Imports().Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(f))
	}
	add(annotations.File_google_api_annotations_proto)
	b, err := proto.Marshal(set)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "routeguide-gen")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	deps := filepath.Join(dir, "googleapis.protoset")
	if err := os.WriteFile(deps, b, 0o644); err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command("protoc", "-I", ".", "--descriptor_set_in="+deps,
		"--go_out=.", "--go_opt=paths=source_relative",
		"--go-grpc_out=.", "--go-grpc_opt=paths=source_relative",
		"--connect-go_out=.", "--connect-go_opt=paths=source_relative",
		"routeguide.proto")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("protoc: %v", err)
	}
}
