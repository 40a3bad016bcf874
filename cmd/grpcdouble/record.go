package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

// runRecord runs "grpcdouble record" until ctx is done: a proxy to --upstream
// writing every finished call to --cassette.
func runRecord(ctx context.Context, cfg *recordConfig, stdout, stderr io.Writer) error {
	log := cfg.logger(stderr)
	upstream, err := cfg.dialUpstream()
	if err != nil {
		return err
	}
	defer upstream.Close()

	sources, closeSources, err := cfg.descriptorSources()
	if err != nil {
		return err
	}
	defer closeSources()
	if !cfg.hasDescriptors() {
		log.Info("no descriptor flag: asking the upstream for its services by reflection", "upstream", cfg.upstream)
		sources = append(sources, named{"--upstream " + cfg.upstream, mockserver.Reflection(upstream)})
	}

	recOpts := append(cfg.recordOptions(), record.OnWriteError(func(in *cassette.Interaction, err error) {
		log.Error("cassette write failed: the file is cut back to its last whole interaction, and recording goes on", "cassette", cfg.cassette, "method", in.Method, "err", err)
	}))
	open := record.Create
	if cfg.appendCassette {
		open = record.Append
	}
	rec, err := open(cfg.cassette, recOpts...)
	if err != nil {
		return fmt.Errorf("--cassette %s: %w", cfg.cassette, err)
	}
	in, err := start(&cfg.commonConfig, rec.Proxy(upstream), sources, nil, nil, stdout, log, nil)
	if err != nil {
		return errors.Join(err, rec.Close())
	}
	closeSources()
	log.Info("recording", "upstream", cfg.upstream, "cassette", cfg.cassette)
	<-ctx.Done()
	in.stop()
	n, failed := rec.Recorded(), rec.Failed()
	if err := rec.Close(); err != nil {
		return fmt.Errorf("--cassette %s: %d interaction(s) not saved (%d saved): %w", cfg.cassette, failed, n, err)
	}
	log.Info("stopped", "cassette", cfg.cassette, "recorded", n)
	return nil
}
