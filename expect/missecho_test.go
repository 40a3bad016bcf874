package expect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
)

// TestMissStatusHidesCredentials: the status a missed call gets does not
// send back what the client sent for credential metadata (nor what the stub
// wants there), while it still names the key that differed and keeps the
// values of other keys; the miss carries no trailers or details of the
// call's metadata. Unexpected keeps the values, and WithSecretsShown
// shows them in the status too.
func TestMissStatusHidesCredentials(t *testing.T) {
	const token = "Bearer s3cret-client-token"
	for _, shown := range []bool{false, true} {
		ft := &fakeT{}
		var opts []expect.Option
		if shown {
			opts = append(opts, expect.WithSecretsShown())
		}
		m := expect.New(ft, opts...)
		m.Unary(getFeature).WithMetadata("authorization", "Bearer stub-token").WithMetadata("x-tenant", "acme").Return(&pb.Feature{})
		client, finish := serve(t, m, ft)

		c := metadata.AppendToOutgoingContext(ctx(t), "authorization", token, "x-tenant", "other")
		var trailer metadata.MD
		_, err := client.GetFeature(c, &pb.Point{}, grpc.Trailer(&trailer))
		st := status.Convert(err)
		require.Equal(t, expect.NoMatchCode, st.Code())
		msg := st.Message()
		assert.Contains(t, msg, `metadata "x-tenant": want ["acme"], got ["other"]`, "shown %v", shown)
		assert.Empty(t, st.Details(), "shown %v", shown)
		for k := range trailer {
			assert.NotContains(t, []string{"authorization", "x-tenant"}, k, "a miss's trailers echo the call's metadata")
		}
		if shown {
			assert.Contains(t, msg, `metadata "authorization": want ["Bearer stub-token"], got ["`+token+`"]`)
		} else {
			assert.Contains(t, msg, `metadata "authorization": [REDACTED] (credentials are not sent back to the client)`)
			assert.NotContains(t, msg, "s3cret-client-token")
			assert.NotContains(t, msg, "stub-token")
		}
		require.Len(t, m.Unexpected(), 1)
		assert.Contains(t, m.Unexpected()[0].String(), "s3cret-client-token", "Unexpected keeps what came")
		finish()
	}
}
