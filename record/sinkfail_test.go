package record_test

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

// failingSink fails the writes it is told to, as a full disk would.
type failingSink struct {
	mu     sync.Mutex
	fail   bool
	stored []*cassette.Interaction
}

func (s *failingSink) Write(in *cassette.Interaction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return syscall.ENOSPC
	}
	s.stored = append(s.stored, in)
	return nil
}

// A failed write is reported at once, through OnWriteError, and the
// recorder goes on: later interactions are written. Nothing was said
// while it ran.
func TestFailedWriteReportedAtOnceAndRecordingGoesOn(t *testing.T) {
	upstream, _ := startReal(t)
	sink := &failingSink{}
	var reported []error
	var mu sync.Mutex
	rec := record.New(sink, record.OnWriteError(func(in *cassette.Interaction, err error) {
		mu.Lock()
		reported = append(reported, err)
		mu.Unlock()
	}))
	srv := mockserver.Start(t, rec.Proxy(upstream), mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	call := func() {
		t.Helper()
		_, err := client.GetFeature(ctx, &pb.Point{Latitude: 1})
		require.NoError(t, err)
	}
	call()
	sink.mu.Lock()
	sink.fail = true
	sink.mu.Unlock()
	call()
	require.NoError(t, srv.Close()) // every call's interaction is saved (or not) by now
	mu.Lock()
	require.Len(t, reported, 1, "reported at once, not at Close")
	require.True(t, errors.Is(reported[0], syscall.ENOSPC))
	mu.Unlock()

	sink.mu.Lock()
	sink.fail = false
	sink.mu.Unlock()
	srv2 := mockserver.Start(t, rec.Proxy(upstream), mockserver.WithServices("routeguide.RouteGuide"))
	_, err := pb.NewRouteGuideClient(srv2.ClientConn()).GetFeature(ctx, &pb.Point{Latitude: 2})
	require.NoError(t, err)
	require.NoError(t, srv2.Close())
	require.Equal(t, 2, rec.Recorded(), "recording went on after the failure")
	require.Equal(t, 1, rec.Failed())
	require.True(t, errors.Is(rec.Err(), syscall.ENOSPC))
}
