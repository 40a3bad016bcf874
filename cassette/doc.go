// Package cassette is the file format record writes and replay reads: a
// versioned, text, diffable log of gRPC calls.
//
// # Format
//
// A cassette is a sequence of JSON documents. The first is the header,
//
//	{"format": "grpcdouble-cassette", "version": 1}
//
// and each one after it is one finished call (an Interaction), pretty-printed
// so a pull request shows a changed message as a changed line:
//
//	{
//	  "method": "/routeguide.RouteGuide/GetFeature",
//	  "kind": "unary",
//	  "metadata": {"x-user": ["ann"]},
//	  "events": [
//	    {"type": "client_message", "at": "12µs", "message": {"latitude": 1}},
//	    {"type": "half_close", "at": "12µs"},
//	    {"type": "header", "at": "310µs", "metadata": {"x-served-by": ["a"]}},
//	    {"type": "server_message", "at": "311µs", "message": {"name": "x"}}
//	  ],
//	  "trailer": {"x-cost": ["3"]},
//	  "status": {"code": "OK"},
//	  "duration": "320µs"
//	}
//
// Messages are protojson objects. A message whose type was unknown when it
// was recorded is kept as its wire bytes, {"@type": "pkg.Msg", "@raw": "<base64>"}
// (for a google.protobuf.Any, such as a status detail, @type is its type URL
// and @raw its value). Metadata keys ending in -bin hold base64 values.
// Events are in the order the recorder saw them, so the interleaving of a
// bidirectional stream survives; "at" is the offset from the call's start
// and is optional.
//
// # Crash safety
//
// A Writer appends each interaction with a single write (and, by default, an
// fsync), and creates a new file by writing its header to a temporary file
// that is renamed into place. A process killed mid-run therefore leaves a
// file holding every call that finished before the kill; at worst the last
// document is cut short. Load tolerates exactly that case: it keeps every
// complete interaction and reports the torn tail in Cassette.Torn. Damage
// anywhere else is an error naming the file, the line and the field: a
// FormatErrors listing every malformed interaction (after a syntax error,
// reading goes on at the next line that opens an object in its first
// column, where the recorder starts each interaction). Such a cassette is
// not returned for serving; the error's Read holds the well-formed rest,
// for a check such as grpcdouble lint.
//
// # Fuzzing
//
// Two fuzz targets guard the parser: FuzzParseEncode (Parse never panics,
// and what it accepts encodes to a fixed point) and FuzzDecode (the
// messages and status details of an accepted cassette decode, or fail
// with an error, and round-trip). go test runs their seed corpora, under
// testdata/fuzz/<target>/. To fuzz one for longer, from the module root:
//
//	go test -run XXX -fuzz '^FuzzParseEncode$' -fuzztime 10m -fuzzminimizetime 10s ./cassette/
//	go test -run XXX -fuzz '^FuzzDecode$' -fuzztime 10m -fuzzminimizetime 10s ./cassette/
//
// -fuzzminimizetime bounds how long the fuzzer shrinks each new input it
// finds (60s by default), time in which it runs no new inputs; keep seeds
// small for the same reason. A crasher is written under
// testdata/fuzz/<target>/: fix the bug and commit the file, which then
// runs with every go test.
package cassette
