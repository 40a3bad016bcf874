package replay_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/grpcdouble/grpcdouble/cassette"
	vpb "github.com/grpcdouble/grpcdouble/internal/verifytest/verifypb"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
	"github.com/grpcdouble/grpcdouble/replay"
)

// recordLookupAfterHeader records, through a recording proxy in front of
// addr, one Lookup whose client waits for the response headers before its
// first request: the proxy writes each event as it passes, so the headers
// are recorded before the request.
func recordLookupAfterHeader(t *testing.T, addr string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lookup.cassette")
	rec, err := record.Create(path, record.WithoutTiming())
	require.NoError(t, err)
	up, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer up.Close()
	proxy := mockserver.Start(t, rec.Proxy(up), mockserver.WithServices("verifytest.v1.Inventory"))

	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	lk, err := vpb.NewInventoryClient(proxy.ClientConn()).Lookup(ctx)
	require.NoError(t, err)
	_, err = lk.Header()
	require.NoError(t, err)
	require.NoError(t, lk.Send(&vpb.LookupRequest{Id: "a1"}))
	for range 2 { // hello, then a1's answer
		_, err := lk.Recv()
		require.NoError(t, err)
	}
	require.NoError(t, lk.CloseSend())
	_, err = lk.Recv()
	require.True(t, errors.Is(err, io.EOF), "%v", err)
	proxy.Close()
	require.NoError(t, rec.Close())
	return path
}

// Verify compares when the headers came as well: recorded before the
// client's first request, they must come before it live too; headers that
// now wait for the request are an interleaving drift, and Update moves them
// where they came.
func TestCheckHeaderMoved(t *testing.T) {
	s, addr, conn := live(t)
	s.SetGreetFirst(false)
	s.SetHeaderFirst(true)
	path := recordLookupAfterHeader(t, addr)
	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, 1)
	require.Equal(t, cassette.Header, c.Interactions[0].Events[0].Type, "recorded before the request: %+v", c.Interactions[0].Events)

	step := replay.StepTimeout(300 * time.Millisecond)
	rep := check(t, path, conn, step)
	assert.Equal(t, []string{inv + "Lookup match"}, outcomes(rep), "%s", rep)

	// The headers now go with the first message, after the first request;
	// the messages are the same.
	s.SetHeaderFirst(false)
	rep = check(t, path, conn, step)
	drifted := rep.Drifted()
	require.Len(t, drifted, 1, "%s", rep)
	require.Len(t, drifted[0].Diffs, 1, "%s", drifted[0])
	assert.Equal(t, "interleaving", drifted[0].Diffs[0].Part)
	assert.Equal(t, "recorded the response headers before client event #1; the live service sent none for 300ms, so the client carried on", drifted[0].Diffs[0].Text)

	n, err := rep.Update()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	c, err = cassette.Load(path)
	require.NoError(t, err)
	var order []cassette.EventType
	for _, e := range c.Interactions[0].Events {
		order = append(order, e.Type)
	}
	assert.Equal(t, []cassette.EventType{cassette.ClientMessage, cassette.Header, cassette.ServerMessage, cassette.ServerMessage, cassette.HalfClose}, order)
	rep = check(t, path, conn, step)
	assert.Equal(t, []string{inv + "Lookup match"}, outcomes(rep), "updated: %s", rep)
}
