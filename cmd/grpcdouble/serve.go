package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/grpcdouble/grpcdouble/admin"
	"github.com/grpcdouble/grpcdouble/admin/metrics"
	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
	"github.com/grpcdouble/grpcdouble/replay"
)

// runServe runs "grpcdouble serve" until ctx is done.
func runServe(ctx context.Context, cfg *serveConfig, stdout, stderr io.Writer) error {
	log := cfg.logger(stderr)
	sources, closeSources, err := cfg.descriptorSources()
	if err != nil {
		return err
	}
	defer closeSources()

	// One miss code for the whole server, whatever format a stub came in:
	// a method with no stub, or only cassettes, has no format to go by.
	mockOpts := []expect.Option{expect.DiscardCalls(), expect.WithMissCode(cfg.missCode)}
	var replayOpts []replay.Option
	var recorder *record.Recorder
	if cfg.upstream != "" {
		conn, err := cfg.dialUpstream()
		if err != nil {
			return err
		}
		defer conn.Close()
		proxy := record.Passthrough(conn)
		if cfg.record != "" {
			// Opened now, so a path that cannot be written fails the
			// start, not the first call sent upstream.
			if recorder, err = record.Append(cfg.record, cfg.recordOptions()...); err != nil {
				return fmt.Errorf("--record %s: %w", cfg.record, err)
			}
			defer func() {
				if err := recorder.Close(); err != nil {
					log.Error("--record: closing the cassette", "cassette", cfg.record, "err", err)
				}
			}()
			proxy = recorder.Proxy(conn)
		}
		if !cfg.hasDescriptors() {
			log.Info("no descriptor flag: asking the upstream for its services by reflection", "upstream", cfg.upstream)
			sources = append(sources, named{"--upstream " + cfg.upstream, mockserver.Reflection(conn)})
		}
		log.Info("calls no stub or cassette answers go upstream", "upstream", cfg.upstream, "record", cfg.record)
		up := &upstreamFallback{addr: cfg.upstream, proxy: proxy}
		mockOpts = append(mockOpts, expect.WithFallback(up))
		replayOpts = append(replayOpts, replay.WithFallback(up))
	}
	sessions := expect.NewSessions(mockOpts...)
	d := &dispatcher{sessions: sessions}
	format := readFormat(cfg.stubsFormat, cfg.globalTemplating)
	adminOpts := []admin.Option{admin.WithSessions(sessions), admin.WithStubFiles(cfg.stubs...), admin.WithStubsFormat(format)}
	var srv *mockserver.Server // set once started, before the admin API serves
	if len(cfg.cassettes) > 0 {
		openCassettes := func() (*replay.Handler, error) {
			cs := make([]*cassette.Cassette, 0, len(cfg.cassettes))
			for _, p := range cfg.cassettes {
				c, err := cassette.Load(p)
				if err != nil {
					return nil, fmt.Errorf("--cassette: replay: %w", err)
				}
				if c.Torn != nil {
					// A recorder killed mid-write leaves this: serve
					// the whole interactions, and say so.
					log.Warn("cassette ends in a cut-short interaction; serving the whole ones before it",
						"cassette", p, "torn", c.Torn.String(), "interactions", len(c.Interactions))
				}
				cs = append(cs, c)
			}
			h, err := replay.New(cs, append(cfg.replayOptions(), replayOpts...)...)
			if err != nil {
				return nil, fmt.Errorf("--cassette: %w", err)
			}
			return h, nil
		}
		h, err := openCassettes()
		if err != nil {
			return err
		}
		d.cassettes.Store(h)
		// Reset replays the cassettes afresh: interactions used up by
		// --replay-once answer again.
		adminOpts = append(adminOpts, admin.WithCassettes(d.cassettes.Load), admin.OnReset(func() error {
			h, err := openCassettes()
			if err != nil {
				return err
			}
			if err := h.Bind(srv); err != nil {
				return fmt.Errorf("--cassette: %w", err)
			}
			d.cassettes.Store(h)
			return nil
		}))
	}
	// Watch before serving, so a folder that cannot be watched fails the
	// start rather than a later edit.
	var watcher *fsnotify.Watcher
	if cfg.watch {
		if watcher, err = watchStubs(cfg.stubs); err != nil {
			return err
		}
		defer watcher.Close()
	}
	rl := &reloader{paths: cfg.stubs, log: log, reload: func() (expect.StubChange, error) {
		if len(cfg.stubs) == 0 {
			return expect.StubChange{}, errors.New("there is no --stubs to reload")
		}
		ch, err := admin.ReloadStubFiles(srv, sessions, format, cfg.stubs...)
		if err != nil {
			return ch, fmt.Errorf("--stubs: %w", err)
		}
		return ch, nil
	}}
	hup, stopHUP := notifyHUP()
	defer stopHUP()
	var met *metrics.Metrics
	if cfg.admin != "" || cfg.metrics != "" {
		met = newMetrics(sessions, func() *mockserver.Server { return srv }, rl)
		d.metrics = true
	}
	in, err := start(&cfg.commonConfig, d, sources, adminOpts, met, stdout, log, func(s *mockserver.Server) error {
		srv = s
		if len(cfg.stubs) == 0 {
			return nil
		}
		defer loadMemoryLimit(cfg.stubs)()
		if _, err := admin.ReloadStubFiles(srv, sessions, format, cfg.stubs...); err != nil {
			return fmt.Errorf("--stubs: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	closeSources()
	log.Info("stubs loaded", "count", len(sessions.Global().Mock().Stubs()))
	for _, w := range sessions.Global().Mock().Warnings() {
		log.Warn("stub file warning", "warning", w)
	}
	background := make(chan struct{}, 2)
	go func() {
		defer func() { background <- struct{}{} }()
		expireSessions(ctx, sessions, cfg.sessionTTL, log)
	}()
	go func() {
		defer func() { background <- struct{}{} }()
		rl.run(ctx, hup, watcher)
	}()
	if watcher != nil {
		log.Info("watching the stub files", "stubs", []string(cfg.stubs))
	}
	<-ctx.Done()
	<-background
	<-background
	in.stop()
	if recorder != nil {
		log.Info("stopped", "recorded", recorder.Recorded(), "cassette", cfg.record)
		return nil
	}
	log.Info("stopped")
	return nil
}

// expireSessions drops the sessions idle for ttl, until ctx is done.
func expireSessions(ctx context.Context, sessions *expect.Sessions, ttl time.Duration, log *slog.Logger) {
	// Look four times a TTL, and at least once a minute: a session lives
	// at most a quarter TTL (or a minute) past its time.
	every := max(min(ttl/4, time.Minute), 10*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			gone := sessions.Expire(now, ttl)
			if len(gone) == 0 {
				continue
			}
			// A shared server may have dropped many sessions at once:
			// hand their memory back now rather than over minutes (two
			// collections: the first leaves pooled buffers to a second).
			runtime.GC()
			debug.FreeOSMemory()
			log.Info("sessions expired", "idle", ttl.String(), "sessions", gone, "left", len(sessions.List()))
		}
	}
}

// dispatcher routes each call: to the stubs when some stub is for its
// method, to the cassettes otherwise (and to the stubs, for their "no
// stub matches" answer, when there are no cassettes).
type dispatcher struct {
	metrics   bool // tell admin/metrics what answered each call
	sessions  *expect.Sessions
	cassettes atomic.Pointer[replay.Handler] // nil without --cassette
}

func (d *dispatcher) Handle(call *mockserver.Call) error {
	ss, err := d.sessions.For(call.Metadata())
	if err != nil {
		return err
	}
	m := ss.Mock()
	if h := d.cassettes.Load(); h != nil && !call.Builtin() && !m.HasExpectation(call.FullMethod()) {
		err = h.Handle(call)
	} else {
		err = m.Handle(call)
	}
	if d.metrics {
		metrics.Answered(call.Context(), call.Answer())
	}
	return err
}

// OverridesBuiltin: health calls go to the stubs when some are for their
// method (cassettes hold none: recording never forwards health).
func (d *dispatcher) OverridesBuiltin(call *mockserver.Call) bool {
	return d.sessions.OverridesBuiltin(call)
}

// newMetrics counts serve's calls, and exports the state beside them: the
// stubs loaded, the journal, the sessions and the reloads. Stub ids are
// labels only for stubs from the --stubs files, so stubs added at run time
// cannot grow the label set without end.
func newMetrics(sessions *expect.Sessions, srv func() *mockserver.Server, rl *reloader) *metrics.Metrics {
	return metrics.New(
		metrics.LabelStub(sessions.FromFiles),
		metrics.Gauge("stubs_loaded", "Global stubs: from the --stubs files and added without a session.", func() float64 {
			return float64(len(sessions.Global().Mock().Stubs()))
		}),
		metrics.Gauge("journal_calls", "Calls kept in the journal (--journal-limit bounds it).", func() float64 {
			if s := srv(); s != nil {
				return float64(s.JournalStats().Calls)
			}
			return 0
		}),
		metrics.Gauge("sessions", "Sessions open (--session-ttl drops idle ones).", func() float64 { return float64(len(sessions.List())) }),
		metrics.Counter("reloads_total", "Reloads of the --stubs files (--watch or SIGHUP) that took.", func() float64 { return float64(rl.reloads.Load()) }),
		metrics.Counter("reload_errors_total", "Reloads of the --stubs files refused for a bad file; the last good set kept answering.", func() float64 { return float64(rl.failures.Load()) }),
	)
}

// Bind checks the stubs and the cassettes against the served descriptors.
func (d *dispatcher) Bind(methods mockserver.Methods) error {
	if err := d.sessions.Bind(methods); err != nil {
		return err
	}
	if h := d.cassettes.Load(); h != nil {
		if err := h.Bind(methods); err != nil {
			return fmt.Errorf("--cassette: %w", err)
		}
	}
	return nil
}

// Methods lists the methods of the cassettes, so their services are served
// when compiled in; descriptor flags cover the rest.
func (d *dispatcher) Methods() []string {
	if h := d.cassettes.Load(); h != nil {
		return h.Methods()
	}
	return nil
}
