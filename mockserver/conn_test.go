package mockserver_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/internal/testcerts"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// A handler that closes its call's connection mid-stream: the client has
// the reply sent before (it asked for more after reading it), then sees
// Unavailable; the next call reconnects. Over bufconn and TCP, with and
// without TLS.
func TestCloseConnection(t *testing.T) {
	certs, err := testcerts.New()
	require.NoError(t, err)
	for _, transport := range []string{"bufconn", "tcp"} {
		for _, secure := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tls=%v", transport, secure), func(t *testing.T) {
				dropped := make(chan error, 1)
				h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
					if _, err := c.Recv(); err != nil {
						return err
					}
					if c.Kind() == mockserver.Unary {
						return c.Send(&pb.Feature{Name: "after reconnect"})
					}
					if err := c.Send(&pb.RouteNote{Message: "first"}); err != nil {
						return err
					}
					if _, err := c.Recv(); err != nil {
						return err
					}
					dropped <- c.CloseConnection()
					<-c.Context().Done()
					return c.Context().Err()
				})
				opts := []mockserver.Option{mockserver.WithServices(routeGuide)}
				if transport == "tcp" {
					opts = append(opts, mockserver.WithTCP("127.0.0.1:0"))
				}
				if secure {
					opts = append(opts, mockserver.WithTLS(certs.ServerTLS(false)), mockserver.WithClientTLS(certs.ClientTLS(false)))
				}
				srv := mockserver.Start(t, h, opts...)
				ctx := testContext(t)
				client := pb.NewRouteGuideClient(srv.ClientConn())

				stream, err := client.RouteChat(ctx)
				require.NoError(t, err)
				require.NoError(t, stream.Send(&pb.RouteNote{Message: "a"}))
				got, err := stream.Recv()
				require.NoError(t, err, "first reply")
				require.Equal(t, "first", got.GetMessage())
				require.NoError(t, stream.Send(&pb.RouteNote{Message: "b"}))
				_, err = stream.Recv()
				require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
				require.NoError(t, waitFor(t, dropped, "CloseConnection"))

				f, err := client.GetFeature(ctx, &pb.Point{})
				require.NoError(t, err)
				require.Equal(t, "after reconnect", f.GetName())

				// The dropped call's handler returns "soon after" its client saw
				// Unavailable, its context cancelled by the cut; wait for that
				// rather than let Close cancel it first.
				require.Eventually(t, func() bool {
					calls := srv.Calls()
					return len(calls) == 2 && calls[0].Done
				}, 10*time.Second, time.Millisecond, "the dropped call's handler to return")
				require.NoError(t, srv.Close())
				// The journal keeps the client's address as the listener gave it.
				calls := srv.Calls()
				require.Len(t, calls, 2)
				require.Equal(t, codes.Canceled, calls[0].Code())
				require.NotEmpty(t, calls[1].Peer)
			})
		}
	}
}
