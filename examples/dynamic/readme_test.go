package dynamic_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// The README's dynamic-mode snippet, as written (examples/readme_test.go
// checks it stays in step).
func TestREADMEDynamic(t *testing.T) {
	ctx := testContext(t)

	files, err := mockserver.Load(ctx, mockserver.ProtoFiles([]string{"../routeguide"}, "routeguide.proto"))
	require.NoError(t, err)
	feature, err := files.NewMessage("routeguide.Feature") // a dynamicpb message
	require.NoError(t, err)
	require.NoError(t, protojson.Unmarshal([]byte(`{"name": "Big Tree"}`), feature))

	m := expect.New(t, expect.WithResolver(files))
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequestJSON(`{"latitude": 1}`).Return(feature)
	srv := mockserver.Start(t, m, mockserver.WithSource(files))
	req, err := srv.NewMessage("routeguide.Point")
	require.NoError(t, err)
	require.NoError(t, protojson.Unmarshal([]byte(`{"latitude": 1}`), req))
	resp, err := srv.NewMessage("routeguide.Feature")
	require.NoError(t, err)
	require.NoError(t, srv.ClientConn().Invoke(ctx, "/routeguide.RouteGuide/GetFeature", req, resp))

	assert.True(t, proto.Equal(feature, resp))
}
