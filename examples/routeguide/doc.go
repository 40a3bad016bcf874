// Package routeguide is the example service that grpcdouble's examples and
// tests run against. Its generated code is committed; regenerate it with
//
//	go generate ./examples/routeguide
//
// which needs protoc (Debian's protobuf-compiler) and the pinned plugins:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.10
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
package routeguide

//go:generate protoc -I . --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative routeguide.proto
