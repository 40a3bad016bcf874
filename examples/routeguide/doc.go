// Package routeguide is the example service that grpcdouble's examples and
// tests run against. Its generated code (grpc-go here, connect-go in
// routeguideconnect) is committed; regenerate it with
//
//	go generate ./examples/routeguide
//
// which runs gen.go and needs protoc (Debian's protobuf-compiler) and the
// pinned plugins on PATH:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.10
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
//	go install connectrpc.com/connect/cmd/protoc-gen-connect-go@v1.21.1
//
// routeguide.proto carries google.api.http annotations, so the double
// answers it over REST too. Its import of google/api/annotations.proto needs
// no googleapis checkout: gen.go hands protoc the descriptors linked into the
// google.golang.org/genproto/googleapis/api module.
package routeguide

//go:generate go run gen.go
