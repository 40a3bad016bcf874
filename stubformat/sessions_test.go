package stubformat_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

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

// serveSessionsAsIs serves a gripmock file as it is, with sessions.
func serveSessionsAsIs(t *testing.T, path string) *double {
	t.Helper()
	return serveSessions(t, func(r mockserver.Methods) ([]expect.Stub, error) {
		return stubformat.Load(r, stubformat.Auto, path)
	})
}

// serveSessionsConverted serves a gripmock file converted, with sessions.
func serveSessionsConverted(t *testing.T, path string) *double {
	t.Helper()
	dir := convertTo(t, stubformat.Gripmock, path)
	return serveSessions(t, func(r mockserver.Methods) ([]expect.Stub, error) { return expect.LoadStubs(r, dir) })
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
	runCalls(t, serveSessionsAsIs(t, "testdata/gripmock/sessions.yaml"), gripmockSessionCalls)
}

func TestGripmockSessionConverted(t *testing.T) {
	runCalls(t, serveSessionsConverted(t, "testdata/gripmock/sessions.yaml"), gripmockSessionCalls)
}

var gripmockEffectCalls = []call{
	{name: "login before register", do: unary(getItem, `{"id": "login"}`), want: fallback},
	{name: "profile", do: unary(getItem, `{"id": "profile"}`), want: ok(`{"name":"the profile"}`)},
	{name: "register upserts login and deletes itself", do: unary(getItem, `{"id": "register"}`), want: ok(`{"name":"registered"}`)},
	{name: "register is gone", do: unary(getItem, `{"id": "register"}`), want: fallback},
	{name: "login, added by the effect", do: unary(getItem, `{"id": "login"}`), want: ok(`{"name":"logged in"}`)},
	{name: "login's own effect deleted profile", do: unary(getItem, `{"id": "profile"}`), want: fallback},
}

func TestGripmockEffectsAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/effects.yaml"), gripmockEffectCalls)
}

func TestGripmockEffectsConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/effects.yaml"), gripmockEffectCalls)
}

// In a session, gripmock's effects change the session's stubs alone.
func TestGripmockEffectsInSessions(t *testing.T) {
	d := serveSessions(t, func(r mockserver.Methods) ([]expect.Stub, error) {
		return stubformat.Load(r, stubformat.Auto, "testdata/gripmock/effects.yaml")
	})
	in := func(session string, cs []call) []call {
		out := make([]call, len(cs))
		for i, c := range cs {
			req := c.do
			out[i] = c
			out[i].name = session + ": " + c.name
			out[i].do = func(d *double) answer {
				d.session = session
				defer func() { d.session = "" }()
				return req(d)
			}
		}
		return out
	}
	runCalls(t, d, in("a", gripmockEffectCalls))
	// Session b, and calls without a session, still have the stubs as loaded.
	runCalls(t, d, in("b", gripmockEffectCalls[:3]))
	runCalls(t, d, gripmockEffectCalls)
}

func gripmockFunctionCalls(t *testing.T, d *double) {
	t.Helper()
	runCalls(t, d, []call{
		{name: "math", do: unary(getItem, `{"id": "math", "quantity": 5, "filter": {"minPrice": 7}}`),
			want: ok(`{"name":"7 5 7.5 2.5 3 2 3 4 9 2.5","price":"700"}`)},
		{name: "mod, decimal, comparisons, join, str, encoders, round in a pipeline", do: unary(getItem, `{"id": "more", "quantity": 5, "userId": "123e4567-e89b-12d3-a456-426614174000"}`),
			want: ok(`{"name":"2 1.5 5.0 2.5 true true true false big 123e4567+e89b+12d3+a456+426614174000 5 bW9yZQ== bW9yZQ== Ej5FZ+ibEtOkVkJmFBdAAA== {\"high\":-3237353759658656238,\"low\":18039774891890340} 3 3"}`)},
		{name: "sum, avg and max over extract", do: stream(upload, `{"uploadId": "sum-a", "sequence": 1}`, `{"uploadId": "sum-b", "sequence": 2}`, `{"uploadId": "sum-c", "sequence": 6}`),
			want: ok(`{"uploadId":"9 3 6","chunks":3,"ok":true}`)},
		{name: ".StubID", do: unary(getItem, `{"id": "stubid"}`), want: ok(`{"name":"5b1f6a2e-0c4d-4a8e-9f3b-2d7c1e6a9b40"}`)},
		{name: "technical aliases", do: unary(getItem, `{"id": "technical"}`),
			want: ok(`{"name":"0d6e3c1a-7b2f-4e59-8a14-c3f0b9d2e7a6 true true 1/3/3 2 left"}`)},
		{name: "technical aliases, second call", do: unary(getItem, `{"id": "technical"}`),
			want: ok(`{"name":"0d6e3c1a-7b2f-4e59-8a14-c3f0b9d2e7a6 true true 2/3/3 1 left"}`)},
		{name: ".MaxAttempts unlimited", do: unary(getItem, `{"id": "unlimited"}`), want: ok(`{"name":"1/0"}`)},
		{name: "aliases", do: stream(upload, `{"uploadId": "alias"}`, `{"uploadId": "alias"}`), want: ok(`{"uploadId":"aliased","chunks":2}`)},
		{name: "stream: equals outranks a pattern", do: stream(upload, `{"uploadId": "div-a"}`, `{"uploadId": "div-zero"}`), want: ok(`{"uploadId":"by equals"}`)},
		{name: "stream: the pattern", do: stream(upload, `{"uploadId": "div-a"}`, `{"uploadId": "div-b"}`), want: ok(`{"uploadId":"by pattern"}`)},
	})
	// The call's start, as a year and in Unix seconds, twice the same.
	before := time.Now().Unix()
	got := d.unary(getItem, `{"id": "time"}`)
	after := time.Now().Unix()
	var year string
	var unix1, unix2 int64
	if len(got.Messages) != 1 {
		t.Fatalf("time: got %+v", got)
	}
	var m struct{ Name string }
	if err := json.Unmarshal([]byte(got.Messages[0]), &m); err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Sscanf(m.Name, "%s %d %d", &year, &unix1, &unix2); err != nil {
		t.Fatalf("time: %q: %v", m.Name, err)
	}
	if unix1 < before || unix1 > after || unix2 != unix1 || year != time.Unix(unix1, 0).UTC().Format("2006") {
		t.Errorf("time: %q, want the year and twice the Unix time of the call, between %d and %d", m.Name, before, after)
	}
}

