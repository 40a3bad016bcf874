package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/internal/boundedfile"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
	"github.com/grpcdouble/grpcdouble/replay"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	*s = append(*s, v)
	return nil
}

// commonConfig holds the flags serve and record share.
type commonConfig struct {
	protos      stringList
	importPaths stringList
	protosets   stringList

	reflect           string
	reflectTLS        bool
	reflectCA         string
	reflectServerName string
	reflectCert       string
	reflectKey        string

	listen      string
	tlsCert     string
	tlsKey      string
	tlsClientCA string

	httpListen  string
	corsOrigins stringList

	admin            string
	adminToken       string
	adminAllowHosts  stringList
	adminShowSecrets bool
	metrics          string // serve --metrics: /metrics alone, on this address

	journalLimit int
	journalBytes int64
	maxFileSize  int64
	logLevel     string
	logFormat    string
}

type serveConfig struct {
	commonConfig
	stubs                stringList
	stubsFormat          string
	globalTemplating     bool
	cassettes            stringList
	replayOnce           bool
	replayInOrder        bool
	replayIgnoreMetadata stringList
	replayMatchMetadata  stringList
	sessionTTL           time.Duration
	watch                bool
	missCodeName         string     // --miss-code as given
	missCode             codes.Code // parsed by parseServe
	upstreamConfig                  // --upstream: the proxy fallback
	redaction
	record string // --record: append the calls sent upstream to this cassette
}

type recordConfig struct {
	commonConfig
	upstreamConfig
	redaction
	cassette       string
	appendCassette bool
}

// redaction is how record, and serve --record, write calls.
type redaction struct {
	redact        stringList
	keep          stringList
	withoutTiming bool
}

func (r *redaction) registerRedaction(fs *flag.FlagSet) {
	fs.Var(&r.redact, "redact", "a metadata `KEY` whose values are written as [REDACTED] (repeatable; every key containing token, api-key, apikey, secret, password, cookie, authorization, session or credential already is, grpcdouble-session excepted)")
	fs.Var(&r.keep, "keep", "a metadata `KEY` to record as is, even one redacted by default (repeatable)")
	fs.BoolVar(&r.withoutTiming, "without-timing", false, "record no offsets, durations or timeouts, so re-recording the same traffic gives the same file")
}

func (r *redaction) recordOptions() []record.Option {
	var opts []record.Option
	if len(r.redact) > 0 {
		opts = append(opts, record.Redact(r.redact...))
	}
	if len(r.keep) > 0 {
		opts = append(opts, record.Keep(r.keep...))
	}
	if r.withoutTiming {
		opts = append(opts, record.WithoutTiming())
	}
	return opts
}

const defaultListen = "127.0.0.1:50051"

func (c *commonConfig) register(fs *flag.FlagSet) {
	c.registerDescriptors(fs)
	c.registerServing(fs)
}

// registerDescriptors registers the flags that say where the services come
// from, which every command shares.
func (c *commonConfig) registerDescriptors(fs *flag.FlagSet) {
	fs.Var(&c.protos, "proto", "a .proto `FILE` to load services from, or a folder of them (repeatable); found relative to --import-path (a folder is its own import path when none is given)")
	fs.Var(&c.importPaths, "import-path", "a `DIR` to resolve .proto files and their imports in (repeatable; default: the current directory)")
	fs.Var(&c.protosets, "protoset", "a descriptor set `FILE` (protoc --include_imports --descriptor_set_out) to load services from (repeatable)")
	fs.StringVar(&c.reflect, "reflect", "", "load services from the server reflection of the live server at `ADDR`")
	fs.BoolVar(&c.reflectTLS, "reflect-tls", false, "use TLS to reach the --reflect server")
	fs.StringVar(&c.reflectCA, "reflect-ca", "", "PEM `FILE` of CAs to trust for the --reflect server (implies --reflect-tls)")
	fs.StringVar(&c.reflectServerName, "reflect-server-name", "", "TLS server `NAME` to verify for the --reflect server (implies --reflect-tls)")
	fs.StringVar(&c.reflectCert, "reflect-cert", "", "PEM client certificate `FILE` to present to the --reflect server, for mutual TLS (needs --reflect-key; implies --reflect-tls)")
	fs.StringVar(&c.reflectKey, "reflect-key", "", "PEM private key `FILE` for --reflect-cert")
}

