package mockserver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/dynamicpb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Load parses sources once; the result resolves methods, builds messages
// by name, and serves as a server's source.
func TestLoadAndNewMessage(t *testing.T) {
	ctx := testContext(t)
	files, err := mockserver.Load(ctx, mockserver.ProtoFiles([]string{protoDir}, echoProto), mockserver.GoTypes(routeGuide))
	require.NoError(t, err)
	md, err := files.Method("echo.v1.EchoService/Echo")
	require.NoError(t, err)
	assert.Equal(t, "echo.v1.EchoRequest", string(md.Input().FullName()))

	// A type known only from the file is dynamic; a linked one is generated.
	req, err := files.NewMessage("echo.v1.EchoRequest")
	require.NoError(t, err)
	assert.IsType(t, &dynamicpb.Message{}, req)
	require.NoError(t, protojson.Unmarshal([]byte(`{"message": "hi"}`), req))
	f, err := files.NewMessage("routeguide.Feature")
	require.NoError(t, err)
	assert.IsType(t, &pb.Feature{}, f)
	env, err := files.NewMessage("echo.v1.Envelope") // in the imported file
	require.NoError(t, err)
	assert.Equal(t, "echo.v1.Envelope", string(env.ProtoReflect().Descriptor().FullName()))

	srv, err := mockserver.New(kindHandler, mockserver.WithSource(files))
	require.NoError(t, err)
	defer srv.Close()
	_, err = srv.Method("/routeguide.RouteGuide/GetFeature")
	require.NoError(t, err)
	got, err := srv.NewMessage("echo.v1.EchoResponse")
	require.NoError(t, err)
	assert.Equal(t, "echo.v1.EchoResponse", string(got.ProtoReflect().Descriptor().FullName()))
}

func TestLoadAndNewMessageErrors(t *testing.T) {
	ctx := testContext(t)
	_, err := mockserver.Load(ctx, mockserver.ProtoFiles([]string{protoDir}, "bad/syntax_error.proto"))
	assert.ErrorContains(t, err, "bad/syntax_error.proto:8:27")

	files, err := mockserver.Load(ctx, mockserver.ProtoFiles([]string{protoDir}, echoProto))
	require.NoError(t, err)
	_, err = files.Method("/echo.v1.EchoService/Ech")
	assert.ErrorIs(t, err, mockserver.ErrUnknownMethod)
	assert.ErrorContains(t, err, "the descriptors have /echo.v1.EchoService/Chat, /echo.v1.EchoService/Collect, /echo.v1.EchoService/Echo")
	_, err = files.NewMessage("EchoRequest")
	assert.ErrorIs(t, err, mockserver.ErrUnknownMessage)
	assert.ErrorContains(t, err, `unknown message type "EchoRequest": not declared in echo/v1/echo.proto, echo/v1/types.proto (give the full name, package included)`)
	_, err = files.NewMessage("echo.v1.EchoService")
	assert.ErrorContains(t, err, `unknown message type "echo.v1.EchoService": it is a service`)
	_, err = files.Method("Echo")
	assert.ErrorContains(t, err, "want the form /package.Service/Method")
}
