package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

type convertConfig struct {
	from        string
	global      bool // --global-response-templating
	out         string
	protos      stringList
	importPaths stringList
	protosets   stringList
	inputs      []string
}

func convertFlags(output io.Writer) (*flag.FlagSet, *convertConfig) {
	cfg := &convertConfig{}
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.from, "from", "", "the `FORMAT` of the input files: gripmock or wiremock (required)")
	globalTemplatingFlag(fs, &cfg.global)
	fs.StringVar(&cfg.out, "out", "", "the `DIR` to write the native stub files to (required; created if missing)")
	fs.Var(&cfg.protos, "proto", "a .proto `FILE` or folder describing the services (repeatable; optional: resolves short service names and each method's kind)")
	fs.Var(&cfg.importPaths, "import-path", "a `DIR` to resolve .proto files and their imports in (repeatable)")
	fs.Var(&cfg.protosets, "protoset", "a descriptor set `FILE` describing the services (repeatable; optional)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: grpcdouble convert --from gripmock|wiremock --out DIR [flags] IN...

Converts gripmock (v3) stub files or WireMock gRPC mappings (files, or folders
of .json, .yaml and .yml files) into grpcdouble's own stub files under --out,
one per input file. The native stubs answer as the originals do; each carries
a comment naming its source file:line. Stubs that cannot be converted are
listed on stderr with file:line and the construct, and the exit status is 1;
the rest are written.

With --proto or --protoset the methods are checked, short service names
resolve, and each stub is written for its method's kind; without them the
kind is guessed from the stub's shape.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, cfg
}

func parseConvert(args []string, stderr io.Writer) (*convertConfig, error) {
	fs, cfg := convertFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelpShown
		}
		return nil, usageError{fmt.Errorf("%w: %v", errUsage, err)}
	}
	cfg.inputs = fs.Args()
	switch f, err := stubformat.ParseFormat(cfg.from); {
	case cfg.from == "":
		return nil, usageError{errors.New("convert: --from gripmock|wiremock is required")}
	case err != nil:
		return nil, usageError{fmt.Errorf("convert: --from: %w", err)}
	case f != stubformat.Gripmock && f != stubformat.WireMock:
		return nil, usageError{fmt.Errorf("convert: --from %s: want gripmock or wiremock", cfg.from)}
	}
	if cfg.out == "" {
		return nil, usageError{errors.New("convert: --out DIR is required")}
	}
	if len(cfg.inputs) == 0 {
		return nil, usageError{errors.New("convert: give the stub files or folders to convert")}
	}
	for _, p := range cfg.inputs {
		if _, err := os.Stat(p); err != nil {
			return nil, usageError{fmt.Errorf("convert: %s: %w", p, errors.Unwrap(err))}
		}
	}
	return cfg, nil
}

func runConvert(cfg *convertConfig, stdout, stderr io.Writer) error {
	from := readFormat(cfg.from, cfg.global)
	var resolver mockserver.Methods
	if len(cfg.protos) > 0 || len(cfg.protosets) > 0 {
		common := commonConfig{protos: cfg.protos, importPaths: cfg.importPaths, protosets: cfg.protosets}
		sources, closeSources, err := common.descriptorSources()
		if err != nil {
			return err
		}
		defer closeSources()
		opts := make([]mockserver.Option, 0, len(sources))
		for _, s := range sources {
			opts = append(opts, mockserver.WithSource(s))
		}
		srv, err := mockserver.New(expect.NewMock(), append(opts, mockserver.WithoutJournal())...)
		if err != nil {
			return err
		}
		defer srv.Close()
		resolver = srv
	}
	files, problems, err := stubformat.Convert(resolver, from, cfg.inputs...)
	if err != nil {
		return err
	}
	for _, f := range files {
		path := filepath.Join(cfg.out, f.Name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %d stubs from %s\n", path, f.Stubs, f.Source)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "these constructs could not be converted (%d); their stubs were left out:\n", len(problems))
		for _, p := range problems {
			fmt.Fprintf(stderr, "  %s\n", p.Error())
		}
		return fmt.Errorf("convert: %d constructs could not be converted (listed above); the rest were written", len(problems))
	}
	return nil
}
