package replay_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/replay"
)

// Misses are bounded: the newest KeptMisses are kept, and Verify says how
// many went. Every unmatched call was kept for good (400,000 misses held
// 200 MB on a server nothing read them from).
func TestMissesKeepTheNewest(t *testing.T) {
	path := write(t, unary(&pb.Point{Latitude: 1}, &pb.Feature{Name: "one"}, nil))
	h, client := serve(t, path, replay.AllowUnused())
	extra := 25
	for i := range replay.KeptMisses + extra {
		_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: int32(i + 2)})
		require.Equal(t, replay.NoMatchCode, status.Code(err), "%v", err)
	}
	misses := h.Misses()
	require.Len(t, misses, replay.KeptMisses)
	assert.Equal(t, extra, h.MissesDropped())
	// The newest are kept: the last call's latitude is the last miss's.
	assert.Contains(t, misses[len(misses)-1].Error(), fmt.Sprintf("latitude: recorded 1, got %d", replay.KeptMisses+extra+1))
	err := h.Verify()
	require.Error(t, err)
	assert.True(t, errors.Is(err, replay.ErrNoMatch))
	first := strings.SplitN(err.Error(), "\n", 2)[0]
	assert.Equal(t, fmt.Sprintf("replay: no interaction matches: %d earlier misses not kept (the newest %d follow)", extra, replay.KeptMisses), first)
}
