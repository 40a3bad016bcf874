// Package newest keeps the newest items of an unbounded stream: the one
// "keep the newest N" of grpcdouble, shared by the server's journal of
// calls, the expect Mock's unmatched calls and replay's misses, so a server
// that runs for days holds a bounded amount of each.
package newest