func (c *commonConfig) registerServing(fs *flag.FlagSet) {
	fs.StringVar(&c.listen, "listen", defaultListen, "gRPC listen `ADDR` (port 0 picks a free port)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "serve TLS with this PEM certificate `FILE` (needs --tls-key)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "PEM private key `FILE` for --tls-cert")
	fs.StringVar(&c.tlsClientCA, "tls-client-ca", "", "require client certificates signed by the CAs in this PEM `FILE` (mutual TLS)")
	fs.StringVar(&c.httpListen, "http", "", "also answer gRPC-Web, Connect and REST (and gRPC over HTTP/2) on `ADDR`, h2c and HTTP/1.1 (TLS with --tls-cert); off when empty. gRPC itself stays on --listen: net/http's gRPC serving reaches 40% of grpc-go's own transport's throughput")
	fs.Var(&c.corsOrigins, "cors-origin", "let browser pages from `ORIGIN` (such as http://localhost:3000, or * for any) call the --http port (repeatable; none by default)")
	fs.StringVar(&c.admin, "admin", "", "serve the HTTP admin API on `ADDR` (e.g. 127.0.0.1:8080); off when empty")
	// The environment default is applied after parsing, so help never
	// prints the token.
	fs.StringVar(&c.adminToken, "admin-token", "", "require \"Authorization: Bearer `TOKEN`\" on every admin request (default: $"+adminTokenEnv+")")
	fs.Var(&c.adminAllowHosts, "admin-allow-host", "also answer admin (and --metrics) requests whose Host header is `NAME` (any port) or NAME:PORT, as when the admin is reached by a DNS name or through a port mapped to another (repeatable; * allows any). By default only the address it listens at, and localhost, 127.0.0.1 or [::1], are answered, against DNS rebinding")
	fs.BoolVar(&c.adminShowSecrets, "admin-show-secrets", false, "show credential metadata (every key containing token, api-key, apikey, secret, password, cookie, authorization, session or credential, grpcdouble-session excepted) as sent in the admin API's /calls, /misses and page; by default it reads [REDACTED]")
	fs.IntVar(&c.journalLimit, "journal-limit", 1000, "keep only the newest `N` calls in the journal (0: all)")
	fs.Int64Var(&c.journalBytes, "journal-bytes", mockserver.DefaultJournalBytes, "keep about `BYTES` of calls in the journal at most (0: no bound); a message over a sixteenth of it is kept truncated")
	fs.Int64Var(&c.maxFileSize, "max-file-size", defaultMaxFileSize, "read no --stubs, --protoset, --cassette or TLS file larger than `BYTES` (at most 1 GiB)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log `LEVEL`: debug (logs every call), info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "log `FORMAT`: text or json")
}

// adminTokenEnv is the variable --admin-token defaults to, so a token need
// not appear in a process listing.
const adminTokenEnv = "GRPCDOUBLE_ADMIN_TOKEN"

func (c *commonConfig) hasDescriptors() bool {
	return len(c.protos) > 0 || len(c.protosets) > 0 || c.reflect != ""
}

func (c *commonConfig) validate() error {
	if c.adminToken == "" {
		c.adminToken = os.Getenv(adminTokenEnv)
	}
	if c.listen == "" {
		return errors.New("--listen: empty address")
	}
	if c.adminToken != strings.TrimSpace(c.adminToken) {
		return errors.New("--admin-token (or $" + adminTokenEnv + "): the token starts or ends with white space, which no client sends; remove it")
	}
	for _, h := range c.adminAllowHosts {
		if c.admin == "" && c.metrics == "" {
			return errors.New("--admin-allow-host is for the admin API and --metrics, and neither --admin nor --metrics was given")
		}
		if err := checkAllowHost(h); err != nil {
			return fmt.Errorf("--admin-allow-host %q: %w", h, err)
		}
	}
	if c.adminShowSecrets && c.admin == "" {
		return errors.New("--admin-show-secrets is for the admin API, and no --admin was given")
	}
	if len(c.corsOrigins) > 0 && c.httpListen == "" {
		return errors.New("--cors-origin is for the --http port, and no --http was given")
	}
	for _, o := range c.corsOrigins {
		if err := checkOrigin(o); err != nil {
			return fmt.Errorf("--cors-origin %q: %w", o, err)
		}
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together; give both or neither")
	}
	if c.tlsClientCA != "" && c.tlsCert == "" {
		return errors.New("--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first")
	}
	if len(c.importPaths) > 0 && len(c.protos) == 0 {
		return errors.New("--import-path is for --proto files, and no --proto was given")
	}
	if err := c.reflectPeer().pairError(); err != nil {
		return err
	}
	if (c.reflectTLS || c.reflectCA != "" || c.reflectServerName != "" || c.reflectCert != "") && c.reflect == "" {
		return errors.New("--reflect-tls, --reflect-ca, --reflect-server-name, --reflect-cert and --reflect-key need --reflect ADDR")
	}
	if c.maxFileSize <= 0 || c.maxFileSize > boundedfile.Limit {
		return fmt.Errorf("--max-file-size: %d: want 1 to %d bytes", c.maxFileSize, boundedfile.Limit)
	}
	if c.journalBytes < 0 {
		return fmt.Errorf("--journal-bytes: %d is negative", c.journalBytes)
	}
	if c.journalLimit < 0 {
		return fmt.Errorf("--journal-limit: %d is negative", c.journalLimit)
	}
	for _, f := range []struct{ flag, path string }{
		{"--tls-cert", c.tlsCert}, {"--tls-key", c.tlsKey}, {"--tls-client-ca", c.tlsClientCA},
		{"--reflect-ca", c.reflectCA}, {"--reflect-cert", c.reflectCert}, {"--reflect-key", c.reflectKey},
	} {
		if err := c.mustBeFile(f.flag, f.path); err != nil {
			return err
		}
	}
	for _, p := range c.protosets {
		if err := c.mustBeFile("--protoset", p); err != nil {
			return err
		}
	}
	for _, p := range c.importPaths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("--import-path %s: %w", p, errors.Unwrap(err))
		}
		if !st.IsDir() {
			return fmt.Errorf("--import-path %s: not a directory", p)
		}
	}
	if _, err := c.level(); err != nil {
		return err
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return fmt.Errorf("--log-format: %q is neither text nor json", c.logFormat)
	}
	return nil
}

