// Package gripmock reads gripmock (v3) stub files and translates them into
// grpcdouble's own stubs, which expect serves: a reader, not a second
// engine. The translation keeps the lines of the gripmock file, so every
// error names the gripmock file and line, and a construct grpcdouble cannot
// honour is reported with its file:line and name rather than skipped.
//
// The mapping (docs/MIGRATING.md has it side by side):
//
//   - service and method: the native method; a short service name (Greeter)
//     resolves against the served services.
//   - input.equals and input.contains: a partial request match on the fields
//     given; headers.equals, contains, matches and glob: metadata matchers.
//   - anyOf: one native stub per alternative, each the base AND the
//     alternative.
//   - inputs: a client stream's messages in order; on a bidi stream a
//     forEach rule taking a message that passes any input, message i of the
//     call answered with stream[i].
//   - output.data, stream, error, code, details, headers, trailers, delay
//     (before each streamed message), _gripmock per-message delay and error;
//     a delay that is a template stays one (.AttemptNumber is .Hit,
//     .MessageIndex .Index), rendered per call as gripmock renders it.
//   - templates: gripmock's template data and its aliases (.Timestamp,
//     .RequestID, .AttemptIndex); .MaxAttempts and .TotalAttempts are the
//     stub's options.times, written in as a number. .State is refused: an
//     empty map in gripmock, a scenario's state here.
//   - options.times: times {max: n}; priority and specificity: the order the
//     stubs of a file are tried in.
package gripmock
