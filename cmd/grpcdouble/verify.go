package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
)

// exitError ends the program with a chosen exit status: verify exits 1 on
// drift and 2 when it could not check, lint 1 on problems.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

type verifyConfig struct {
	commonConfig
	upstreamConfig
	cassettes      stringList
	methods        stringList
	ignoreFields   stringList
	ignoreHeaders  stringList
	headers        stringList
	headerEnvs     stringList
	format         string
	update         bool
	timeout        time.Duration
	stepTimeout    time.Duration
	connectTimeout time.Duration

	set map[string][]string // from --header and --header-env
}

func verifyFlags(output io.Writer) (*flag.FlagSet, *verifyConfig) {
	cfg := &verifyConfig{}
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(output)
	cfg.registerDescriptors(fs)
	cfg.registerUpstream(fs, "the live server's `ADDR` to check the cassettes against (required)")
	fs.Var(&cfg.cassettes, "cassette", "a cassette `FILE` to verify (repeatable; at least one)")
	fs.Var(&cfg.methods, "method", "also call this `METHOD` (/pkg.Service/Method), which its .proto does not mark idempotent (repeatable)")
	fs.Var(&cfg.ignoreFields, "ignore-field", "leave the field `pkg.Message.field` out of the comparison, wherever that message appears in an answer (repeatable)")
	fs.Var(&cfg.ignoreHeaders, "ignore-header", "leave this response header or trailer `KEY` out of the comparison (repeatable)")
	fs.Var(&cfg.headers, "header", "send request metadata `KEY=VALUE` in every call, in place of the recorded value (repeatable; how credentials recorded as [REDACTED] are given)")
	fs.Var(&cfg.headerEnvs, "header-env", "like --header, with the value read from an environment variable: `KEY=VAR` (repeatable; keeps secrets out of process listings)")
	fs.StringVar(&cfg.format, "format", "text", "report `FORMAT`: text or json")
	fs.BoolVar(&cfg.update, "update", false, "rewrite the drifted interactions in the cassette with the live answers (atomic; the rest of the file unchanged)")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "the deadline of each call whose recording has none")
	fs.DurationVar(&cfg.stepTimeout, "step-timeout", 5*time.Second, "how long a stream waits for a server message the recording shows before the client's next message")
	fs.DurationVar(&cfg.connectTimeout, "connect-timeout", 10*time.Second, "how long to wait for --upstream to accept a connection")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: grpcdouble verify --cassette FILE --upstream ADDR [flags]

Sends the requests of every recorded interaction to the live server at
--upstream and compares its answers with the recording: server messages
(proto diffs), response headers, trailers and status (code, message,
details). Streams are sent in the recorded interleaving.

Only methods whose .proto marks them idempotency_level = NO_SIDE_EFFECTS
or IDEMPOTENT are called; the others are skipped (and listed), unless
--method names them. Request metadata recorded as [REDACTED] is never sent:
give the real value with --header or --header-env. Without a descriptor
flag the services come from the upstream's reflection.

Exit status: 0 when every checked interaction matches, 1 on drift, 2 when
the check could not run (bad flags, a cassette that does not load, an
unreachable upstream, an interaction that could not be checked).

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, cfg
}

