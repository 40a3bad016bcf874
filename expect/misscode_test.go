package expect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// TestWithMissCode: with WithMissCode every way a call can miss (no
// expectation matches, a broken script, a message after an empty script, a
// message no ForEach rule takes) ends with the chosen code and the usual
// words, while a stub's own FailedPrecondition or NotFound answer keeps its
// code; without the option a miss is FailedPrecondition as before.
func TestWithMissCode(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft, expect.WithMissCode(codes.NotFound))
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).ReturnError(codes.FailedPrecondition, "the stub's own precondition")
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 2}).ReturnError(codes.NotFound, "the stub's own not found")
	m.Bidi(routeChat).Recv(note("a")).Send(note("A")).Recv(note("b"))
	m.Bidi(routeChat).Recv(note("empty"))
	m.Bidi(routeChat).ForEach(expect.OnMessage(expect.Partial(note("hi"))).Send(note("hello")))
	client, finish := serve(t, m, ft)

	_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	assert.Equal(t, status.New(codes.FailedPrecondition, "the stub's own precondition").Proto(), status.Convert(err).Proto())
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	assert.Equal(t, status.New(codes.NotFound, "the stub's own not found").Proto(), status.Convert(err).Proto())

	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 3})
	assert.Equal(t, codes.NotFound, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "grpcdouble: no expectation matches: /routeguide.RouteGuide/GetFeature")
	assert.Contains(t, status.Convert(err).Message(), "nearest expectation: expectation 1")

	chat := func(msgs ...string) error {
		t.Helper()
		stream, err := client.RouteChat(ctx(t))
		require.NoError(t, err)
		for _, s := range msgs {
			require.NoError(t, stream.Send(note(s)))
		}
		for {
			if _, err := stream.Recv(); err != nil {
				return err
			}
		}
	}
	err = chat("a", "c") // step 3 wants "b"
	assert.Equal(t, codes.NotFound, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "stream broke its script")
	err = chat("empty", "extra")
	assert.Equal(t, codes.NotFound, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "after the script's last step")
	err = chat("hi", "nobody")
	assert.Equal(t, codes.NotFound, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "no rule matches the message received")

	report := finish()
	assert.Contains(t, report, "unexpected call /routeguide.RouteGuide/GetFeature")
	assert.Contains(t, report, "stream broke its script")

	def := expect.NewMock()
	def.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).Return(&pb.Feature{})
	srv := mockserver.Start(t, def)
	_, err = pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx(t), &pb.Point{Latitude: 3})
	assert.Equal(t, codes.FailedPrecondition, status.Code(err), "the default miss code")
	assert.Equal(t, codes.FailedPrecondition, expect.NoMatchCode)
}

// TestWithMissCodeFallback: a fallback gets every call no expectation
// matches whatever the miss code, and never a stub's own answer in that
// code (nor in NoMatchCode).
func TestWithMissCodeFallback(t *testing.T) {
	for _, code := range []codes.Code{codes.NotFound, codes.FailedPrecondition} {
		m := expect.NewMock(expect.WithFallback(echoFallback{}), expect.WithMissCode(code))
		m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).AnyTimes().ReturnError(codes.NotFound, "no such feature")
		m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 2}).AnyTimes().ReturnError(codes.FailedPrecondition, "not yet")
		client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

		_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
		assert.Equal(t, status.New(codes.NotFound, "no such feature").Proto(), status.Convert(err).Proto(), code)
		_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
		assert.Equal(t, status.New(codes.FailedPrecondition, "not yet").Proto(), status.Convert(err).Proto(), code)
		f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 3})
		require.NoError(t, err, code)
		assert.Equal(t, "fallback: 1 read, half-closed false", f.GetName(), code)
		assert.Empty(t, m.Unexpected(), code)
		require.NoError(t, m.Verify(), code)
	}
}

// TestWithMissCodeBad: OK, or a number that is no status code, is a setup
// error: New reports it on the test at once, and a server will not start.
func TestWithMissCodeBad(t *testing.T) {
	for _, tc := range []struct {
		code codes.Code
		want string
	}{
		{codes.OK, "bad expectation: WithMissCode(OK): a miss must fail the call: want a status code other than OK"},
		{codes.Code(42), "bad expectation: WithMissCode(Code(42)): not a gRPC status code: want one from Canceled (1) to Unauthenticated (16)"},
	} {
		m := expect.NewMock(expect.WithMissCode(tc.code))
		m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).Return(&pb.Feature{})
		err := m.Verify()
		require.ErrorIs(t, err, expect.ErrSetup)
		assert.Contains(t, err.Error(), tc.want)
		_, err = mockserver.New(m)
		require.ErrorIs(t, err, expect.ErrSetup)
		assert.Contains(t, err.Error(), tc.want)

		ft := &fakeT{}
		expect.New(ft, expect.WithMissCode(tc.code))
		ft.mu.Lock()
		assert.Equal(t, []string{"expect: " + tc.want}, ft.errs[:1])
		ft.mu.Unlock()
		ft.finish()
	}
}
