// Package expect scripts a gRPC test double: expectations say which calls
// the server accepts and how it answers them, for all four kinds of RPC, and
// the Mock checks at the end of the test that every expectation was met and
// no unexpected call came.
//
//	m := expect.New(t)
//	m.Unary("/routeguide.RouteGuide/GetFeature").
//		WithRequest(&pb.Point{Latitude: 1}).
//		WithMetadata("authorization", "Bearer t").
//		Return(&pb.Feature{Name: "x"}).
//		ReturnTrailer("k", "v")
//	m.ServerStream("/routeguide.RouteGuide/ListFeatures").Send(f1, f2).ReturnCode(codes.OK)
//	m.Bidi("/routeguide.RouteGuide/RouteChat").
//		Recv(note("a")).Send(reply("A")).
//		Recv(note("b")).Send(reply("B"))
//	srv := mockserver.Start(t, m) // serves the services of the methods used
//	client := pb.NewRouteGuideClient(srv.ClientConn())
//
// # Matching
//
// A call is matched by method, request metadata (WithMetadata, ...Present,
// ...Absent, ...Regexp, ...Func) and messages: Equal (proto.Equal), Partial
// (only the fields set in the given message), a protojson subset
// (WithRequestJSON), a typed Func, or Anything. Client streams match the
// whole list (Messages, Count, FuncAll); bidi expectations match message by
// message as their script runs, and several bidi expectations on one method
// are told apart by metadata and by their first Recv.
//
// Single fields are tested with WithRequestField("location.latitude",
// expect.Gt(0)) and the other operators (Eq, Regex, Contains, Prefix,
// Suffix, Gt, Gte, Lt, Lte, Len, Present, Absent, AnyOf, and LenOf, Sum,
// Min, Max, Avg and Stddev on a number computed from the field), or with
// expect.Field wherever a Matcher goes; paths and operands are checked
// against the message type.
//
// Among the expectations of a method, a call tries a higher Priority first,
// then the ones declared earlier, and uses the first that matches, is not
// used up (Times) and whose scenario (InScenario, WhenState, SetState) is
// in the state it answers in (a client stream matched by Latest may give
// way to one of equal priority whose match ends later). An expectation wants exactly one
// call unless told otherwise (Times, AnyTimes, MinTimes, MaxTimes,
// Optional), so "first call Unavailable, then success" is two expectations in
// a row. With the InOrder option a call may only use an expectation once
// every earlier one on the method has had its minimum number of calls.
//
// # Misses and verification
//
// A call that nothing matches gets the status code NoMatchCode
// (FailedPrecondition) with a message that names the call and the nearest
// expectation with a (-want +got) diff, and the test fails at cleanup with
// the same text. WithMissCode chooses another code, for clients that check
// the one their old double answered (gripmock's is NotFound); a stub's own
// answer keeps the code it declares, and WithFallback still gets every miss. A handler never touches the test: failures are recorded and
// reported from the test's goroutine at cleanup (or by Verify for a Mock made
// with NewMock, which has no test). What the cleanup reports, and the
// GRPCDOUBLE_REPORT_DIR report, show credential metadata (authorization,
// cookies, tokens, api keys: the keys cassette.DefaultRedacts reports, as
// recorders and the admin API redact them) as [REDACTED], so a CI log does
// not carry what a client sent; the reason still names the key.
// The status a missed call gets hides them the same way, so the client's
// own error (logged as often) does not carry its token back, nor the one
// the stub wants; the reason still names the key. WithSecretsShown shows
// the values in both. Verify, Unexpected and the server's journal keep
// them.
//
// Declare expectations before the server starts: mockserver.Start calls
// Methods to know the services to serve and Bind to check every expectation
// against their descriptors. A method that does not exist, a method of
// another kind than declared, or a message of the wrong type is a setup
// error, naming what was expected. It is reported on the test once, at the
// line that declared it; Start then stops the test without repeating it,
// and the cleanup does not either. An error only the server's descriptors
// reveal (a method known from a .proto file) is reported by Start.
//
// Handle, Bind, Methods and HasExpectation are plumbing between a Mock and
// a server, exported for integrators who combine a Mock with handlers of
// their own; a test does not call them.
//
// # Scripts
//
// Every expectation compiles to a list of steps (send, receive and match,
// receive everything, send headers, wait, end with a status, keep open, run a
// function) that one runner interprets; stub files compile to the same steps.
//
// # Faults
//
// Scripts inject the faults a client must survive: AbortAfter ends a stream
// with a chosen status once n messages were sent; DropConnection closes the
// call's connection (the client sees Unavailable); Pace and Delay answer
// slowly, and PaceFunc and DelayFunc by a pause computed for each call (a
// retry's backoff from Attempt.Hit; in stub files, a delay or pace that is
// a template: '{{ backoff .Hit "100ms" "5s" }}'); PadTo and SendOversized send messages larger than the client
// accepts (it fails with ResourceExhausted). Stopping the server gracefully
// while streams run is mockserver's Server.GracefulStop. Stub files offer
// the same faults (abortAfter, dropConnection, pace, padTo, sendOversized).
//
// # What was received
//
// Each expectation's Calls returns the calls it answered: metadata,
// messages, and deadline, ready for testify's assert and require.
//
// # Stub files
//
// ParseStubs and LoadStubs read the same expectations from YAML or JSON
// files, with messages written as protojson; see STUBS.md beside this file
// for the format and stub.schema.json for a JSON Schema editors can use.
// Mocks made with NewMock can be changed while serving (AddStubs, Delete,
// Reset, Stubs, Explain), for the standalone server's admin API.
//
// # Fuzzing
//
// The stub parser and the request matchers are fuzzed; the seeds run with
// go test, and each target fuzzes for longer with
//
//	go test -run XXX -fuzz FuzzParseStubs -fuzztime 10m ./expect/
//	go test -run XXX -fuzz FuzzRequestJSON -fuzztime 10m ./expect/
package expect