func parseVerify(args []string, stderr io.Writer) (*verifyConfig, error) {
	fs, cfg := verifyFlags(stderr)
	// verify serves nothing: the serving flags keep valid defaults.
	cfg.listen, cfg.logLevel, cfg.logFormat, cfg.maxFileSize = defaultListen, "info", "text", defaultMaxFileSize
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, usageError{fmt.Errorf("verify: %w", err)}
	}
	if cfg.upstream == "" {
		return nil, usageError{errors.New("verify: --upstream ADDR is required")}
	}
	if len(cfg.cassettes) == 0 {
		return nil, usageError{errors.New("verify: --cassette FILE is required")}
	}
	if err := cfg.upstreamPeer().pairError(); err != nil {
		return nil, usageError{fmt.Errorf("verify: %w", err)}
	}
	for _, f := range []struct{ flag, path string }{
		{"--upstream-ca", cfg.upstreamCA}, {"--upstream-cert", cfg.upstreamCert}, {"--upstream-key", cfg.upstreamKey},
	} {
		if err := cfg.mustBeFile(f.flag, f.path); err != nil {
			return nil, usageError{fmt.Errorf("verify: %w", err)}
		}
	}
	if cfg.format != "text" && cfg.format != "json" {
		return nil, usageError{fmt.Errorf("verify: --format: %q is neither text nor json", cfg.format)}
	}
	for _, d := range []struct {
		flag string
		d    time.Duration
	}{{"--timeout", cfg.timeout}, {"--step-timeout", cfg.stepTimeout}, {"--connect-timeout", cfg.connectTimeout}} {
		if d.d <= 0 {
			return nil, usageError{fmt.Errorf("verify: %s: want a positive duration, got %s", d.flag, d.d)}
		}
	}
	cfg.set = map[string][]string{}
	for _, h := range cfg.headers {
		k, v, ok := strings.Cut(h, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("verify: --header %q: want KEY=VALUE", h)}
		}
		k = strings.ToLower(k)
		cfg.set[k] = append(cfg.set[k], v)
	}
	for _, h := range cfg.headerEnvs {
		k, name, ok := strings.Cut(h, "=")
		if !ok || k == "" || name == "" {
			return nil, usageError{fmt.Errorf("verify: --header-env %q: want KEY=VAR, VAR an environment variable", h)}
		}
		v, ok := os.LookupEnv(name)
		if !ok {
			return nil, usageError{fmt.Errorf("verify: --header-env %s: the environment variable %s is not set", h, name)}
		}
		k = strings.ToLower(k)
		cfg.set[k] = append(cfg.set[k], v)
	}
	for _, p := range cfg.cassettes {
		if err := cfg.mustBeFile("--cassette", p); err != nil {
			return nil, exitError{2, fmt.Errorf("verify: %w", err)}
		}
	}
	return cfg, nil
}

// verifyJSON is the --format json report.
type verifyJSON struct {
	OK        bool             `json:"ok"`
	Cassettes []*replay.Report `json:"cassettes"`
	Updated   map[string]int   `json:"updated,omitempty"`
}

