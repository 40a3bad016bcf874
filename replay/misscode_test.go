package replay_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
)

// fallbackFeature answers a call a cassette misses with a feature.
type fallbackFeature struct{}

func (fallbackFeature) Serve(c *mockserver.Call, _ []proto.Message, _ bool) error {
	return c.Send(&pb.Feature{Name: "fallback"})
}

// TestWithMissCode: a miss fails with the chosen code and the usual
// diagnosis; a recorded NotFound answer keeps its code and is no miss, and
// with a fallback only the miss goes there. OK is refused.
func TestWithMissCode(t *testing.T) {
	recorded := unary(&pb.Point{Latitude: 1}, &pb.Feature{}, nil)
	recorded.Events = recorded.Events[:2]
	recorded.Status = cassette.Status{Code: codes.NotFound, Message: "recorded not found"}
	path := write(t, recorded)

	_, client := serve(t, path, replay.Reusable(), replay.WithMissCode(codes.NotFound))
	_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	assert.Equal(t, status.New(codes.NotFound, "recorded not found").Proto(), status.Convert(err).Proto())
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	assert.Equal(t, codes.NotFound, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "replay: no interaction matches: /routeguide.RouteGuide/GetFeature")

	_, client = serve(t, path, replay.Reusable(), replay.WithMissCode(codes.NotFound), replay.WithFallback(fallbackFeature{}))
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	assert.Equal(t, status.New(codes.NotFound, "recorded not found").Proto(), status.Convert(err).Proto())
	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	require.NoError(t, err)
	assert.Equal(t, "fallback", f.GetName())

	_, client = serve(t, path)
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	assert.Equal(t, codes.FailedPrecondition, status.Code(err), "the default")

	_, err = replay.Open(path, replay.WithMissCode(codes.OK))
	require.EqualError(t, err, "replay: WithMissCode(OK): a miss must fail the call: want a status code other than OK")
	_, err = replay.Open(path, replay.WithMissCode(codes.Code(17)))
	require.EqualError(t, err, "replay: WithMissCode(Code(17)): not a gRPC status code: want one from Canceled (1) to Unauthenticated (16)")
}

// TestMissStatusHidesCredentials: the status of a miss does not send back
// what the call sent for credential metadata the cassette lacks, and still
// names the key; Misses keeps the value.
func TestMissStatusHidesCredentials(t *testing.T) {
	path := write(t, unary(&pb.Point{Latitude: 1}, &pb.Feature{}, nil))
	h, client := serve(t, path)
	c := metadata.AppendToOutgoingContext(ctx(t), "x-api-key", "s3cret-key")
	_, err := client.GetFeature(c, &pb.Point{Latitude: 1})
	msg := status.Convert(err).Message()
	assert.Equal(t, replay.NoMatchCode, status.Code(err))
	assert.Contains(t, msg, `metadata "x-api-key": [REDACTED] (credentials are not sent back to the client)`)
	assert.NotContains(t, msg, "s3cret-key")
	require.Len(t, h.Misses(), 1)
	assert.Contains(t, h.Misses()[0].Error(), "s3cret-key", "Misses keeps what came")

	c = metadata.AppendToOutgoingContext(ctx(t), "x-tenant", "acme")
	_, err = client.GetFeature(c, &pb.Point{Latitude: 1})
	assert.Contains(t, status.Convert(err).Message(), `metadata "x-tenant": not recorded, got ["acme"]`, "other keys are shown")
}

// TestWithTHidesCredentials: what WithT reports at cleanup, a miss's
// reason, reads [REDACTED] for credential metadata the call sent, naming
// the key, as expect's report does; WithSecretsShown shows it there and in
// the status.
func TestWithTHidesCredentials(t *testing.T) {
	path := write(t, unary(&pb.Point{Latitude: 1}, &pb.Feature{}, nil))
	reported := func(opts ...replay.Option) (string, string) {
		tb := &recordingTB{}
		var msg string
		t.Run("", func(t *testing.T) {
			tb.TB = t
			_, client := serve(t, path, append(opts, replay.WithT(tb), replay.AllowUnused())...)
			c := metadata.AppendToOutgoingContext(ctx(t), "authorization", "Bearer s3cret-token")
			_, err := client.GetFeature(c, &pb.Point{Latitude: 1})
			msg = status.Convert(err).Message()
		})
		require.Len(t, tb.errors, 1, "%q", tb.errors)
		return tb.errors[0], msg
	}
	report, msg := reported()
	assert.Contains(t, report, `metadata "authorization": [REDACTED] (replay.WithSecretsShown shows it)`)
	assert.NotContains(t, report, "s3cret-token")
	assert.NotContains(t, msg, "s3cret-token")

	report, msg = reported(replay.WithSecretsShown())
	assert.Contains(t, report, "s3cret-token")
	assert.Contains(t, msg, "s3cret-token")
}
