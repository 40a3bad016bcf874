package admin

import (
	"fmt"
	"net/http"
	"net/url"
)

// sameOrigin refuses a request that would change something (any method
// but GET, HEAD and OPTIONS) when a browser says it comes from another
// site: a page a developer happens to visit could otherwise POST stubs to
// a mock on loopback as a "simple" cross-site request, which needs no CORS
// preflight. Browsers send Origin on every such request; clients that are
// not browsers (curl, tests) send none and are not affected. The admin's
// own page is same-origin.
func sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		u, err := url.Parse(origin)
		if err != nil || origin == "null" || u.Host != r.Host {
			writeError(w, http.StatusForbidden, fmt.Sprintf("%s %s from the page at %s: the admin API changes nothing for another site's page (its own page is at http://%s/ui/)", r.Method, r.URL.Path, origin, r.Host))
			return
		}
		next.ServeHTTP(w, r)
	})
}