// defaultMaxFileSize is --max-file-size's default: 256 MiB.
const defaultMaxFileSize = 256 << 20

// mustBeFile checks a flag's file: a regular file (not a folder, a device
// or a FIFO, which would be read for ever) of at most --max-file-size.
func (c *commonConfig) mustBeFile(flagName, path string) error {
	if path == "" {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s %s: %w", flagName, path, errors.Unwrap(err))
	}
	if st.IsDir() {
		return fmt.Errorf("%s %s: is a directory, want a file", flagName, path)
	}
	return c.checkFile(flagName, path)
}

// checkFile names the flag and the limit when path is not a regular file
// within --max-file-size.
func (c *commonConfig) checkFile(flagName, path string) error {
	err := boundedfile.Check(path, c.maxFileSize)
	switch {
	case errors.Is(err, boundedfile.ErrTooLarge):
		return fmt.Errorf("%s %w (raise --max-file-size, at most %d)", flagName, err, boundedfile.Limit)
	case err != nil:
		return fmt.Errorf("%s %w", flagName, err)
	}
	return nil
}

func (c *commonConfig) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.logLevel)); err != nil {
		return 0, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", c.logLevel)
	}
	return l, nil
}

func (c *commonConfig) logger(stderr io.Writer) *slog.Logger {
	l, _ := c.level()
	opts := &slog.HandlerOptions{Level: l}
	if c.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

// globalTemplatingFlag is --global-response-templating, WireMock's own
// flag of the same name.
func globalTemplatingFlag(fs *flag.FlagSet, v *bool) {
	fs.BoolVar(v, "global-response-templating", false, "render every WireMock mapping's response as a template, as WireMock started with this flag does; without it, only mappings with \"transformers\": [\"response-template\"]")
}

// readFormat is the format a --stubs-format (or --from) name reads, with
// --global-response-templating; the name was checked with the flags.
func readFormat(name string, globalTemplating bool) stubformat.Format {
	f, _ := stubformat.ParseFormat(name)
	if globalTemplating {
		f = f.WithGlobalTemplating()
	}
	return f
}

func serveFlags(output io.Writer) (*flag.FlagSet, *serveConfig) {
	cfg := &serveConfig{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(output)
	cfg.register(fs)
	fs.Var(&cfg.stubs, "stubs", "a stub `PATH`: a YAML or JSON stub file, or a folder of them (repeatable)")
	fs.StringVar(&cfg.stubsFormat, "stubs-format", "auto", "the `FORMAT` of the --stubs files: auto (each file's told by its shape), native, gripmock or wiremock")
	globalTemplatingFlag(fs, &cfg.globalTemplating)
	fs.Var(&cfg.cassettes, "cassette", "a cassette `FILE` to replay (repeatable)")
	fs.BoolVar(&cfg.replayOnce, "replay-once", false, "let each recorded interaction answer one call (until POST /reset); by default each answers any number")
	fs.BoolVar(&cfg.replayInOrder, "replay-in-order", false, "match calls to interactions in recorded order, whatever the method")
	fs.Var(&cfg.replayIgnoreMetadata, "replay-ignore-metadata", "a request metadata `KEY` left out of cassette matching (repeatable)")
	fs.Var(&cfg.replayMatchMetadata, "replay-match-metadata", "match request metadata on this `KEY` only (repeatable; by default every recorded key must match)")
	cfg.registerUpstream(fs, "forward the calls no stub or cassette answers to the live server at `ADDR`")
	fs.StringVar(&cfg.record, "record", "", "append the calls forwarded to --upstream to the cassette `FILE` (created when missing), redacted as record redacts")
	cfg.registerRedaction(fs)
	fs.BoolVar(&cfg.watch, "watch", false, "reload the --stubs files and folders when they change (SIGHUP reloads them too)")
	fs.StringVar(&cfg.metrics, "metrics", "", "serve Prometheus metrics at /metrics on `ADDR`, without the admin API (with --admin they are at its /metrics too); as the admin, it answers only its own address, the loopback names and --admin-allow-host names")
	fs.StringVar(&cfg.missCodeName, "miss-code", "FAILED_PRECONDITION", "the gRPC status `CODE` a call gets when no stub or cassette answers it (and a stream that breaks its stub's script): any name but OK, such as NOT_FOUND as gripmock answers or UNIMPLEMENTED as WireMock does; a stub's own status is kept, and --upstream still gets every such call")
	fs.DurationVar(&cfg.sessionTTL, "session-ttl", 30*time.Minute, "drop a session (calls with metadata grpcdouble-session: NAME) after it is idle this `LONG`")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: grpcdouble serve [flags]

Serves the services found by --proto, --protoset or --reflect, answering from
--stubs and --cassette files, with reflection and grpc.health.v1 on. Calls with
a matching stub get the stub's answer; other calls are replayed from the
cassettes; the rest fail with --miss-code (FAILED_PRECONDITION by default)
naming the nearest stub and why it did not match.

Prints "listening on ADDR" once ready. Stops gracefully on SIGINT or SIGTERM.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, cfg
}

func recordFlags(output io.Writer) (*flag.FlagSet, *recordConfig) {
	cfg := &recordConfig{}
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	fs.SetOutput(output)
	cfg.register(fs)
	cfg.registerUpstream(fs, "the live server's `ADDR` to forward every call to (required)")
	fs.StringVar(&cfg.cassette, "cassette", "", "the cassette `FILE` to write (required; replaced unless --append)")
	fs.BoolVar(&cfg.appendCassette, "append", false, "add to an existing --cassette instead of replacing it")
	cfg.registerRedaction(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: grpcdouble record --upstream ADDR --cassette FILE [flags]

Proxies every call, of every RPC kind, to --upstream and records it to
--cassette: messages, metadata both ways, trailers and status. Deadlines and
cancellation pass through. Without a descriptor flag (--proto, --protoset,
--reflect) the services come from the upstream's reflection.

Prints "listening on ADDR" once ready. On SIGINT or SIGTERM, stops gracefully
with every finished call saved.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, cfg
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelpShown
		}
		return usageError{fmt.Errorf("%w: %v", errUsage, err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("%s: unexpected argument %q (flags start with --)", fs.Name(), fs.Arg(0))}
	}
	return nil
}

func parseServe(args []string, stderr io.Writer) (*serveConfig, error) {
	fs, cfg := serveFlags(stderr)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, usageError{fmt.Errorf("serve: %w", err)}
	}
	// Stubs alone may do: those for grpc.health.v1.Health need no
	// descriptors (they are compiled in), as a gripmock project of health
	// stubs has no .proto.
	if !cfg.hasDescriptors() && cfg.upstream == "" && len(cfg.stubs) == 0 {
		return nil, usageError{errors.New("serve: no services to serve: give --proto FILE (with --import-path DIR), --protoset FILE, --reflect ADDR or --upstream ADDR (or only --stubs, for grpc.health.v1.Health)")}
	}
	if _, err := stubformat.ParseFormat(cfg.stubsFormat); err != nil {
		return nil, usageError{fmt.Errorf("serve: --stubs-format: %w", err)}
	}
	for _, p := range cfg.stubs {
		if _, err := os.Stat(p); err != nil {
			return nil, usageError{fmt.Errorf("serve: --stubs %s: %w", p, errors.Unwrap(err))}
		}
	}
	files, err := expect.StubFiles(cfg.stubs...)
	if err != nil {
		return nil, usageError{fmt.Errorf("serve: --stubs: %w", err)}
	}
	for _, p := range files {
		if err := cfg.checkFile("--stubs", p); err != nil {
			return nil, usageError{fmt.Errorf("serve: %w", err)}
		}
	}
	for _, p := range cfg.cassettes {
		if err := cfg.mustBeFile("--cassette", p); err != nil {
			return nil, usageError{fmt.Errorf("serve: %w", err)}
		}
	}
	if cfg.record != "" && cfg.upstream == "" {
		return nil, usageError{errors.New("serve: --record: only the calls sent to --upstream are recorded; give --upstream ADDR")}
	}
	if cfg.upstream != "" {
		if err := cfg.upstreamPeer().pairError(); err != nil {
			return nil, usageError{fmt.Errorf("serve: %w", err)}
		}
		for _, f := range []struct{ flag, path string }{
			{"--upstream-ca", cfg.upstreamCA}, {"--upstream-cert", cfg.upstreamCert}, {"--upstream-key", cfg.upstreamKey},
		} {
			if err := cfg.mustBeFile(f.flag, f.path); err != nil {
				return nil, usageError{fmt.Errorf("serve: %w", err)}
			}
		}
	}
	if st, err := os.Stat(cfg.record); cfg.record != "" && err == nil && st.IsDir() {
		return nil, usageError{fmt.Errorf("serve: --record %s: is a directory, want a file", cfg.record)}
	}
	if cfg.watch && len(cfg.stubs) == 0 {
		return nil, usageError{errors.New("serve: --watch: there is nothing to watch; give --stubs PATH")}
	}
	if cfg.sessionTTL <= 0 {
		return nil, usageError{fmt.Errorf("serve: --session-ttl %s: want a positive duration such as 30m", cfg.sessionTTL)}
	}
	if cfg.missCode, err = parseMissCode(cfg.missCodeName); err != nil {
		return nil, usageError{fmt.Errorf("serve: %w", err)}
	}
	return cfg, nil
}

// missCodeNames are the codes --miss-code takes: every one but OK.
const missCodeNames = "CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS or UNAUTHENTICATED"

// parseMissCode reads a --miss-code: a status code's name as the gRPC
// specification spells it, in any case. A miss must fail, so OK is refused.
func parseMissCode(name string) (codes.Code, error) {
	var c codes.Code
	// grpc-go's own reading of a name; quoted, so a number is not one.
	if err := c.UnmarshalJSON([]byte(strconv.Quote(strings.ToUpper(name)))); err != nil || c == codes.OK {
		return 0, fmt.Errorf("--miss-code %q: want the name of a gRPC status code other than OK: %s", name, missCodeNames)
	}
	return c, nil
}

func parseRecord(args []string, stderr io.Writer) (*recordConfig, error) {
	fs, cfg := recordFlags(stderr)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, usageError{fmt.Errorf("record: %w", err)}
	}
	if cfg.upstream == "" {
		return nil, usageError{errors.New("record: --upstream ADDR is required")}
	}
	if cfg.cassette == "" {
		return nil, usageError{errors.New("record: --cassette FILE is required")}
	}
	if err := cfg.upstreamPeer().pairError(); err != nil {
		return nil, usageError{fmt.Errorf("record: %w", err)}
	}
	for _, f := range []struct{ flag, path string }{
		{"--upstream-ca", cfg.upstreamCA}, {"--upstream-cert", cfg.upstreamCert}, {"--upstream-key", cfg.upstreamKey},
	} {
		if err := cfg.mustBeFile(f.flag, f.path); err != nil {
			return nil, usageError{fmt.Errorf("record: %w", err)}
		}
	}
	if st, err := os.Stat(cfg.cassette); err == nil && st.IsDir() {
		return nil, usageError{fmt.Errorf("record: --cassette %s: is a directory, want a file", cfg.cassette)}
	}
	return cfg, nil
}

