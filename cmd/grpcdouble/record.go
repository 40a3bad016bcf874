package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

// runRecord runs "grpcdouble record" until ctx is done: a proxy to --upstream
// writing every finished call to --cassette.
func runRecord(ctx context.Context, cfg *recordConfig, stdout, stderr io.Writer) error {
	log := cfg.logger(stderr)
	opts, err := dialOptions(cfg.upstreamPeer())
	if err != nil {
		return err
	}
	// The proxy relays messages of any size the two ends agree on.
	opts = append(opts, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes)), codecDialOption())
	upstream, err := grpc.NewClient(cfg.upstream, opts...)
	if err != nil {
		return fmt.Errorf("--upstream %s: %w", cfg.upstream, err)
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

	var recOpts []record.Option
	if len(cfg.redact) > 0 {
		recOpts = append(recOpts, record.Redact(cfg.redact...))
	}
	if len(cfg.keep) > 0 {
		recOpts = append(recOpts, record.Keep(cfg.keep...))
	}
	if cfg.withoutTiming {
		recOpts = append(recOpts, record.WithoutTiming())
	}
	recOpts = append(recOpts, record.OnWriteError(func(in *cassette.Interaction, err error) {
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
	in, err := start(&cfg.commonConfig, rec.Proxy(upstream), sources, nil, stdout, log, nil)
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
