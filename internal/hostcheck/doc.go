// Package hostcheck is the one Host rule of grpcdouble's HTTP endpoints
// that a page must not reach (the admin API and its page, and the
// metrics on a listener of their own): a request is answered only when its
// Host header names where the server listens, a loopback name, or a name
// the user allowed. A page that points its own domain name at 127.0.0.1
// (DNS rebinding) sends its own name, and is refused.
//
// It uses the standard library only, so package admin/metrics can apply
// the rule without linking package admin.
package hostcheck
