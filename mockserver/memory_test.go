package mockserver_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// TestManyServersKeepHeapSmall runs what a large suite does: thousands of
// start/call/stop cycles. On a stock 1 MiB bufconn listener each closed
// connection's two 1 MiB buffers stay reachable for seconds after Close,
// through the deadline timers bufconn arms (grpc-go sets deadlines on the
// conn during the handshake and when the client closes), and 3,000 cycles of
// a generated server hold about 5 GB. mockserver must stay small with nothing
// special done by the caller: here every server is also kept referenced
// until the test ends (Start's Cleanup), journal and all.
func TestManyServersKeepHeapSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("3,000 server cycles; skipped with -short")
	}
	const (
		cycles = 3000
		limit  = 256 << 20
	)
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		m, err := c.Recv()
		if err != nil {
			return err
		}
		return c.Send(&pb.Feature{Location: m.(*pb.Point)})
	})
	var peak uint64
	for i := 0; i < cycles; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		srv := mockserver.Start(t, h, mockserver.WithServices(routeGuide))
		f, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{Latitude: int32(i)})
		cancel()
		require.NoError(t, err)
		require.Equal(t, int32(i), f.GetLocation().GetLatitude())
		require.NoError(t, srv.Close())
		if i%500 == 499 || i == cycles-1 {
			peak = max(peak, heapInUse())
			require.Less(t, peak, uint64(limit), "heap in use after %d cycles", i+1)
		}
	}
	t.Logf("%d start/call/stop cycles: peak heap in use after GC %.1f MB (limit %d MB)", cycles, float64(peak)/(1<<20), limit>>20)
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