// runVerify runs "grpcdouble verify".
func runVerify(ctx context.Context, cfg *verifyConfig, stdout, stderr io.Writer) error {
	fail := func(err error) error { return exitError{2, fmt.Errorf("verify: %w", err)} }
	cs := make([]*cassette.Cassette, 0, len(cfg.cassettes))
	for _, p := range cfg.cassettes {
		c, err := cassette.Load(p)
		if err != nil {
			return fail(fmt.Errorf("--cassette: %w", err))
		}
		if c.Torn != nil {
			fmt.Fprintf(stderr, "grpcdouble: verify: %s: %v\n", p, c.Torn)
		}
		cs = append(cs, c)
	}
	opts, err := dialOptions(cfg.upstreamPeer())
	if err != nil {
		return fail(err)
	}
	opts = append(opts, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes)), codecDialOption())
	conn, err := grpc.NewClient(cfg.upstream, opts...)
	if err != nil {
		return fail(fmt.Errorf("--upstream %s: %w", cfg.upstream, err))
	}
	defer conn.Close()
	if err := awaitReady(ctx, conn, cfg.connectTimeout); err != nil {
		return fail(fmt.Errorf("--upstream %s: %w", cfg.upstream, err))
	}

	sources, closeSources, err := cfg.descriptorSources()
	if err != nil {
		return fail(err)
	}
	defer closeSources()
	if !cfg.hasDescriptors() {
		sources = append(sources, named{"--upstream " + cfg.upstream, mockserver.Reflection(conn)})
	}
	lctx, cancel := context.WithTimeout(ctx, cfg.connectTimeout)
	services, err := loadServices(lctx, sources)
	cancel()
	if err != nil {
		return fail(err)
	}
	closeSources()

	checkOpts := []replay.CheckOption{
		replay.WithDescriptors(services),
		replay.CallTimeout(cfg.timeout),
		replay.StepTimeout(cfg.stepTimeout),
		replay.IgnoreHeader(cfg.ignoreHeaders...),
	}
	for _, f := range cfg.ignoreFields {
		checkOpts = append(checkOpts, replay.IgnoreField(f))
	}
	for k, vs := range cfg.set {
		checkOpts = append(checkOpts, replay.SetMetadata(k, vs...))
	}
	var reps []*replay.Report
	for _, c := range cs {
		// --method names methods across all the cassettes given.
		opts := checkOpts
		for _, m := range cfg.methods {
			if err := methodIn(m, services, cs); err != nil {
				return exitError{2, fmt.Errorf("verify: --method %s: %w", m, err)}
			}
			if holds(c, m) {
				opts = append(opts, replay.AllowMethod(m))
			}
		}
		rep, err := replay.Check(ctx, c, conn, opts...)
		if err != nil {
			return exitError{2, fmt.Errorf("verify: %s", flagNames(err.Error()))}
		}
		reps = append(reps, rep)
	}

	updated := map[string]int{}
	if cfg.update {
		for _, rep := range reps {
			n, err := rep.Update()
			if err != nil {
				return fail(err)
			}
			if n > 0 {
				updated[rep.Path] = n
			}
		}
	}

	drift, failed := 0, 0
	var firstFailure *replay.Result
	for _, rep := range reps {
		drift += rep.Count(replay.Drift)
		failed += rep.Count(replay.Failed)
		for _, r := range rep.Results {
			if r.Outcome == replay.Failed && firstFailure == nil {
				firstFailure = r
			}
		}
	}
	if cfg.format == "json" {
		out := verifyJSON{OK: drift == 0 && failed == 0, Cassettes: reps}
		if len(updated) > 0 {
			out.Updated = updated
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail(err)
		}
	} else {
		for _, rep := range reps {
			fmt.Fprint(stdout, flagNames(rep.String()))
			if n := updated[rep.Path]; n > 0 {
				fmt.Fprintf(stdout, "%s: updated %d drifted interaction(s) with the live answers\n", rep.Path, n)
			}
		}
	}
	switch {
	case failed > 0:
		return exitError{2, fmt.Errorf("verify: %d interaction(s) could not be checked; the first, %s", failed, flagNames(firstFailure.String()))}
	case drift > 0 && cfg.update:
		return exitError{1, fmt.Errorf("verify: %d interaction(s) drifted; --update rewrote them", drift)}
	case drift > 0:
		return exitError{1, fmt.Errorf("verify: %d interaction(s) drifted from the live service", drift)}
	}
	return nil
}

// flagNames speaks of the command's flags where the library names its
// options.
var flagNames = strings.NewReplacer(
	"IgnoreField ", "--ignore-field ",
	"AllowMethod ", "--method ",
	"(--method, replay.AllowMethod)", "(--method)",
	"(--header, replay.SetMetadata)", "(--header)",
).Replace

// methodIn checks a --method names a method of the descriptors that some
// cassette calls.
func methodIn(m string, services *serviceSet, cs []*cassette.Cassette) error {
	full, err := mockserver.NormalizeMethod(m)
	if err != nil {
		return err
	}
	if _, err := services.Method(full); err != nil {
		return err
	}
	for _, c := range cs {
		if holds(c, full) {
			return nil
		}
	}
	return fmt.Errorf("no cassette given holds a call to %s", full)
}

func holds(c *cassette.Cassette, m string) bool {
	full, err := mockserver.NormalizeMethod(m)
	if err != nil {
		return false
	}
	for _, in := range c.Interactions {
		if in.Method == full {
			return true
		}
	}
	return false
}

// awaitReady waits for conn to connect. A server that refuses the
// connection fails at once, with the reason; one that never answers fails
// after timeout.
func awaitReady(ctx context.Context, conn *grpc.ClientConn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn.Connect()
	for {
		s := conn.GetState()
		switch s {
		case connectivity.Ready:
			return nil
		case connectivity.TransientFailure, connectivity.Shutdown:
			// The state says that it failed; a call says why.
			err := conn.Invoke(ctx, "/grpc.health.v1.Health/Check", &emptypb.Empty{}, &emptypb.Empty{})
			if c := status.Code(err); c != codes.Unavailable && c != codes.DeadlineExceeded {
				return nil // it answered: reachable after all
			}
			return fmt.Errorf("unreachable: %w", err)
		}
		if !conn.WaitForStateChange(ctx, s) {
			return fmt.Errorf("unreachable: no connection within %s (--connect-timeout)", timeout)
		}
	}
}
