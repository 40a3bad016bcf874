// Package examples holds runnable tests a user can copy: one per RPC kind,
// metadata assertions, errors with details, deadlines, retries and stub
// files, all against the routeguide example service. dynamic_test.go and
// dynamic/dynamic.yaml show stubs that answer from what they receive:
// templates (an echo, a stream built with range), field matchers, a
// catch-all with a low priority, and scenarios (a retry, register then
// login). readme_test.go runs every Go snippet of the README as written,
// and package examples/dynamic tests a service known only from its .proto
// file, with no generated code.
package examples
