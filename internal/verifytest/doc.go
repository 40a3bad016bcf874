// Package verifytest is a live service for the tests of grpcdouble verify
// and lint: a real implementation of verifytest.v1.Inventory
// (testdata/protos/verify/v1/inventory.proto) whose answers a test can
// change between two runs, to make a recorded cassette drift.
//
// The generated code in verifypb is committed. Regenerate it, from this
// folder, with protoc (Debian's protobuf-compiler) and the pinned plugins
// (go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.10 and
// google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1):
//
//	go generate ./internal/verifytest
package verifytest

//go:generate protoc -I ../../testdata/protos --go_out=. --go_opt=module=github.com/grpcdouble/grpcdouble/internal/verifytest --go-grpc_out=. --go-grpc_opt=module=github.com/grpcdouble/grpcdouble/internal/verifytest verify/v1/inventory.proto
