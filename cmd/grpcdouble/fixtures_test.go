package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The standalone fixtures carry their own copy of the example service's
// .proto so that the folder can be mounted into the container whole; this
// keeps the copy from drifting from the one the Go code is generated from.
func TestStandaloneProtoMatchesExample(t *testing.T) {
	root := moduleRoot(t)
	want, err := os.ReadFile(filepath.Join(root, "examples/routeguide/routeguide.proto"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "testdata/standalone/protos/routeguide.proto"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Fatal("testdata/standalone/protos/routeguide.proto differs from examples/routeguide/routeguide.proto; copy the example's over it")
	}
}
