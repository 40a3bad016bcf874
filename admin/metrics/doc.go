// Package metrics counts what a grpcdouble server does, for Prometheus:
// calls by method, status code and what answered them (a stub, with its id
// when it was loaded from a file; a cassette; the upstream; nothing),
// messages in and out, a latency histogram, and any gauge the server adds
// (stubs loaded, journal size, sessions, reloads).
//
// It is a grpc stats.Handler, so it sees every call and message without
// touching the handlers; a handler says what answered with Answered:
//
//	m := metrics.New(metrics.LabelStub(func(id string) bool { return fromFile[id] }))
//	srv, _ := mockserver.New(h, mockserver.WithServerOptions(grpc.StatsHandler(m)))
//	http.Handle("/metrics", m.Handler())
//
// On a listener of their own, serve them with Standalone, which answers
// only requests addressed to that listener, as the admin API does (the
// labels name methods and stub ids a DNS-rebinding page must not read).
//
// It lives apart from package admin so that only a server that serves
// metrics links the Prometheus client.
package metrics
