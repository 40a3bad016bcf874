// Package admin serves the HTTP admin API of a grpcdouble server: JSON over
// HTTP to add, list and delete stubs, list the calls received, verify how
// often stubs were hit, explain why a request missed, list misses and reset.
//
// It serves any *mockserver.Server with the expect.Mock (and the replay
// cassettes) it answers from, so the standalone grpcdouble command and an
// in-process test share one API:
//
//	m := expect.NewMock()
//	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
//	api := admin.New(srv, admin.WithMock(m))
//	web := httptest.NewServer(api) // or http.Serve(listener, api)
//
// The endpoints:
//
//	GET    /calls[?method=M]   the journal of received calls
//	DELETE /calls              empty the journal
//	GET    /services           the services and methods served
//	POST   /stubs              add stubs (YAML or JSON, the stub-file format)
//	GET    /stubs              list stubs with their hit counts
//	GET    /stubs/{id}         one stub
//	DELETE /stubs/{id}         delete one stub
//	POST   /verify             check hit counts ({"id": ..., "times": n})
//	POST   /explain            why a request matches no stub
//	GET    /misses             the calls no stub (or cassette) answered
//	GET    /scenarios          every scenario the stubs name, with its state
//	PUT    /scenarios/{name}   {"state": "..."} sets one
//	POST   /reset              empty the journal, restore the stub files
//	GET    /sessions           the sessions (with WithSessions)
//	DELETE /sessions/{name}    drop a session
//
// With WithSessions (an expect.Sessions), every stub and journal endpoint
// works in the session named by ?session=NAME or the header
// grpcdouble-session, as calls carrying that metadata do.
//
// Errors are JSON objects {"error": "..."} with a 4xx code that says what
// was wrong; WithToken demands a bearer token on every request.
//
// What a web page could make a browser send is refused: a request whose
// Host is not where the API listens (DNS rebinding; WithAllowedHosts adds
// names), a change from another site's page (its Origin), and a body that
// is not JSON or YAML by its Content-Type (415). The journal's credential
// metadata (the keys cassette.DefaultRedacts reports) reads [REDACTED] in
// GET /calls, GET /misses, the errors of POST /verify and the page, unless
// WithSecretsShown. Rejected requests are logged at most ten a
// second, then counted.
package admin
