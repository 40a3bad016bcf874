// Package examples holds runnable tests a user can copy: one per RPC kind,
// metadata assertions, errors with details, deadlines, retries and stub
// files, all against the routeguide example service. readme_test.go runs
// every Go snippet of the README as written, and package examples/dynamic
// tests a service known only from its .proto file, with no generated code.
package examples
