package main

import (
	"context"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// The binary serves an edition 2024 .proto (compiled as 2023, the same on
// the wire and in JSON) and answers it from a stub file.
func TestServeEdition2024Proto(t *testing.T) {
	protoDir := filepath.Join(moduleRoot(t), "testdata/protos")
	stubs := filepath.Join(t.TempDir(), "shelf.yaml")
	writeFile(t, stubs, `- method: edition2024.v1.Shelf/Put
  request: {partial: {title: Odes, genre: GENRE_POETRY}}
  response: {title: "{{ .Request.title }} shelved", copiesSent: true, shelves: 2}
`)
	p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", "edition2024/v1/shelf.proto", "--import-path", protoDir, "--stubs", stubs)

	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	services, err := mockserver.ProtoFiles([]string{protoDir}, "edition2024/v1/shelf.proto").Services(ctx)
	if err != nil || len(services) != 1 {
		t.Fatalf("client-side descriptors: %v, %v", services, err)
	}
	md := services[0].Methods().ByName("Put")
	req := dynamicpb.NewMessage(md.Input())
	if err := protojson.Unmarshal([]byte(`{"title": "Odes", "genre": "GENRE_POETRY", "copies": 0}`), req); err != nil {
		t.Fatal(err)
	}
	got := dynamicpb.NewMessage(md.Output())
	if err := dial(t, p.Addr, nil).Invoke(ctx, "/edition2024.v1.Shelf/Put", req, got); err != nil {
		t.Fatalf("Put: %v", err)
	}
	want := dynamicpb.NewMessage(md.Output())
	if err := protojson.Unmarshal([]byte(`{"title": "Odes shelved", "copiesSent": true, "shelves": 2}`), want); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(want, got) {
		t.Fatalf("Put = %v, want %v", got, want)
	}
}
