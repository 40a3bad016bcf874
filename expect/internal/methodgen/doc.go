// Command methodgen writes expect's methods_gen.go: for every exported
// expectation type, a method for each method of the generic types it embeds
// (the metadata matchers, headers, trailers, counts, ... every kind shares),
// forwarding to it. Promoted methods of an embedded generic type are callable
// but go doc does not list them; the forwarding methods make go doc
// expect.UnaryExpectation show everything a user can chain.
//
// Run it with go generate ./expect after adding or changing a shared method.
// Every shared method must start with x.e.tb().Helper(), so that a setup
// error it reports points at the user's line; methodgen refuses one that
// does not.
package main
