package mockserver_test

import (
	"strings"
	"testing"

	"github.com/jhump/protoreflect/v2/grpcreflect"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	refv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Reflection serves google/rpc/status.proto and error_details.proto, so a
// client that knows types only from reflection (grpcurl, Postman) decodes a
// status's BadRequest detail instead of "google.rpc.BadRequest is not
// recognized".
func TestReflectionServesErrorDetails(t *testing.T) {
	bad := &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "message", Description: "too long"}}}
	srv, err := mockserver.New(mockserver.HandlerFunc(func(c *mockserver.Call) error {
		st, err := status.New(codes.InvalidArgument, "bad echo").WithDetails(bad)
		if err != nil {
			return err
		}
		return st.Err()
	}), mockserver.WithProtoFiles([]string{protoDir}, echoProto))
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	ctx := testContext(t)

	client := grpcreflect.NewClientV1(ctx, refv1.NewServerReflectionClient(srv.ClientConn()))
	defer client.Reset()
	for symbol, path := range map[string]string{
		"google.rpc.Status":     "google/rpc/status.proto",
		"google.rpc.BadRequest": "google/rpc/error_details.proto",
		"google.rpc.ErrorInfo":  "google/rpc/error_details.proto",
	} {
		fd, err := client.FileContainingSymbol(protoreflect.FullName(symbol))
		require.NoError(t, err, symbol)
		require.Equal(t, path, fd.Path(), symbol)
	}

	// What grpcurl does with a detail: resolve its type by reflection and
	// decode it.
	md, err := srv.Method("/echo.v1.EchoService/Echo")
	require.NoError(t, err)
	err = srv.ClientConn().Invoke(ctx, "/echo.v1.EchoService/Echo", dynamicpb.NewMessage(md.Input()), dynamicpb.NewMessage(md.Output()))
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code())
	details := st.Proto().GetDetails()
	require.Len(t, details, 1)
	name := protoreflect.FullName(details[0].GetTypeUrl()[strings.LastIndexByte(details[0].GetTypeUrl(), '/')+1:])
	fd, err := client.FileContainingSymbol(name)
	require.NoError(t, err)
	decoded := dynamicpb.NewMessage(fd.Messages().ByName(name.Name()))
	require.NoError(t, proto.Unmarshal(details[0].GetValue(), decoded))
	violations := decoded.Get(decoded.Descriptor().Fields().ByName("field_violations")).List()
	require.Equal(t, 1, violations.Len())
	v := violations.Get(0).Message()
	require.Equal(t, "message", v.Get(v.Descriptor().Fields().ByName("field")).String())
	require.Equal(t, "too long", v.Get(v.Descriptor().Fields().ByName("description")).String())
}
