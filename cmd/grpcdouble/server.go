package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/admin"
	"github.com/grpcdouble/grpcdouble/admin/metrics"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

const (
	// stopTimeout bounds the graceful stop: running calls get this long to
	// finish before they are cancelled.
	stopTimeout = 10 * time.Second
	// maxMessageBytes is the largest message served or relayed.
	maxMessageBytes = 64 << 20
)

// descriptorSources turns the descriptor flags into mockserver sources. The
// returned function closes any connection opened for --reflect; call it once
// the server has loaded its services.
func (c *commonConfig) descriptorSources() ([]mockserver.Source, func(), error) {
	var out []mockserver.Source
	closeFn := func() {}
	if len(c.protos) > 0 {
		importPaths, files, err := expandProtos(c.importPaths, c.protos)
		if err != nil {
			return nil, closeFn, err
		}
		out = append(out, mockserver.ProtoFiles(importPaths, files...))
	}
	for _, p := range c.protosets {
		out = append(out, mockserver.Protoset(p))
	}
	if c.reflect != "" {
		opts, err := dialOptions(c.reflectPeer())
		if err != nil {
			return nil, closeFn, err
		}
		conn, err := grpc.NewClient(c.reflect, opts...)
		if err != nil {
			return nil, closeFn, fmt.Errorf("--reflect %s: %w", c.reflect, err)
		}
		closeFn = func() { _ = conn.Close() }
		out = append(out, named{"--reflect " + c.reflect, mockserver.Reflection(conn)})
	}
	return out, closeFn, nil
}

// named is a descriptor source whose errors say which flag and address it
// came from: "reflection: list services: Unavailable" alone does not tell a
// user with several flags what to fix.
type named struct {
	name string
	mockserver.Source
}

func (n named) Services(ctx context.Context) ([]protoreflect.ServiceDescriptor, error) {
	sds, err := n.Source.Services(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.name, err)
	}
	return sds, nil
}

// instance is a running gRPC server with its optional admin API.
type instance struct {
	srv     *mockserver.Server
	adminLn net.Listener
	http    *http.Server
	log     *slog.Logger
	served  chan error

	web       *http.Server // --http: gRPC-Web, Connect, REST
	webServed chan error

	metricsLn net.Listener // --metrics, serving /metrics alone
	metrics   *http.Server
	mserved   chan error
}

