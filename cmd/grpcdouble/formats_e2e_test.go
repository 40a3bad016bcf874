package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
)

const gripmockRouteGuide = `# gripmock stubs for the route guide
- service: RouteGuide
  method: GetFeature
  input:
    equals: {latitude: 1}
  output:
    data: {name: from gripmock}
- service: routeguide.RouteGuide
  method: GetFeature
  input:
    equals: {latitude: 404}
  output:
    error: nothing here
    code: 5
`

const wiremockRouteGuide = `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "method": "POST",
    "bodyPatterns": [{"equalToJson": {"latitude": 7}}]},
  "response": {"jsonBody": {"name": "from wiremock"}}
}
`

// WireMock's client-stream and bidi mappings: the first message a mapping
// matches answers a client stream; each message of a bidi stream is
// answered by the mapping it matches.
const wiremockRouteGuideStreams = `{"mappings": [
  {"request": {"urlPath": "/routeguide.RouteGuide/RecordRoute",
    "bodyPatterns": [{"equalToJson": {"latitude": 5}}]},
   "response": {"jsonBody": {"pointCount": 55}}},
  {"request": {"urlPath": "/routeguide.RouteGuide/RouteChat",
    "bodyPatterns": [{"matchesJsonPath": {"expression": "$.message", "equalTo": "ping"}}]},
   "response": {"jsonBody": {"message": "pong"}}},
  {"scenarioName": "chat", "newScenarioState": "counted",
   "request": {"urlPath": "/routeguide.RouteGuide/RouteChat", "headers": {"x-count": {"equalTo": "yes"}},
    "bodyPatterns": [{"matchesJsonPath": "$[?(@.message == 'count')]"}]},
   "response": {"headers": {"x-counted": "first"}, "jsonBody": {"message": "first"}}},
  {"scenarioName": "chat", "requiredScenarioState": "counted", "priority": 4,
   "request": {"urlPath": "/routeguide.RouteGuide/RouteChat", "bodyPatterns": [{"matchesJsonPath": "$[?(@.message == 'count')]"}]},
   "response": {"jsonBody": {"message": "again"}}},
  {"request": {"urlPath": "/routeguide.RouteGuide/GetFeature",
    "bodyPatterns": [{"matchesJsonPath": "$[?(@.latitude == 41 && @.longitude > 0)]"}]},
   "response": {"jsonBody": {"name": "east of 41"}}},
  {"scenarioName": "s", "requiredScenarioState": "moved",
   "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "bodyPatterns": [{"equalToJson": {"latitude": 31}}]},
   "response": {"jsonBody": {"name": "moved"}}},
  {"scenarioName": "s", "newScenarioState": "moved",
   "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "bodyPatterns": [{"equalToJson": {"latitude": 32}}]},
   "response": {"jsonBody": {"name": "moving"}}},
  {"request": {"urlPath": "/routeguide.RouteGuide/GetFeature",
    "bodyPatterns": [{"equalToJson": {"latitude": 21, "longitude": "${json-unit.any-number}"}}]},
   "response": {"jsonBody": {"name": "any longitude"}}}
]}
`

