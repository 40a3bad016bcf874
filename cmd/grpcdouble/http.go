package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"connectrpc.com/cors"

	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/mockserver/transcoder"
)

// listenHTTP serves gRPC-Web, Connect and REST (and gRPC over HTTP/2) for
// srv on --http: h2c and HTTP/1.1, or TLS with HTTP/2 by ALPN when srv
// serves TLS. Calls reach the same handler as on --listen.
func listenHTTP(c *commonConfig, srv *mockserver.Server, tlsCfg *tls.Config, log *slog.Logger, stdout io.Writer) (*http.Server, net.Listener, error) {
	h, err := transcoder.Handler(srv, transcoder.WithMaxMessageBytes(maxMessageBytes))
	if err != nil {
		return nil, nil, fmt.Errorf("--http: %w", err)
	}
	ln, err := net.Listen("tcp", c.httpListen)
	if err != nil {
		return nil, nil, fmt.Errorf("--http %s: %w", c.httpListen, err)
	}
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	p.SetHTTP2(true)
	hs := &http.Server{
		Handler:           withCORS(c.corsOrigins, h),
		Protocols:         &p,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if tlsCfg != nil {
		hs.TLSConfig = tlsCfg.Clone()
		ln = tls.NewListener(ln, withALPN(hs.TLSConfig))
	}
	fmt.Fprintf(stdout, "http listening on %s\n", ln.Addr())
	log.Info("HTTP protocols", "listen", ln.Addr().String(), "protocols", "gRPC-Web, Connect, REST, gRPC", "tls", tlsCfg != nil, "cors-origins", []string(c.corsOrigins))
	return hs, ln, nil
}

// withALPN offers HTTP/2 and HTTP/1.1 by ALPN, as http.Server.ServeTLS
// would.
func withALPN(cfg *tls.Config) *tls.Config {
	cfg.NextProtos = []string{"h2", "http/1.1"}
	return cfg
}

// checkOrigin accepts "*" or a scheme://host[:port] origin.
func checkOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return errors.New("want * or an origin such as http://localhost:3000 (scheme and host, no path)")
	}
	return nil
}

// withCORS lets browser pages from origins call h: preflights are answered
// with the methods and headers Connect and gRPC-Web use (connectrpc.com/cors
// lists them) plus any the page asks for, since metadata is headers; every
// response exposes the protocol's headers and the rest. A request from
// another origin gets no CORS headers, so the browser refuses it. With no
// origins, h is served as it is.
func withCORS(origins []string, h http.Handler) http.Handler {
	if len(origins) == 0 {
		return h
	}
	allowMethods := strings.Join(cors.AllowedMethods(), ", ")
	allowHeaders := cors.AllowedHeaders()
	expose := strings.Join(append(cors.ExposedHeaders(), "*"), ", ")
	anyOrigin := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			h.ServeHTTP(w, r)
			return
		}
		allowed := anyOrigin || slices.Contains(origins, strings.TrimSuffix(origin, "/"))
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		w.Header().Add("Vary", "Origin")
		if !allowed {
			if preflight {
				http.Error(w, fmt.Sprintf("grpcdouble: origin %s is not allowed (--cors-origin)", origin), http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		if preflight {
			w.Header().Set("Access-Control-Allow-Methods", allowMethods)
			headers := slices.Clone(allowHeaders)
			if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" {
				headers = append(headers, asked)
			}
			w.Header().Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
			w.Header().Set("Access-Control-Max-Age", "7200")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Access-Control-Expose-Headers", expose)
		h.ServeHTTP(w, r)
	})
}
