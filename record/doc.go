// Package record captures live gRPC traffic into cassettes (see package
// cassette), for package replay to serve later with no network.
//
// There are three ways in:
//
//   - A Recorder's Proxy is a mockserver.Handler that forwards every call,
//     of every RPC kind, to an upstream connection: request metadata goes
//     up, response headers and trailers come back, the client's deadline and
//     cancellation reach the upstream, and the status (code, message,
//     details) comes back unchanged. Each finished call is appended to the
//     cassette. Serve it with mockserver.New or mockserver.Start.
//   - A Recorder's client interceptors (UnaryClientInterceptor,
//     StreamClientInterceptor, or DialOptions for both) record from the
//     client side, for code that dials the live server itself.
//   - Connect is the go-vcr style helper: one call in a test gives the code
//     under test a *grpc.ClientConn that records or replays according to
//     the Mode.
//
// # Modes and the GRPCDOUBLE_RECORD variable
//
// Connect's mode is set in code with WithMode (default ModeRecordOnce) and
// overridden by the environment variable GRPCDOUBLE_RECORD, so re-recording
// every cassette is one command away:
//
//	GRPCDOUBLE_RECORD=all go test ./...
//
// The values are:
//
//	once  record when the cassette is missing, else replay it (ModeRecordOnce)
//	none  replay only; a missing cassette fails the test (ModeReplay)
//	all   record every call, replacing the cassette (ModeRecord)
//	new   replay, and record the calls the cassette lacks (ModeReplayNew)
//	off   forward to the upstream; no cassette is read or written (ModePassthrough)
//
// # Secrets
//
// The values of every metadata key that names a credential (request
// headers, response headers and trailers) are replaced with
// cassette.Redacted before anything is written: a key containing token,
// api-key, apikey, secret, password, cookie, authorization, session or
// credential (cassette.RedactedPatterns), which covers authorization,
// cookie, set-cookie, x-api-key, x-goog-api-key, x-auth-token,
// x-amz-security-token, x-csrf-token and authorization-bin. The one
// exception is grpcdouble-session, which names a test session, not a
// secret (cassette.NeverRedacted).
// Redact adds keys, Keep exempts them, and the AfterCapture and BeforeSave
// hooks can change an interaction any other way: AfterCapture sees it as
// captured, BeforeSave after the built-in redaction, just before the write.
//
// Transport headers (pseudo-headers, content-type, user-agent, te,
// grpc-timeout, grpc-encoding, grpc-accept-encoding) are neither recorded
// nor forwarded; gRPC sets its own.
package record
