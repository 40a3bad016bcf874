package admin

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/grpcdouble/grpcdouble/internal/hostcheck"
)

// WithAllowedHosts lets requests whose Host header names one of hosts
// through the Host check: "NAME" allows the name at any port, "NAME:PORT"
// at that port only, and "*" turns the check off (behind a proxy that
// rewrites Host, say). By default the admin API answers only requests
// addressed to where it listens: the address the connection arrived on,
// or localhost, 127.0.0.1 or [::1] (at any port, as a port Docker
// publishes may differ from the one listened on). A page that points its
// own domain name at 127.0.0.1 (DNS rebinding) sends its own name, and is
// refused even for reads such as GET /calls.
func WithAllowedHosts(hosts ...string) Option {
	return optionFunc(func(c *config) { c.allowHosts = append(c.allowHosts, hosts...) })
}

// sameSite refuses what a page on another site could make a browser send:
//
//   - any request whose Host is not where the API listens (see
//     WithAllowedHosts), so a DNS-rebinding page can neither read nor
//     write;
//   - a request that would change something (any method but GET, HEAD
//     and OPTIONS) when the browser says it comes from another site: a
//     page could otherwise POST stubs as a "simple" cross-site request,
//     which needs no CORS preflight. Browsers send Origin on every such
//     request; clients that are not browsers (curl, tests) send none and
//     are not affected. The admin's own page is same-origin.
//
// It wraps the whole API, the page included.
func (a *API) sameSite(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if want, ok := a.hostAllowed(r); !ok {
			writeError(w, http.StatusForbidden, fmt.Sprintf("%s %s for host %q: the admin API listens at %s and answers only requests addressed to it (a page whose name points at this address, DNS rebinding, sends its own); use http://%s/, or allow the name with admin.WithAllowedHosts (grpcdouble serve --admin-allow-host NAME)", r.Method, r.URL.Path, r.Host, want, want))
			a.rejected.warn("admin: rejected request for another host", "method", r.Method, "path", r.URL.Path, "host", r.Host, "remote", r.RemoteAddr)
			return
		}
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
			a.rejected.warn("admin: rejected request from another site's page", "method", r.Method, "path", r.URL.Path, "origin", origin, "remote", r.RemoteAddr)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether r's Host names where the API listens (or
// a name WithAllowedHosts gave); when not, want is that address.
func (a *API) hostAllowed(r *http.Request) (want string, ok bool) {
	return hostcheck.Allowed(r, a.cfg.allowHosts)
}

// jsonOrYAML are the content types a request body may have.
var jsonOrYAML = []string{"application/json", "application/yaml", "application/x-yaml", "text/yaml"}

// contentTypeError says why a body's content type is refused ("" when it
// is accepted). A browser sends a cross-site "simple" request only as
// text/plain, a form or multipart, so requiring JSON or YAML also keeps
// such a request out.
func contentTypeError(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return fmt.Sprintf("the request body has no Content-Type: send it as one of %s (curl -H 'Content-Type: application/yaml')", strings.Join(jsonOrYAML, ", "))
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		for _, ok := range jsonOrYAML {
			if mt == ok {
				return ""
			}
		}
	}
	return fmt.Sprintf("Content-Type %q: the request body must be JSON or YAML, sent as one of %s (curl -H 'Content-Type: application/yaml')", ct, strings.Join(jsonOrYAML, ", "))
}

// rejectBurst is how many rejected requests are logged a second; the rest
// are counted, and one line says how many were not logged.
const rejectBurst = 10

// rejectLog logs rejected requests at WARN, at most rejectBurst a second,
// so traffic nobody authenticated cannot flood the log.
type rejectLog struct {
	log    *slog.Logger
	now    func() time.Time // time.Now; tests set it
	manual bool             // tests: no flush but the next window's

	mu         sync.Mutex
	window     time.Time // start of the current second
	logged     int       // lines logged in it
	suppressed int       // rejections not logged since the last summary
	timer      *time.Timer
}

func (l *rejectLog) warn(msg string, args ...any) {
	l.mu.Lock()
	now := l.now()
	if now.Sub(l.window) >= time.Second {
		l.flushLocked()
		l.window, l.logged = now, 0
	}
	if l.logged < rejectBurst {
		l.logged++
		l.mu.Unlock()
		l.log.Warn(msg, args...)
		return
	}
	l.suppressed++
	if l.timer == nil && !l.manual {
		// Say how many were left out even when no rejection follows.
		l.timer = time.AfterFunc(time.Second-now.Sub(l.window), l.flush)
	}
	l.mu.Unlock()
}

func (l *rejectLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *rejectLog) flushLocked() {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if l.suppressed == 0 {
		return
	}
	n := l.suppressed
	l.suppressed = 0
	l.log.LogAttrs(context.Background(), slog.LevelWarn, "admin: more rejected requests not logged one by one", slog.Int("suppressed", n), slog.Int("loggedPerSecond", rejectBurst))
}
