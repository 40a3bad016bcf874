package record_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

// startPlain serves routeguide on loopback TCP with no reflection, as many
// production servers run, and returns its address.
func startPlain(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := grpc.NewServer()
	pb.RegisterRouteGuideServer(s, routeGuide{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(lis)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
	})
	return lis.Addr().String()
}

// The README's snippet, as written, against a server without reflection:
// the services come from the generated code linked into the test.
func TestConnectWithoutReflection(t *testing.T) {
	t.Setenv(record.EnvMode, "")
	path := filepath.Join(t.TempDir(), "routeguide.cassette")
	addr := startPlain(t)
	var want *pb.Feature
	t.Run("record", func(t *testing.T) {
		conn := record.Connect(t, path,
			record.Upstream(addr, grpc.WithTransportCredentials(insecure.NewCredentials())))
		client := pb.NewRouteGuideClient(conn)
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
		require.NoError(t, err)
		want = f
	})
	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, 1)
	assert.Equal(t, "/routeguide.RouteGuide/GetFeature", c.Interactions[0].Method)

	t.Run("replay", func(t *testing.T) {
		conn := record.Connect(t, path) // no upstream
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		f, err := pb.NewRouteGuideClient(conn).GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
		require.NoError(t, err)
		assert.Equal(t, want.GetName(), f.GetName())
	})
}

// A recording whose server cannot start leaves no cassette behind, and
// does not replace a good one.
func TestConnectSetupFailureLeavesNoCassette(t *testing.T) {
	t.Setenv(record.EnvMode, "")
	addr := startPlain(t)
	up := record.Upstream(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	bad := record.WithServerOptions(mockserver.WithServices("nope.v1.Nope"))
	dir := t.TempDir()

	missing := filepath.Join(dir, "new.cassette")
	msg := connectFails(t, missing, up, bad)
	assert.Contains(t, msg, "record.Connect: ")
	assert.Contains(t, msg, "nope.v1.Nope")
	_, err := os.Stat(missing)
	assert.ErrorIs(t, err, os.ErrNotExist, "an empty cassette was left behind")

	t.Setenv(record.EnvMode, "new")
	connectFails(t, missing, up, bad)
	_, err = os.Stat(missing)
	assert.ErrorIs(t, err, os.ErrNotExist, "an empty cassette was left behind (mode new)")

	// Mode all over a good cassette: the old one stays.
	good := filepath.Join(dir, "good.cassette")
	t.Setenv(record.EnvMode, "")
	t.Run("record a good one", func(t *testing.T) {
		conn := record.Connect(t, good, up)
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		_, err := pb.NewRouteGuideClient(conn).GetFeature(ctx, &pb.Point{Latitude: 3})
		require.NoError(t, err)
	})
	before, err := os.ReadFile(good)
	require.NoError(t, err)
	t.Setenv(record.EnvMode, "all")
	connectFails(t, good, up, bad)
	after, err := os.ReadFile(good)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after))
}
