package record

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
)

// EnvMode is the environment variable that overrides Connect's mode: once,
// none, all, new or off.
const EnvMode = "GRPCDOUBLE_RECORD"

// Mode says whether Connect records, replays or both.
type Mode int

// The modes, after go-vcr's.
const (
	// ModeRecordOnce records when the cassette is missing, else replays it
	// ("once").
	ModeRecordOnce Mode = iota
	// ModeReplay only replays; a missing cassette fails the test ("none").
	ModeReplay
	// ModeRecord records every call, replacing the cassette ("all").
	ModeRecord
	// ModeReplayNew replays, and records (appends) the calls the cassette
	// lacks ("new").
	ModeReplayNew
	// ModePassthrough forwards every call to the upstream; no cassette is
	// read or written ("off").
	ModePassthrough
)

var modeNames = []string{"once", "none", "all", "new", "off"}

func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode reads a mode by its GRPCDOUBLE_RECORD name.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("record mode %q: want one of %s", s, strings.Join(modeNames, ", "))
}

// ModeFromEnv returns the mode GRPCDOUBLE_RECORD names, or def when it is
// unset or empty.
func ModeFromEnv(def Mode) (Mode, error) {
	v := os.Getenv(EnvMode)
	if v == "" {
		return def, nil
	}
	m, err := ParseMode(v)
	if err != nil {
		return def, fmt.Errorf("%s: %w", EnvMode, err)
	}
	return m, nil
}

// Connect gives a test a connection that records to or replays from the
// cassette at path, according to the mode (WithMode, overridden by
// GRPCDOUBLE_RECORD). Recording needs Upstream or UpstreamConn; replaying
// needs neither, so a test replays with no live server. A recording serves
// the services the upstream's reflection lists, or, when the upstream has
// no reflection, every service whose generated code is linked into the
// test; WithServerOptions names the descriptors instead (WithServices,
// WithProtoFiles, WithProtoset, WithSource). A recording that cannot start
// leaves no cassette behind. Everything is
// closed at the test's cleanup, where misses, unused interactions (see
// package replay) and write errors fail the test.
func Connect(t testing.TB, path string, opts ...Option) *grpc.ClientConn {
	t.Helper()
	cfg := newConfig(opts)
	mode, err := ModeFromEnv(cfg.mode)
	if err != nil {
		t.Fatalf("record.Connect: %v", err)
	}
	if mode == ModeRecordOnce {
		mode = ModeRecord
		if _, err := os.Stat(path); err == nil {
			mode = ModeReplay
		}
	}
	serverOpts := append([]mockserver.Option(nil), cfg.serverOpts...)

	upstream := func() grpc.ClientConnInterface {
		t.Helper()
		if cfg.upstream == nil {
			t.Fatalf("record.Connect: mode %q for %s needs a live server: pass record.Upstream or record.UpstreamConn", mode, path)
		}
		cc, closeFn, err := cfg.upstream()
		if err != nil {
			t.Fatalf("record.Connect: upstream: %v", err)
		}
		t.Cleanup(func() { _ = closeFn() })
		if len(cfg.serverOpts) == 0 {
			serverOpts = append(serverOpts, mockserver.WithSource(upstreamServices{cc}))
		}
		return cc
	}
	openRecorder := func(open func(string, ...Option) (*Recorder, error)) *Recorder {
		t.Helper()
		rec, err := open(path, opts...)
		if err != nil {
			t.Fatalf("record.Connect: %v", err)
		}
		t.Cleanup(func() {
			if err := rec.Close(); err != nil {
				t.Errorf("record.Connect: %s: %v", path, err)
			}
		})
		return rec
	}
	openReplay := func(extra ...replay.Option) *replay.Handler {
		t.Helper()
		ropts := append([]replay.Option{replay.WithT(t)}, cfg.replayOpts...)
		h, err := replay.Open(path, append(ropts, extra...)...)
		if errors.Is(err, replay.ErrCassetteNotFound) {
			t.Fatalf("record.Connect: mode %q: %v (record it with %s=once or %s=all)", mode, err, EnvMode, EnvMode)
		}
		if err != nil {
			t.Fatalf("record.Connect: %v", err)
		}
		return h
	}

	// A handler that writes a new cassette is made only once the server
	// has its descriptors: a setup that fails leaves no empty cassette (nor
	// replaces a good one with one).
	var h mockserver.Handler
	var later func() mockserver.Handler
	switch mode {
	case ModeReplay:
		h = openReplay()
	case ModeRecord:
		up := upstream()
		later = func() mockserver.Handler { return openRecorder(Create).Proxy(up) }
	case ModeReplayNew:
		up := upstream()
		_, statErr := os.Stat(path)
		if statErr != nil {
			later = func() mockserver.Handler { return openRecorder(Append).Proxy(up) }
			break
		}
		// Replay loads the file first; Append then cuts any torn tail.
		ropts := []replay.Option{replay.AllowUnused()}
		var proxy *Proxy
		rh := openReplay(append(ropts, replay.WithFallback(fallbackFunc(func(c *mockserver.Call, got []proto.Message, hc bool) error {
			return proxy.Serve(c, got, hc)
		})))...)
		proxy = openRecorder(Append).Proxy(up)
		h = rh
	case ModePassthrough:
		h = Passthrough(upstream())
	default:
		t.Fatalf("record.Connect: unknown mode %v", mode)
	}
	var late *lateHandler
	if later != nil {
		late = &lateHandler{}
		h = late
	}
	srv, err := mockserver.New(h, serverOpts...)
	if err != nil {
		t.Fatalf("record.Connect: %v", err)
	}
	if late != nil {
		late.h.Store(&handlerBox{later()})
	}
	// Registered after the recorder's, so the server stops (and every call
	// is written) before the cassette is closed.
	t.Cleanup(func() { _ = srv.Close() })
	return srv.ClientConn()
}

// lateHandler is a handler set once the server started, before any call
// can come (the connection is not handed out yet).
type lateHandler struct{ h atomic.Pointer[handlerBox] }

type handlerBox struct{ mockserver.Handler }

func (l *lateHandler) Handle(c *mockserver.Call) error { return l.h.Load().Handle(c) }

// upstreamServices are the services a recording serves: those the
// upstream's reflection lists, or, for an upstream without reflection,
// every service whose generated code is linked into the test.
type upstreamServices struct{ cc grpc.ClientConnInterface }

func (u upstreamServices) Services(ctx context.Context) ([]protoreflect.ServiceDescriptor, error) {
	sds, err := mockserver.Reflection(u.cc).Services(ctx)
	if status.Code(err) != codes.Unimplemented {
		return sds, err
	}
	linked, _ := mockserver.AllGoTypes().Services(ctx)
	if len(linked) == 0 {
		return nil, fmt.Errorf("the upstream serves no reflection (%w), and no generated service code is linked into the test: import the service's generated package, or name its descriptors with record.WithServerOptions(mockserver.WithProtoFiles(...)), or with mockserver.WithProtoset or mockserver.WithSource in it", err)
	}
	return linked, nil
}

type fallbackFunc func(c *mockserver.Call, received []proto.Message, halfClosed bool) error

func (f fallbackFunc) Serve(c *mockserver.Call, received []proto.Message, halfClosed bool) error {
	return f(c, received, halfClosed)
}
