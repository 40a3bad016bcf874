package stubformat_test

import (
	"testing"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

// serveSessions serves stubs loaded by load as the global stubs of
// expect.Sessions, as the standalone server does.
func serveSessions(t *testing.T, load func(mockserver.Methods) ([]expect.Stub, error)) *double {
	t.Helper()
	s := expect.NewSessions()
	srv := mockserver.Start(t, s, mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	stubs, err := load(srv)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if _, err := s.ReplaceFiles(stubs); err != nil {
		t.Fatalf("ReplaceFiles: %v", err)
	}
	return &double{t: t, srv: srv, mock: s.Global().Mock()}
}

var gripmockSessionCalls = []call{
	{name: "x-gripmock-session picks the session's stub", do: unary(getItem, `{"id": "shared"}`, expect.GripmockSessionKey, "team-a"),
		want: ok(`{"name":"team a's item"}`)},
	{name: "grpcdouble-session names the same session", do: unary(getItem, `{"id": "shared"}`, expect.SessionKey, "team-a"),
		want: ok(`{"name":"team a's item"}`)},
	{name: "another session sees the global stub", do: unary(getItem, `{"id": "shared"}`, expect.GripmockSessionKey, "team-b"),
		want: ok(`{"name":"everyone's item"}`)},
	{name: "no session: the global stub", do: unary(getItem, `{"id": "shared"}`), want: ok(`{"name":"everyone's item"}`)},
}

func TestGripmockSessionAsIs(t *testing.T) {
	d := serveSessions(t, func(r mockserver.Methods) ([]expect.Stub, error) {
		return stubformat.Load(r, stubformat.Auto, "testdata/gripmock/sessions.yaml")
	})
	runCalls(t, d, gripmockSessionCalls)
}

func TestGripmockSessionConverted(t *testing.T) {
	dir := convertTo(t, stubformat.Gripmock, "testdata/gripmock/sessions.yaml")
	d := serveSessions(t, func(r mockserver.Methods) ([]expect.Stub, error) { return expect.LoadStubs(r, dir) })
	runCalls(t, d, gripmockSessionCalls)
}