// chatEach sends msg once for each of wants, reading that answer after
// each, then half-closes and wants the stream to end.
func chatEach(t *testing.T, stream pb.RouteGuide_RouteChatClient, msg string, wants ...string) {
	t.Helper()
	for i, want := range wants {
		if err := stream.Send(&pb.RouteNote{Message: msg}); err != nil {
			t.Fatalf("RouteChat %s %d: %v", msg, i, err)
		}
		if n, err := stream.Recv(); err != nil || n.GetMessage() != want {
			t.Fatalf("RouteChat %s %d = %v, %v; want %s", msg, i, n, err, want)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if n, err := stream.Recv(); err != io.EOF {
		t.Errorf("RouteChat after CloseSend = %v, %v; want the stream to end", n, err)
	}
}

func TestServeForeignStubs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gripmock.yaml"), gripmockRouteGuide)
	writeFile(t, filepath.Join(dir, "wiremock.json"), wiremockRouteGuide)
	writeFile(t, filepath.Join(dir, "wiremock-streams.json"), wiremockRouteGuideStreams)
	// gripmock's technical template data, by its aliases.
	writeFile(t, filepath.Join(dir, "gripmock-aliases.yaml"), `- id: 3c9a1f2e-5d7b-4e8a-b6c0-9f1e2d3a4b5c
  service: RouteGuide
  method: GetFeature
  input: {equals: {latitude: 11}}
  options: {times: 2}
  output:
    data:
      name: '{{ .RequestID }} {{ .AttemptIndex }}/{{ .MaxAttempts }} {{ eq (unix .Timestamp) (unix .RequestTime) }}'
`)
	// A native file using faker and modf: the binary links expect/faker.
	writeFile(t, filepath.Join(dir, "native.yaml"), "- method: routeguide.RouteGuide/GetFeature\n  request: {equal: {latitude: 9}}\n  response: {name: '{{ faker.Person.FirstName }}/{{ modf 7 4 }}'}\n")
	addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", filepath.Join(moduleRoot(t), "testdata/standalone/protos"), "--stubs", dir)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	client := pb.NewRouteGuideClient(dial(t, addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1}); err != nil || f.GetName() != "from gripmock" {
		t.Errorf("GetFeature(1) = %v, %v; want the gripmock stub", f, err)
	}
	_, err := client.GetFeature(ctx, &pb.Point{Latitude: 404})
	if st := status.Convert(err); st.Code() != codes.NotFound || st.Message() != "nothing here" {
		t.Errorf("GetFeature(404) = %v; want NOT_FOUND nothing here", err)
	}
	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 7}); err != nil || f.GetName() != "from wiremock" {
		t.Errorf("GetFeature(7) = %v, %v; want the WireMock mapping", f, err)
	}
	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 21, Longitude: 3}); err != nil || f.GetName() != "any longitude" {
		t.Errorf("GetFeature(21, 3) = %v, %v; want the WireMock mapping with a json-unit placeholder", f, err)
	}
	if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 21}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("GetFeature(21, 0) = %v; want a miss: any-number wants a longitude", err)
	}
	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 41, Longitude: 2}); err != nil || f.GetName() != "east of 41" {
		t.Errorf("GetFeature(41, 2) = %v, %v; want the mapping with a && filter", f, err)
	}
	if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 41, Longitude: -2}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("GetFeature(41, -2) = %v; want a miss", err)
	}
	// A mapping in any state of its scenario that moves it.
	for _, c := range []struct {
		lat  int32
		want string
	}{{32, "moving"}, {31, "moved"}, {32, "moving"}, {31, "moved"}} {
		if f, err := client.GetFeature(ctx, &pb.Point{Latitude: c.lat}); err != nil || f.GetName() != c.want {
			t.Errorf("GetFeature(%d) = %v, %v; want %q", c.lat, f, err, c.want)
		}
	}
	recordRoute := func(lats ...int32) (*pb.RouteSummary, error) {
		rr, err := client.RecordRoute(ctx)
		if err != nil {
			return nil, err
		}
		for _, l := range lats {
			if err := rr.Send(&pb.Point{Latitude: l}); err != nil {
				break // the server ended the call; CloseAndRecv says how
			}
		}
		return rr.CloseAndRecv()
	}
	if s, err := recordRoute(1, 5, 2); err != nil || s.GetPointCount() != 55 {
		t.Errorf("RecordRoute(1, 5, 2) = %v, %v; want the WireMock mapping's 55", s, err)
	}
	chat, err := client.RouteChat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	chatEach(t, chat, "ping", "pong", "pong")
	// A bidi mapping's header matchers, response headers and scenario,
	// message by message.
	var hdr metadata.MD
	counting, err := client.RouteChat(metadata.AppendToOutgoingContext(ctx, "x-count", "yes"), grpc.Header(&hdr))
	if err != nil {
		t.Fatal(err)
	}
	chatEach(t, counting, "count", "first", "again", "again")
	if got := hdr.Get("x-counted"); len(got) != 1 || got[0] != "first" {
		t.Errorf("RouteChat header x-counted = %q, want first", got)
	}
	// A native forEach rule in a scenario, through the admin API.
	if code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `- method: routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {fields: {message: tick}}
          scenario: clock
          setState: ticked
          send: {message: tick 1}
        - recv: {fields: {message: tick}}
          scenario: clock
          whenState: ticked
          send: {message: tick 2}
`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs with a rule in a scenario: %d", code)
	}
	ticks, err := client.RouteChat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	chatEach(t, ticks, "tick", "tick 1", "tick 2", "tick 2")

	for i, want := range []string{"3c9a1f2e-5d7b-4e8a-b6c0-9f1e2d3a4b5c 1/2 true", "3c9a1f2e-5d7b-4e8a-b6c0-9f1e2d3a4b5c 2/2 true"} {
		if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 11}); err != nil || f.GetName() != want {
			t.Errorf("GetFeature(11) call %d = %v, %v; want %q", i+1, f, err, want)
		}
	}

	// The admin API takes a WireMock client-stream mapping as it is.
	code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `{"request": {"urlPath": "/routeguide.RouteGuide/RecordRoute",
  "bodyPatterns": [{"equalToJson": {"latitude": 6}}]}, "response": {"jsonBody": {"pointCount": 66}}}`, nil)
	if code != http.StatusCreated {
		t.Fatalf("POST /stubs with a WireMock client-stream mapping: %d", code)
	}
	if s, err := recordRoute(6); err != nil || s.GetPointCount() != 66 {
		t.Errorf("RecordRoute(6) = %v, %v; want the mapping added", s, err)
	}

	// The admin API takes a gripmock stub as it is.
	code = adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `{"service": "RouteGuide", "method": "GetFeature",
  "input": {"equals": {"latitude": 8}}, "output": {"data": {"name": "added as gripmock"}}}`, nil)
	if code != http.StatusCreated {
		t.Fatalf("POST /stubs with a gripmock stub: %d", code)
	}
	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 8}); err != nil || f.GetName() != "added as gripmock" {
		t.Errorf("GetFeature(8) = %v, %v; want the stub added", f, err)
	}
	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 9}); err != nil || !strings.HasSuffix(f.GetName(), "/3") || len(f.GetName()) < 3 {
		t.Errorf("GetFeature(9) = %v, %v; want a first name from faker, then /3", f, err)
	}
	// And a gripmock stub with faker and mod, through the admin API.
	code = adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `{"service": "RouteGuide", "method": "GetFeature",
  "input": {"equals": {"latitude": 10}}, "output": {"data": {"name": "{{ faker.Contact.Email }} {{ mod 7 4 }}"}}}`, nil)
	if code != http.StatusCreated {
		t.Fatalf("POST /stubs with a gripmock faker stub: %d", code)
	}
	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 10}); err != nil || !strings.Contains(f.GetName(), "@") || !strings.HasSuffix(f.GetName(), " 3") {
		t.Errorf("GetFeature(10) = %v, %v; want an email from faker, then 3", f, err)
	}
	// .TotalAttempts through the admin API: 0, the stub is unlimited.
	code = adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `{"service": "RouteGuide", "method": "GetFeature",
  "input": {"equals": {"latitude": 12}}, "output": {"data": {"name": "{{ .AttemptNumber }} of {{ .TotalAttempts }}"}}}`, nil)
	if code != http.StatusCreated {
		t.Fatalf("POST /stubs with a gripmock .TotalAttempts stub: %d", code)
	}
	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 12}); err != nil || f.GetName() != "1 of 0" {
		t.Errorf("GetFeature(12) = %v, %v; want 1 of 0", f, err)
	}
}

func TestConvertCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.Mkdir(in, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(in, "route.yaml"), gripmockRouteGuide+`- service: RouteGuide
  method: GetFeature
  input:
    contains: {latitude: {a: 1}}
  output: {data: {}}
`)
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"convert", "--from", "gripmock", "--proto", filepath.Join(moduleRoot(t), "testdata/standalone/protos"), "--out", out, in}, &stdout, &stderr)
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("convert with a stub that cannot convert: err %v, want exit 1", err)
	}
	if want := "route.yaml:18: input.contains.latitude: latitude is a int32 field, not a message"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr does not list the stub left out (%q):\n%s", want, stderr.String())
	}
	if want := "wrote " + filepath.Join(out, "route.yaml") + ": 2 stubs from " + filepath.Join(in, "route.yaml"); !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout %q does not say %q", stdout.String(), want)
	}
	got, err := os.ReadFile(filepath.Join(out, "route.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := "# Converted from the gripmock stubs in " + filepath.Join(in, "route.yaml") + ` by grpcdouble convert.
# Listed in the order gripmock ranks them: more fields matched first, then higher priority.

# gripmock stubs for the route guide
# from ` + filepath.Join(in, "route.yaml") + `:2
- method: /routeguide.RouteGuide/GetFeature
  request:
    fields:
      latitude: 1
  response:
    name: from gripmock
# from ` + filepath.Join(in, "route.yaml") + `:8
- method: /routeguide.RouteGuide/GetFeature
  request:
    fields:
      latitude: 404
  status:
    code: NOT_FOUND
    message: nothing here
`
	if string(got) != want {
		t.Errorf("converted file:\n%s\nwant:\n%s", got, want)
	}

	// The converted file serves as a native one.
	addr, _, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--proto", filepath.Join(moduleRoot(t), "testdata/standalone/protos"),
		"--stubs", out, "--stubs-format", "native")
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if f, err := pb.NewRouteGuideClient(dial(t, addr, nil)).GetFeature(ctx, &pb.Point{Latitude: 1}); err != nil || f.GetName() != "from gripmock" {
		t.Errorf("GetFeature(1) from the converted stubs = %v, %v", f, err)
	}
}

func TestConvertUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"convert", "--out", "x", "a.json"}, "convert: --from gripmock|wiremock is required"},
		{[]string{"convert", "--from", "native", "--out", "x", "a.json"}, "convert: --from native: want gripmock or wiremock"},
		{[]string{"convert", "--from", "gripmock", "a.json"}, "convert: --out DIR is required"},
		{[]string{"convert", "--from", "gripmock", "--out", "x"}, "convert: give the stub files or folders to convert"},
		{[]string{"convert", "--from", "gripmock", "--out", "x", "no-such-file.json"}, "convert: no-such-file.json: no such file or directory"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), tc.args, &stdout, &stderr)
		if err == nil || exitCode(err) != 2 || err.Error() != tc.want {
			t.Errorf("%q: err %v (exit %d), want %q, exit 2", tc.args, err, exitCode(err), tc.want)
		}
	}
}

// TestServeGripmockSessions: a gripmock stub's session, from a file and
// through the admin API with gripmock's X-Gripmock-Session header, answers
// only calls carrying x-gripmock-session with that name.
func TestServeGripmockSessions(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gripmock.yaml"), `- service: RouteGuide
  method: GetFeature
  session: team-a
  input: {equals: {latitude: 1}}
  output: {data: {name: team a}}
- service: RouteGuide
  method: GetFeature
  input: {equals: {latitude: 1}}
  output: {data: {name: everyone}}
`)
	addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", filepath.Join(moduleRoot(t), "testdata/standalone/protos"), "--stubs", dir)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	client := pb.NewRouteGuideClient(dial(t, addr, nil))
	call := func(session string, lat int32) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		if session != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-gripmock-session", session)
		}
		f, err := client.GetFeature(ctx, &pb.Point{Latitude: lat})
		if err != nil {
			return status.Code(err).String()
		}
		return f.GetName()
	}
	if got := call("team-a", 1); got != "team a" {
		t.Errorf("team-a: got %q, want the session's stub", got)
	}
	if got := call("team-b", 1); got != "everyone" {
		t.Errorf("team-b: got %q, want the global stub", got)
	}
	if got := call("", 1); got != "everyone" {
		t.Errorf("no session: got %q, want the global stub", got)
	}
	code := adminDoHeader(t, "POST", "http://"+adminAddr+"/stubs", map[string]string{"X-Gripmock-Session": "team-b"},
		`{"service": "RouteGuide", "method": "GetFeature", "input": {"equals": {"latitude": 2}}, "output": {"data": {"name": "team b's own"}}}`, nil)
	if code != http.StatusCreated {
		t.Fatalf("POST /stubs with X-Gripmock-Session: %d", code)
	}
	if got := call("team-b", 2); got != "team b's own" {
		t.Errorf("team-b, the stub it added: got %q", got)
	}
	if got := call("team-a", 2); got != expect.NoMatchCode.String() {
		t.Errorf("team-a, team-b's stub: got %q, want no match", got)
	}
}

// TestServeGripmockEffects: gripmock's effects, from a file and through the
// admin API in a session, change the stubs: the file's for calls without a
// session, the session's alone for calls in one.
func TestServeGripmockEffects(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gripmock.yaml"), `- id: once
  service: RouteGuide
  method: GetFeature
  input: {equals: {latitude: 1}}
  output: {data: {name: first}}
  effects:
    - action: upsert
      stub:
        service: RouteGuide
        method: GetFeature
        input: {equals: {latitude: 2}}
        output: {data: {name: unlocked}}
    - action: delete
      id: once
`)
	addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", filepath.Join(moduleRoot(t), "testdata/standalone/protos"), "--stubs", dir)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	client := pb.NewRouteGuideClient(dial(t, addr, nil))
	call := func(session string, lat int32) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		if session != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-gripmock-session", session)
		}
		f, err := client.GetFeature(ctx, &pb.Point{Latitude: lat})
		if err != nil {
			return status.Code(err).String()
		}
		return f.GetName()
	}
	miss := expect.NoMatchCode.String()
	for _, step := range []struct {
		session string
		lat     int32
		want    string
	}{
		{"s1", 2, miss}, {"s1", 1, "first"}, {"s1", 1, miss}, {"s1", 2, "unlocked"},
		{"s2", 2, miss}, {"", 2, miss}, {"", 1, "first"}, {"", 2, "unlocked"}, {"s3", 2, "unlocked"}, {"s3", 1, miss},
	} {
		if got := call(step.session, step.lat); got != step.want {
			t.Errorf("session %q, latitude %d: got %q, want %q", step.session, step.lat, got, step.want)
		}
	}
	// Through the admin API, in a session.
	code := adminDoHeader(t, "POST", "http://"+adminAddr+"/stubs", map[string]string{"X-Gripmock-Session": "s4"},
		`{"service": "RouteGuide", "method": "GetFeature", "input": {"equals": {"latitude": 5}}, "output": {"data": {"name": "five"}},
  "effects": [{"action": "upsert", "stub": {"service": "RouteGuide", "method": "GetFeature", "input": {"equals": {"latitude": 6}}, "output": {"data": {"name": "six"}}}}]}`, nil)
	if code != http.StatusCreated {
		t.Fatalf("POST /stubs with effects: %d", code)
	}
	if got := call("s4", 5); got != "five" {
		t.Errorf("s4, 5: %q", got)
	}
	if got := call("s4", 6); got != "six" {
		t.Errorf("s4, 6: %q, want the stub the effect put", got)
	}
	if got := call("s5", 6); got != miss {
		t.Errorf("s5, 6: %q, want s4's stub unseen", got)
	}
}

// TestServeTemplatedEffects: effects built from the call, served by the
// binary: a gripmock file's templated upsert and delete, a native file's
// bidi forEach rule whose effects run per message, and a native stub with
// a template put stub added through the admin API in a session.
func TestServeTemplatedEffects(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gripmock.yaml"), `- service: RouteGuide
  method: GetFeature
  input: {equals: {latitude: 1}}
  output: {data: {name: "registered {{ .Request.longitude }}"}}
  effects:
    - action: upsert
      stub:
        id: "5e0c5a10-0000-4000-8000-00000000000{{ .Request.longitude }}"
        service: RouteGuide
        method: GetFeature
        priority: 10
        input: {equals: {latitude: 2, longitude: "{{ .Request.longitude }}"}}
        output: {data: {name: "user {{ .Request.longitude }}"}}
- service: RouteGuide
  method: GetFeature
  input: {equals: {latitude: 3}}
  output: {data: {name: bye}}
  effects:
    - action: delete
      id: "5e0c5a10-0000-4000-8000-00000000000{{ .Request.longitude }}"
`)
	writeFile(t, filepath.Join(dir, "chat.yaml"), `- method: routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {fields: {message: {prefix: "join "}}}
          send: {message: 'hi {{ trimPrefix "join " .Message.message }}'}
          then:
            - putStubs:
                - template:
                    id: 'member-{{ .Message.location.latitude }}'
                    method: routeguide.RouteGuide/GetFeature
                    priority: 20
                    request: {partial: {latitude: '{{ .Message.location.latitude }}'}}
                    response: {name: 'member {{ trimPrefix "join " .Message.message }}'}
`)
	addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", filepath.Join(moduleRoot(t), "testdata/standalone/protos"), "--stubs", dir)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	client := pb.NewRouteGuideClient(dial(t, addr, nil))
	call := func(session string, lat, lng int32) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		if session != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "grpcdouble-session", session)
		}
		f, err := client.GetFeature(ctx, &pb.Point{Latitude: lat, Longitude: lng})
		if err != nil {
			return status.Code(err).String() + ": " + status.Convert(err).Message()
		}
		return f.GetName()
	}
	miss := expect.NoMatchCode.String()
	for _, step := range []struct {
		lat, lng int32
		want     string
	}{
		{2, 4, miss}, {1, 4, "registered 4"}, {1, 5, "registered 5"}, {2, 4, "user 4"}, {2, 5, "user 5"},
		{3, 4, "bye"}, {2, 4, miss}, {2, 5, "user 5"},
	} {
		if got := call("", step.lat, step.lng); !strings.HasPrefix(got, step.want) {
			t.Errorf("latitude %d, longitude %d: got %q, want %q", step.lat, step.lng, got, step.want)
		}
	}

	// The chat's rule puts a member stub for each join message.
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	stream, err := client.RouteChat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"ann", "bob"} {
		if err := stream.Send(&pb.RouteNote{Location: &pb.Point{Latitude: int32(7 + i)}, Message: "join " + name}); err != nil {
			t.Fatal(err)
		}
		got, err := stream.Recv()
		if err != nil || got.GetMessage() != "hi "+name {
			t.Fatalf("chat answer to %s: %v %v", name, got, err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("chat end: %v", err)
	}
	if got := call("", 7, 0); got != "member ann" {
		t.Errorf("ann's stub: %q", got)
	}
	if got := call("", 8, 0); got != "member bob" {
		t.Errorf("bob's stub: %q", got)
	}

	// Through the admin API, in a session: a native stub whose template put
	// stub is rendered with the session's call, and a templated delete id
	// that renders to no stub ID fails the call.
	code := adminDoHeader(t, "POST", "http://"+adminAddr+"/stubs", map[string]string{"grpcdouble-session": "s1"}, `
- id: admin-put
  method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 30}}
  response: {name: put}
  then:
    - putStubs:
        - template: {id: 'admin-{{ .Request.longitude }}', method: routeguide.RouteGuide/GetFeature, priority: 30, request: {partial: {latitude: 31}}, response: {name: 'admin {{ .Request.longitude }}'}}
