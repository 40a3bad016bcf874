package main

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

// runServe runs "grpcdouble serve" until ctx is done.
func runServe(ctx context.Context, cfg *serveConfig, stdout, stderr io.Writer) error {
	log := cfg.logger(stderr)
	sources, closeSources, err := cfg.descriptorSources()
	if err != nil {
		return err
	}
	defer closeSources()

	format, _ := stubformat.ParseFormat(cfg.stubsFormat) // checked by parseServe
	st := &stubs{mock: expect.NewMock(expect.DiscardCalls()), paths: cfg.stubs, format: format}
	d := &dispatcher{mock: st.mock}
	api := &admin{stubs: st, token: cfg.adminToken, log: log}
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
			h, err := replay.New(cs, cfg.replayOptions()...)
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
		st.routesToCassettes = func(method string) bool {
			full, err := mockserver.NormalizeMethod(method)
			return err == nil && !d.hasStubs(full)
		}
		api.cassetteMisses = func() []string {
			out := []string{}
			for _, err := range d.cassettes.Load().Misses() {
				out = append(out, err.Error())
			}
			return out
		}
		// Reset replays the cassettes afresh: interactions used up by
		// --replay-once answer again.
		api.reset = append(api.reset, func() error {
			h, err := openCassettes()
			if err != nil {
				return err
			}
			if err := h.Bind(api.srv); err != nil {
				return fmt.Errorf("--cassette: %w", err)
			}
			d.cassettes.Store(h)
			return nil
		})
	}
	in, err := start(&cfg.commonConfig, d, sources, api, stdout, log, func(srv *mockserver.Server) error {
		st.srv = srv
		return st.load()
	})
	if err != nil {
		return err
	}
	closeSources()
	log.Info("stubs loaded", "count", len(st.mock.Stubs()))
	<-ctx.Done()
	in.stop()
	log.Info("stopped")
	return nil
}

// dispatcher routes each call: to the stubs when some stub is for its
// method, to the cassettes otherwise (and to the stubs, for their "no
// stub matches" answer, when there are no cassettes).
type dispatcher struct {
	mock      *expect.Mock
	cassettes atomic.Pointer[replay.Handler] // nil without --cassette
}

func (d *dispatcher) Handle(call *mockserver.Call) error {
	if h := d.cassettes.Load(); h != nil && !d.hasStubs(call.FullMethod()) {
		return h.Handle(call)
	}
	return d.mock.Handle(call)
}

func (d *dispatcher) hasStubs(method string) bool { return d.mock.HasExpectation(method) }

// Bind checks the stubs and the cassettes against the served descriptors.
func (d *dispatcher) Bind(methods mockserver.Methods) error {
	if err := d.mock.Bind(methods); err != nil {
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
