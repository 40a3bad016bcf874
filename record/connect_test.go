package record_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

func TestConnectRecordsOnceThenReplays(t *testing.T) {
	t.Setenv(record.EnvMode, "")
	path := filepath.Join(t.TempDir(), "sub", "vcr.cassette")
	upstream, stopReal := startReal(t)
	services := record.WithServerOptions(mockserver.WithServices("routeguide.RouteGuide"))

	var live []observed
	t.Run("first run records", func(t *testing.T) {
		conn := record.Connect(t, path, record.UpstreamConn(upstream), record.Keep("set-cookie"), services)
		live = runAll(t, pb.NewRouteGuideClient(conn))
	})
	stopReal()
	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, len(scenarios))

	t.Run("later runs replay with no server", func(t *testing.T) {
		conn := record.Connect(t, path) // no upstream at all
		requireSame(t, live, runAll(t, pb.NewRouteGuideClient(conn)))
	})

	t.Run("new records only the calls the cassette lacks", func(t *testing.T) {
		t.Setenv(record.EnvMode, "new")
		upstream2, _ := startReal(t)
		conn := record.Connect(t, path, record.UpstreamConn(upstream2), record.Keep("set-cookie"), services)
		client := pb.NewRouteGuideClient(conn)
		requireSame(t, live, runAll(t, client))
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		f, err := client.GetFeature(ctx, &pb.Point{Latitude: 42, Longitude: 43})
		require.NoError(t, err)
		require.Equal(t, "feature 42,43", f.Name)
	})
	c, err = cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, len(scenarios)+1)
}

func TestParseMode(t *testing.T) {
	for name, want := range map[string]record.Mode{
		"once": record.ModeRecordOnce, "none": record.ModeReplay, "all": record.ModeRecord,
		"new": record.ModeReplayNew, "OFF": record.ModePassthrough,
	} {
		got, err := record.ParseMode(name)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := record.ParseMode("sometimes")
	require.ErrorContains(t, err, "want one of once, none, all, new, off")

	t.Setenv(record.EnvMode, "all")
	m, err := record.ModeFromEnv(record.ModeReplay)
	require.NoError(t, err)
	require.Equal(t, record.ModeRecord, m)
}