- id: admin-bad
  method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 32}}
  response: {name: never}
  then:
    - deleteStubs: ['admin {{ .Request.longitude }}']
`, nil)
	if code != http.StatusCreated {
		t.Fatalf("POST /stubs: %d", code)
	}
	if got := call("s1", 30, 6); got != "put" {
		t.Errorf("s1, 30: %q", got)
	}
	if got := call("s1", 31, 0); got != "admin 6" {
		t.Errorf("s1, 31: %q, want the stub put for longitude 6", got)
	}
	if got := call("s2", 31, 0); got == "admin 6" {
		t.Errorf("s2 sees s1's stub")
	}
	got := call("s1", 32, 6)
	for _, want := range []string{codes.Internal.String(), "admin-bad", `"admin 6"`, "is not a stub ID"} {
		if !strings.Contains(got, want) {
			t.Errorf("s1, 32: %q, want it to name %s", got, want)
		}
	}
	if got := call("s1", 31, 0); got != "admin 6" {
		t.Errorf("after the failed effect: %q, want the stub put before kept", got)
	}

	// gripmock's form through the admin API, with gripmock's session header.
	code = adminDoHeader(t, "POST", "http://"+adminAddr+"/stubs", map[string]string{"X-Gripmock-Session": "s3"},
		`{"service": "RouteGuide", "method": "GetFeature", "input": {"equals": {"latitude": 40}}, "output": {"data": {"name": "forty"}},
  "effects": [{"action": "upsert", "stub": {"service": "RouteGuide", "method": "GetFeature", "priority": 40, "input": {"equals": {"latitude": 41}},
    "output": {"data": {"name": "made for {{ .Request.longitude }}"}}}}]}`, nil)
	if code != http.StatusCreated {
		t.Fatalf("POST /stubs, gripmock: %d", code)
	}
	if got := call("s3", 40, 9); got != "forty" {
		t.Errorf("s3, 40: %q", got)
	}
	if got := call("s3", 41, 0); got != "made for 9" {
		t.Errorf("s3, 41: %q, want the stub rendered with the call at longitude 9", got)
	}
}

// TestServeWireMockTemplates: WireMock mappings with response templates,
// from a file and through the admin API, answer as the extension renders
// them; an unsupported helper posted is refused with the line and helper.
func TestServeWireMockTemplates(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "wiremock.json"), `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "method": "POST",
    "bodyPatterns": [{"matchesJsonPath": "$[?(@.latitude == 1)]"}]},
  "response": {
    "jsonBody": {"name": "{{#if (gt (jsonPath request.body '$.longitude') 0)}}east{{else}}west{{/if}} for {{request.headers.x-user}}",
      "location": {"latitude": "{{jsonPath request.body '$.longitude'}}"}},
    "headers": {"x-id": "{{randomValue length=6 type='NUMERIC'}}"},
    "transformers": ["response-template"]
  }
}
`)
	addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", filepath.Join(moduleRoot(t), "testdata/standalone/protos"), "--stubs", dir)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	client := pb.NewRouteGuideClient(dial(t, addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "x-user", "ann")
	var header metadata.MD
	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 5}, grpc.Header(&header))
	if err != nil || f.GetName() != "east for ann" || f.GetLocation().GetLatitude() != 5 {
		t.Errorf("GetFeature(1, 5) = %v, %v; want east for ann at latitude 5", f, err)
	}
	if id := header.Get("x-id"); len(id) != 1 || !regexp.MustCompile(`^[0-9]{6}$`).MatchString(id[0]) {
		t.Errorf("x-id header %q: want six digits", id)
	}
	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: -5}); err != nil || f.GetName() != "west for ann" {
		t.Errorf("GetFeature(1, -5) = %v, %v; want west for ann", f, err)
	}

	// The admin API takes a templated WireMock mapping as it is.
	code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "method": "POST",
    "bodyPatterns": [{"equalToJson": {"latitude": 2}, "ignoreExtraElements": true}]},
  "response": {"jsonBody": {"name": "posted {{jsonPath request.body '$.longitude'}} {{{request.headers.[X-User]}}}"},
    "transformers": ["response-template"]}
}`, nil)
	if code != http.StatusCreated {
		t.Fatalf("POST /stubs with a templated WireMock mapping: %d", code)
	}
	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 2, Longitude: 9}); err != nil || f.GetName() != "posted 9 ann" {
		t.Errorf("GetFeature(2, 9) = %v, %v; want posted 9 ann", f, err)
	}
	// WireMock's math, each and dates, posted as they are.
	code = adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "method": "POST",
    "bodyPatterns": [{"equalToJson": {"latitude": 3}, "ignoreExtraElements": true}]},
  "response": {"jsonBody": {"name": "{{math (jsonPath request.body '$.longitude') '/' 4}} {{#each (range 1 3)}}{{this}}{{/each}} {{date (parseDate '2024-01-31T00:00:00Z') offset='1 months' format='yyyy-MM-dd'}}"},
    "transformers": ["response-template"]}
}`, nil)
	if code != http.StatusCreated {
		t.Fatalf("POST /stubs with WireMock's math, each and date: %d", code)
	}
	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 3, Longitude: 10}); err != nil || f.GetName() != "3 123 2024-02-29" {
		t.Errorf("GetFeature(3, 10) = %v, %v; want 3 123 2024-02-29 (10/4 rounded half up, as BigDecimal)", f, err)
	}
	var e admin.ErrorBody
	code = adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "method": "POST"},
  "response": {"jsonBody": {"name": "{{slugify 'a b'}}"},
    "transformers": ["response-template"]}
}`, &e)
	if want := "3: response.jsonBody.name: not supported yet: the WireMock template helper slugify"; code != http.StatusBadRequest || !strings.Contains(e.Error, want) {
		t.Errorf("POST /stubs with an unsupported helper: %d %q, want 400 naming %q", code, e.Error, want)
	}
}
