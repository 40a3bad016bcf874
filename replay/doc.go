// Package replay answers gRPC calls from cassettes recorded by package
// record, with no network.
//
// A Handler (a mockserver.Handler) is built from one or more cassettes
// with Open, OpenAll or New, and served by mockserver.Start or
// mockserver.New, which find the recorded methods' services by themselves:
//
//	h, err := replay.Open("testdata/routeguide.cassette", replay.WithT(t))
//	srv := mockserver.Start(t, h)
//	client := pb.NewRouteGuideClient(srv.ClientConn())
//
// # Matching
//
// A call matches an interaction with the same method, equal request
// messages (proto.Equal, in order, half-close included) and matching
// request metadata: every recorded key must have the same values (a
// redacted value matches any), and the call may carry no key the recording
// lacks; transport headers never count. IgnoreFields, IgnoreMetadata and
// MatchMetadata loosen this. Interactions match in any order and each
// answers one call, unless InOrder or Reusable say otherwise. Recordings of
// the same request answer it in recorded order (with Reusable, the first
// answers every time); a call costs the same however many there are.
//
// A stream is matched step by step, so a bidirectional exchange keeps its
// interleaving: what the server sent before a client message is sent
// before replay waits for that message.
//
// The answer is what was recorded: response headers (sent when they were),
// messages, trailers and the status with its code, message and details. A
// call the client cancelled, or whose deadline passed, waits for this
// client to do the same.
//
// # Misses
//
// A call no interaction matches gets status FailedPrecondition (NoMatchCode;
// WithMissCode chooses another, such as NotFound as gripmock answers) whose
// message names the nearest interaction (file:line) and shows how it
// differs, with a proto diff of the first differing message. With WithT,
// each miss fails the test at cleanup, as does every interaction never used
// (unless AllowUnused); the calls' goroutines never touch the test. The
// report and the status read [REDACTED] for what a call sent in credential
// metadata (the keys cassette.DefaultRedacts reports), still naming the key;
// WithSecretsShown shows it, and Misses returns the misses as they came.
// WithFallback hands misses to another handler instead, which is how
// record's "new" mode records the calls a cassette lacks.
//
// # Verifying against the live service
//
// A cassette goes stale when the service it was recorded from changes.
// Check sends each recorded interaction's requests to the live service and
// compares the answers with the recording: server messages as proto diffs,
// response headers and trailers, and the status (code, message, details).
// Streams are sent in the recorded interleaving. Verify does the same as a
// contract test, one test failure per drift:
//
//	conn, _ := grpc.NewClient(os.Getenv("INVENTORY_ADDR"), creds)
//	replay.Verify(t, "testdata/inventory.cassette", conn,
//		replay.SetMetadata("authorization", "Bearer "+os.Getenv("TOKEN")),
//		replay.IgnoreField("inventory.v1.Item.etag"))
//
// Only methods whose .proto marks them safe to repeat (option
// idempotency_level = NO_SIDE_EFFECTS or IDEMPOTENT) are called; the rest
// are skipped, unless AllowMethod names them. Redacted request metadata is
// never sent as [REDACTED]: SetMetadata supplies the real value, or the key
// is left out. Report.Update rewrites the drifted interactions in place with
// the live answers (cassette.Rewrite), the rest of the file untouched. The
// command grpcdouble verify is this same check.
package replay
