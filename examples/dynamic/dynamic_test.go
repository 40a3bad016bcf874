package dynamic_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// callTimeout bounds every call and every load.
const callTimeout = 10 * time.Second

// The routeguide service's .proto, beside its (here unused) generated code.
var routeguideProto = mockserver.ProtoFiles([]string{"../routeguide"}, "routeguide.proto")

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// message builds a message by name and fills it from protojson.
func message(t *testing.T, d interface {
	NewMessage(string) (proto.Message, error)
}, name, js string) proto.Message {
	t.Helper()
	msg, err := d.NewMessage(name)
	require.NoError(t, err)
	require.NoError(t, protojson.Unmarshal([]byte(js), msg))
	return msg
}

func TestServiceKnownOnlyFromItsProtoFile(t *testing.T) {
	_, err := protoregistry.GlobalFiles.FindDescriptorByName("routeguide.RouteGuide")
	require.Error(t, err, "this test must not link the generated code")

	ctx := testContext(t)
	files, err := mockserver.Load(ctx, routeguideProto)
	require.NoError(t, err)

	m := expect.New(t, expect.WithResolver(files))
	m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequestJSON(`{"latitude": 1}`).
		Return(message(t, files, "routeguide.Feature", `{"name": "Big Tree", "terrain": "TERRAIN_FOREST"}`))
	m.ServerStream("/routeguide.RouteGuide/ListFeatures").
		Send(message(t, files, "routeguide.Feature", `{"name": "a"}`), message(t, files, "routeguide.Feature", `{"name": "b"}`))
	srv := mockserver.Start(t, m, mockserver.WithSource(files))

	// A unary call, messages built by name on the server.
	req := message(t, srv, "routeguide.Point", `{"latitude": 1, "longitude": 2}`)
	resp, err := srv.NewMessage("routeguide.Feature")
	require.NoError(t, err)
	require.NoError(t, srv.ClientConn().Invoke(ctx, "/routeguide.RouteGuide/GetFeature", req, resp))
	assert.True(t, proto.Equal(message(t, srv, "routeguide.Feature", `{"name": "Big Tree", "terrain": "TERRAIN_FOREST"}`), resp))

	// What the server received, as dynamic messages.
	got := srv.Calls()
	require.Len(t, got, 1)
	assert.JSONEq(t, `{"latitude": 1, "longitude": 2}`, protojson.Format(got[0].Received()[0]))

	// A server stream, through the generic stream API.
	md, err := files.Method("/routeguide.RouteGuide/ListFeatures")
	require.NoError(t, err)
	desc := grpc.StreamDesc{ServerStreams: md.IsStreamingServer(), ClientStreams: md.IsStreamingClient()}
	stream, err := srv.ClientConn().NewStream(ctx, &desc, "/routeguide.RouteGuide/ListFeatures")
	require.NoError(t, err)
	require.NoError(t, stream.SendMsg(message(t, srv, "routeguide.Rectangle", `{}`)))
	require.NoError(t, stream.CloseSend())
	var names []string
	for {
		f, _ := srv.NewMessage("routeguide.Feature")
		if err := stream.RecvMsg(f); err != nil {
			break
		}
		names = append(names, f.ProtoReflect().Get(f.ProtoReflect().Descriptor().Fields().ByName("name")).String())
	}
	assert.Equal(t, []string{"a", "b"}, names)
}

// Errors name what was wrong: a type the files do not declare, and a
// message of the wrong type for a method, at the test's line.
func TestDynamicErrors(t *testing.T) {
	files, err := mockserver.Load(testContext(t), routeguideProto)
	require.NoError(t, err)
	_, err = files.NewMessage("Feature")
	assert.ErrorIs(t, err, mockserver.ErrUnknownMessage)
	assert.ErrorContains(t, err, `unknown message type "Feature": not declared in `)
	assert.ErrorContains(t, err, `routeguide.proto (give the full name, package included)`)
	_, err = files.NewMessage("routeguide.RouteGuide")
	assert.ErrorContains(t, err, `unknown message type "routeguide.RouteGuide": it is a service`)
	_, err = files.Method("/routeguide.RouteGuide/GetFeatur")
	assert.ErrorIs(t, err, mockserver.ErrUnknownMethod)

	m := expect.NewMock(expect.WithResolver(files))
	m.Unary("/routeguide.RouteGuide/GetFeature").Return(message(t, files, "routeguide.Point", `{}`))
	assert.ErrorIs(t, m.Err(), expect.ErrSetup)
	assert.ErrorContains(t, m.Err(), "Return: /routeguide.RouteGuide/GetFeature returns: got a routeguide.Point, want a routeguide.Feature")
}

// A test against a .proto file, start to finish.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	files, err := mockserver.Load(ctx, mockserver.ProtoFiles([]string{"../routeguide"}, "routeguide.proto"))
	if err != nil {
		fmt.Println(err)
		return
	}
	feature, _ := files.NewMessage("routeguide.Feature")
	_ = protojson.Unmarshal([]byte(`{"name": "Big Tree"}`), feature)

	m := expect.NewMock(expect.WithResolver(files))
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequestJSON(`{"latitude": 1}`).Return(feature)
	srv, err := mockserver.New(m, mockserver.WithSource(files))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	req, _ := srv.NewMessage("routeguide.Point")
	_ = protojson.Unmarshal([]byte(`{"latitude": 1}`), req)
	resp, _ := srv.NewMessage("routeguide.Feature")
	if err := srv.ClientConn().Invoke(ctx, "/routeguide.RouteGuide/GetFeature", req, resp); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.ProtoReflect().Get(resp.ProtoReflect().Descriptor().Fields().ByName("name")))
	fmt.Println("verify:", m.Verify())
	// Output:
	// Big Tree
	// verify: <nil>
}
