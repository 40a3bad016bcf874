package hostcheck

import (
	"net"
	"net/http"
	"strings"
)

// Allowed reports whether r's Host names where the server it came through
// listens; when not, want is that address. allow are further names:
// "NAME" allows the name at any port, "NAME:PORT" at that port only, and
// "*" turns the check off. The loopback names (localhost, 127.0.0.1,
// [::1]) are allowed at any port, as a port Docker publishes may differ
// from the one listened on, and a rebinding page never sends them. A
// request that came through no listener (a handler called directly), or
// through one that is not an IP listener (a unix socket), has nothing to
// check.
func Allowed(r *http.Request, allow []string) (want string, ok bool) {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if local == nil || r.Host == "" {
		return "", true
	}
	want = local.String()
	lhost, lport, err := net.SplitHostPort(want)
	if err != nil {
		return want, true // not an IP listener: no name to check
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		// No port: the scheme's default.
		host, port = strings.TrimSuffix(strings.TrimPrefix(r.Host, "["), "]"), "80"
		if r.TLS != nil {
			port = "443"
		}
	}
	host = strings.ToLower(host)
	for _, h := range allow {
		h = strings.ToLower(h)
		if h == "*" {
			return want, true
		}
		if ah, ap, err := net.SplitHostPort(h); err == nil {
			if ah == host && ap == port {
				return want, true
			}
		} else if strings.TrimSuffix(strings.TrimPrefix(h, "["), "]") == host {
			return want, true
		}
	}
	switch host {
	case "localhost", "127.0.0.1", "::1":
		return want, true
	case lhost:
		return want, port == lport
	}
	return want, false
}