func TestGripmockFunctionsAsIs(t *testing.T) {
	gripmockFunctionCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/functions.yaml"))
}

func TestGripmockFunctionsConverted(t *testing.T) {
	gripmockFunctionCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/functions.yaml"))
}

// fakerAnswers calls the faker stub twice and checks each answer's shape:
// a first name, an email, a number in [1, 10] and a UUID.
func fakerAnswers(t *testing.T, d *double) [2]string {
	t.Helper()
	var out [2]string
	for i := range out {
		got := d.unary(getItem, `{"id": "faker"}`)
		if len(got.Messages) != 1 {
			t.Fatalf("faker: got %+v", got)
		}
		var m struct{ Name string }
		if err := json.Unmarshal([]byte(got.Messages[0]), &m); err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(m.Name, "|")
		if len(parts) != 4 || parts[0] == "" || !strings.Contains(parts[1], "@") {
			t.Fatalf("faker: %q, want NAME|EMAIL|N|UUID", m.Name)
		}
		if n, err := strconv.Atoi(parts[2]); err != nil || n < 1 || n > 10 {
			t.Errorf("faker: %q: want a number in [1, 10]", m.Name)
		}
		if _, err := uuid.Parse(parts[3]); err != nil {
			t.Errorf("faker: %q: %v", m.Name, err)
		}
		out[i] = m.Name
	}
	return out
}

// gripmock's faker loads as is; it is seeded by the stub and the call, so
// a second server gives the same answers, call by call.
func TestGripmockFakerAsIs(t *testing.T) {
	first := fakerAnswers(t, serve(t, stubformat.Auto, "testdata/gripmock/functions.yaml"))
	again := fakerAnswers(t, serve(t, stubformat.Auto, "testdata/gripmock/functions.yaml"))
	if first != again {
		t.Errorf("faker: %q, then on a second server %q: want the same", first, again)
	}
	if first[0] == first[1] {
		t.Errorf("faker: the two calls both answered %q: want each call seeded by its number", first[0])
	}
}

// The converted file keeps faker and answers in the same shape. The values
// differ from the gripmock file's: the seed is the stub's file and line.
func TestGripmockFakerConverted(t *testing.T) {
	got := fakerAnswers(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/functions.yaml"))
	if got[0] == got[1] {
		t.Errorf("faker: the two calls both answered %q: want each call seeded by its number", got[0])
	}
}

// Users are 4 (unary) or 5 (chat) hex digits: the ids the effects build are
// gripmock's UUIDs.
var gripmockTemplatedEffectCalls = []call{
	{name: "profile before signup", do: unary(getItem, `{"id": "profile", "userId": "00a1"}`), want: fallback},
	{name: "signup of 00a1", do: unary(getItem, `{"id": "signup", "userId": "00a1"}`), want: ok(`{"name":"signed up 00a1"}`)},
	{name: "signup of 00b2", do: unary(getItem, `{"id": "signup", "userId": "00b2"}`), want: ok(`{"name":"signed up 00b2"}`)},
	{name: "00a1's profile: rendered at signup, its own template at its call", do: unary(getItem, `{"id": "profile", "userId": "00a1", "tags": ["x", "y"]}`),
		want: ok(`{"name":"profile of 00a1, asked with 2 tags","tags":["00A1"]}`)},
	{name: "no profile for 00c3", do: unary(getItem, `{"id": "profile", "userId": "00c3"}`), want: fallback},
	{name: "signout of 00a1 deletes its profile by a templated id", do: unary(getItem, `{"id": "signout", "userId": "00a1"}`), want: ok(`{"name":"signed out"}`)},
	{name: "00a1's profile is gone", do: unary(getItem, `{"id": "profile", "userId": "00a1"}`), want: fallback},
	{name: "00b2's stays", do: unary(getItem, `{"id": "profile", "userId": "00b2"}`), want: ok(`{"name":"profile of 00b2, asked with 0 tags","tags":["00B2"]}`)},
	{name: "chat: each message's effects", do: pingPong(chat, `{"user": "0000a", "text": "join"}`, `{"user": "0000b", "text": "join"}`, `{"user": "0000a", "text": "leave"}`),
		want: ok(`{"user":"bot","text":"welcome 0000a"}`, `{"user":"bot","text":"welcome 0000b"}`, `{"user":"bot","text":"bye 0000a"}`)},
	{name: "0000a joined and left", do: unary(getItem, `{"id": "in-chat-0000a"}`), want: fallback},
	{name: "0000b is in", do: unary(getItem, `{"id": "in-chat-0000b"}`), want: ok(`{"name":"0000b is in the chat"}`)},
}

func TestGripmockTemplatedEffectsAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/effects-templated.yaml"), gripmockTemplatedEffectCalls)
}

func TestGripmockTemplatedEffectsConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/effects-templated.yaml"), gripmockTemplatedEffectCalls)
}