func (c *commonConfig) reflectPeer() peerTLS {
	return peerTLS{flag: "--reflect", tls: c.reflectTLS, ca: c.reflectCA, serverName: c.reflectServerName, cert: c.reflectCert, key: c.reflectKey}
}

func (c *serveConfig) replayOptions() []replay.Option {
	var opts []replay.Option
	if !c.replayOnce {
		opts = append(opts, replay.Reusable())
	}
	if c.replayInOrder {
		opts = append(opts, replay.InOrder())
	}
	if len(c.replayIgnoreMetadata) > 0 {
		opts = append(opts, replay.IgnoreMetadata(c.replayIgnoreMetadata...))
	}
	if len(c.replayMatchMetadata) > 0 {
		opts = append(opts, replay.MatchMetadata(c.replayMatchMetadata...))
	}
	return append(opts, replay.WithMissCode(c.missCode))
}

// checkAllowHost checks one --admin-allow-host: a host name or address, with
// a port or without, as a Host header carries it (or *).
func checkAllowHost(h string) error {
	if h == "*" {
		return nil
	}
	if h == "" || strings.ContainsAny(h, "/ \t@?#") || strings.Contains(h, "*") {
		return errors.New("want a host NAME or NAME:PORT as a Host header carries it (no scheme, path or wildcard; * alone allows any host)")
	}
	if host, port, err := net.SplitHostPort(h); err == nil {
		if host == "" {
			return errors.New("the name before the port is empty")
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q: want a number from 1 to 65535", port)
		}
	}
	return nil
}