// start listens (admin first, so a taken admin port fails before anything
// serves), starts the gRPC server and prints the addresses. The admin API
// gets adminOpts, with the token and the logger.
//
// met, when not nil, counts every call, and serves /metrics on the admin
// address and on c.metrics.
func start(c *commonConfig, h mockserver.Handler, sources []mockserver.Source, adminOpts []admin.Option, met *metrics.Metrics, stdout io.Writer, log *slog.Logger, ready func(*mockserver.Server) error) (*instance, error) {
	in := &instance{log: log}
	if met != nil && c.metrics != "" {
		ln, err := net.Listen("tcp", c.metrics)
		if err != nil {
			return nil, fmt.Errorf("--metrics %s: %w", c.metrics, err)
		}
		in.metricsLn = ln
	}
	if c.admin != "" {
		ln, err := net.Listen("tcp", c.admin)
		if err != nil {
			in.closeAdminListener()
			return nil, fmt.Errorf("--admin %s: %w", c.admin, err)
		}
		in.adminLn = ln
		if c.adminToken == "" && !isLoopback(ln.Addr()) {
			log.Warn("THE ADMIN API IS OPEN TO THE NETWORK WITHOUT A TOKEN: anyone who can reach it can change what this server answers; set --admin-token or bind --admin to 127.0.0.1",
				"admin", ln.Addr().String())
		}
	}
	tlsCfg, err := c.serverTLS()
	if err != nil {
		in.closeAdminListener()
		return nil, err
	}
	opts := append([]mockserver.Option{mockserver.WithTCP(c.listen), mockserver.WithJournalLimit(c.journalLimit), mockserver.WithJournalBytes(c.journalBytes)}, sourceOptions(sources)...)
	if tlsCfg != nil {
		opts = append(opts, mockserver.WithTLS(tlsCfg))
	}
	// WithMaxMessageSize rather than gRPC's options keeps mockserver's fast
	// path, which marshals each message once, straight into the journal.
	opts = append(opts, mockserver.WithMaxMessageSize(maxMessageBytes))
	if c.admin == "" {
		// Only the admin API reads the journal: without it, keeping one
		// would cost every call for nothing. With no journal there is no
		// fast path to keep, and the dynamic codec is the quicker one.
		opts = append(opts, mockserver.WithoutJournal(), mockserver.WithServerOptions(codecServerOption()))
	}
	if met != nil {
		opts = append(opts, mockserver.WithServerOptions(grpc.StatsHandler(met)))
	}
	if log.Enabled(context.Background(), slog.LevelDebug) {
		opts = append(opts, mockserver.WithServerOptions(
			grpc.ChainUnaryInterceptor(unaryLogger(log)),
			grpc.ChainStreamInterceptor(streamLogger(log)),
		))
	}
	srv, err := mockserver.New(h, opts...)
	if err != nil {
		in.closeAdminListener()
		if errors.Is(err, mockserver.ErrUnknownMethod) || errors.Is(err, mockserver.ErrServiceNotFound) {
			return nil, fmt.Errorf("descriptors: %w", err)
		}
		return nil, err
	}
	in.srv = srv
	if ready != nil {
		if err := ready(srv); err != nil {
			srv.Close()
			in.closeAdminListener()
			return nil, err
		}
	}
	if c.httpListen != "" {
		web, ln, err := listenHTTP(c, srv, tlsCfg, log, stdout)
		if err != nil {
			srv.Close()
			in.closeAdminListener()
			return nil, err
		}
		in.web, in.webServed = web, make(chan error, 1)
		go func() { in.webServed <- web.Serve(ln) }()
	}
	var names []string
	for _, sd := range srv.Services() {
		names = append(names, string(sd.FullName()))
	}
	log.Info("serving", "listen", srv.Addr(), "tls", tlsCfg != nil, "mtls", tlsCfg != nil && tlsCfg.ClientCAs != nil, "services", names)
	if in.adminLn != nil {
		adminOpts = append(adminOpts, admin.WithToken(c.adminToken), admin.WithLogger(log), admin.WithAllowedHosts(c.adminAllowHosts...))
		if c.adminShowSecrets {
			adminOpts = append(adminOpts, admin.WithSecretsShown())
		}
		if met != nil {
			adminOpts = append(adminOpts, admin.WithMetrics(met.Handler()))
		}
		api := admin.New(srv, adminOpts...)
		in.http = &http.Server{
			Handler:           api,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       time.Minute,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		in.http.RegisterOnShutdown(api.CloseStreams)
		in.served = make(chan error, 1)
		go func() { in.served <- in.http.Serve(in.adminLn) }()
		fmt.Fprintf(stdout, "admin listening on %s\n", in.adminLn.Addr())
		log.Info("admin API", "listen", in.adminLn.Addr().String(), "token", c.adminToken != "")
	}
	if in.metricsLn != nil {
		in.metrics = &http.Server{
			// The admin's Host rule and --admin-allow-host, against DNS rebinding.
			Handler:           met.Standalone(c.adminAllowHosts...),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       time.Minute,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		in.mserved = make(chan error, 1)
		go func() { in.mserved <- in.metrics.Serve(in.metricsLn) }()
		fmt.Fprintf(stdout, "metrics listening on %s\n", in.metricsLn.Addr())
		log.Info("metrics", "listen", in.metricsLn.Addr().String(), "path", "/metrics")
	}
	fmt.Fprintf(stdout, "listening on %s\n", srv.Addr())
	return in, nil
}

// expandProtos replaces each --proto folder by the .proto files under it, and
// makes the folder an import path when no --import-path was given.
func expandProtos(importPaths, protos []string) ([]string, []string, error) {
	importPaths = slices.Clone(importPaths)
	explicit := len(importPaths) > 0
	var files []string
	for _, p := range protos {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			files = append(files, p) // the parser names a missing file
			continue
		}
		if !explicit {
			importPaths = append(importPaths, p)
		}
		n := len(files)
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".proto") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("--proto %s: %w", p, err)
		}
		if len(files) == n {
			return nil, nil, fmt.Errorf("--proto %s: the folder holds no .proto files", p)
		}
	}
	return importPaths, files, nil
}

func sourceOptions(sources []mockserver.Source) []mockserver.Option {
	out := make([]mockserver.Option, len(sources))
	for i, s := range sources {
		out[i] = mockserver.WithSource(s)
	}
	return out
}

func (in *instance) closeAdminListener() {
	if in.adminLn != nil {
		_ = in.adminLn.Close()
	}
	if in.metricsLn != nil {
		_ = in.metricsLn.Close()
	}
}

// stop stops gracefully: no new calls, running calls get stopTimeout to end.
func (in *instance) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	in.log.Info("stopping", "grace", stopTimeout.String())
	if in.web != nil {
		// First, as stopping the gRPC server ends the calls it serves
		// through net/http at once rather than letting them finish.
		if err := in.web.Shutdown(ctx); err != nil {
			_ = in.web.Close()
		}
		<-in.webServed
	}
	in.srv.GracefulStop(ctx)
	if in.http != nil {
		if err := in.http.Shutdown(ctx); err != nil {
			_ = in.http.Close()
		}
		<-in.served
	}
	if in.metrics != nil {
		if err := in.metrics.Shutdown(ctx); err != nil {
			_ = in.metrics.Close()
		}
		<-in.mserved
	}
}

func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

func unaryLogger(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		t0 := time.Now()
		resp, err := handler(ctx, req)
		log.Debug("call", "method", info.FullMethod, "code", status.Code(err).String(), "duration", time.Since(t0))
		return resp, err
	}
}

func streamLogger(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		t0 := time.Now()
		err := handler(srv, ss)
		log.Debug("call", "method", info.FullMethod, "code", status.Code(err).String(), "duration", time.Since(t0))
		return err
	}
}
