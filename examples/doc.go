// Package examples holds runnable tests a user can copy: one per RPC kind,
// metadata assertions, errors with details, deadlines, retries and stub
// files, all against the routeguide example service.
package examples
