package transcoder_test

import (
	"io"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/examples/routeguide/routeguideconnect"
	"github.com/grpcdouble/grpcdouble/internal/testcerts"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/mockserver/transcoder"
)

// TestTLS: with a TLS server (mutual TLS here) the in-memory HTTP side
// serves TLS too, HTTP/2 by ALPN, with the server's certificates, and its
// clients present the mockserver's client configuration.
func TestTLS(t *testing.T) {
	certs, err := testcerts.New()
	require.NoError(t, err)
	ms := mockserver.Start(t, routeHandler,
		mockserver.WithSource(mockserver.GoTypes("routeguide.RouteGuide")),
		mockserver.WithTLS(certs.ServerTLS(true)), mockserver.WithClientTLS(certs.ClientTLS(true)))
	web := transcoder.Start(t, ms)
	assert.Equal(t, "https://bufconn", web.URL())
	for _, p := range protocols {
		client := routeguideconnect.NewRouteGuideClient(web.Client(), web.URL(), p.opt...)
		bidi := client.RouteChat(testContext(t))
		require.NoError(t, bidi.Send(&pb.RouteNote{Message: "tls"}))
		got, err := bidi.Receive()
		require.NoError(t, err, p.name)
		assert.Equal(t, "TLS", got.Message)
		require.NoError(t, bidi.CloseRequest())
		_, err = bidi.Receive()
		require.ErrorIs(t, err, io.EOF)
		require.NoError(t, bidi.CloseResponse())
	}
	unary, err := routeguideconnect.NewRouteGuideClient(web.HTTP1Client(), web.URL()).GetFeature(testContext(t), connect.NewRequest(&pb.Point{Latitude: 3}))
	require.NoError(t, err)
	assert.Equal(t, "at 3,0", unary.Msg.Name)
	calls := ms.Calls()
	require.Len(t, calls, 4)
	for _, c := range calls {
		assert.Equal(t, "OK", c.Code().String(), c.Method)
	}
}
