package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// errUsage marks an error the flag package has already reported on stderr
// together with the usage text.
var errUsage = errors.New("usage")

// errHelpShown means -h was given and the usage text printed: not a failure.
var errHelpShown = errors.New("help shown")

type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func isUsage(err error) bool { return errors.Is(err, errUsage) }

// exitCode is 2 for a mistake on the command line, 1 for everything else.
func exitCode(err error) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if isUsage(err) || errors.As(err, &ue) {
		return 2
	}
	return 1
}

const topUsage = `grpcdouble serves gRPC test doubles for clients in any language.

Usage:

  grpcdouble serve   [flags]  serve stub files and cassettes on a TCP port
  grpcdouble record  [flags]  proxy to a live server, recording every call to a cassette
  grpcdouble verify  [flags]  check cassettes against the live server they were recorded from
  grpcdouble lint    [flags]  check stub files and cassettes against the current .proto
  grpcdouble convert [flags]  convert gripmock or WireMock stub files to native ones
  grpcdouble version          print the version
  grpcdouble help [command]   print help for a command

Run "grpcdouble help COMMAND" for the flags of a command.
`

// run is the whole program: main only wires signals and the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return usageError{errors.New("no command given; want serve, record, verify, lint, convert, version or help")}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		cfg, err := parseServe(rest, stderr)
		if err != nil {
			return helpIsNoError(err)
		}
		return runServe(ctx, cfg, stdout, stderr)
	case "record":
		cfg, err := parseRecord(rest, stderr)
		if err != nil {
			return helpIsNoError(err)
		}
		return runRecord(ctx, cfg, stdout, stderr)
	case "verify":
		cfg, err := parseVerify(rest, stderr)
		if err != nil {
			return helpIsNoError(err)
		}
		return runVerify(ctx, cfg, stdout, stderr)
	case "lint":
		cfg, err := parseLint(rest, stderr)
		if err != nil {
			return helpIsNoError(err)
		}
		return runLint(cfg, stdout, stderr)
	case "convert":
		cfg, err := parseConvert(rest, stderr)
		if err != nil {
			return helpIsNoError(err)
		}
		return runConvert(cfg, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "-h", "-help", "--help":
		return help(rest, stdout)
	default:
		fmt.Fprint(stderr, topUsage)
		return usageError{fmt.Errorf("unknown command %q; want serve, record, verify, lint, convert, version or help", cmd)}
	}
}

func help(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, topUsage)
		return nil
	}
	var fs *flag.FlagSet
	switch args[0] {
	case "serve":
		fs, _ = serveFlags(stdout)
	case "record":
		fs, _ = recordFlags(stdout)
	case "verify":
		fs, _ = verifyFlags(stdout)
	case "lint":
		fs, _ = lintFlags(stdout)
	case "convert":
		fs, _ = convertFlags(stdout)
	case "version":
		fmt.Fprintln(stdout, "usage: grpcdouble version\n\nPrints the module version and VCS revision the binary was built from.")
		return nil
	default:
		return usageError{fmt.Errorf("help: unknown command %q; want serve, record, verify, lint, convert or version", args[0])}
	}
	fs.Usage()
	return nil
}

// versionString reads the version the Go toolchain stamped into the binary.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "grpcdouble (unknown version)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var extra []string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			extra = append(extra, "revision "+s.Value)
		case "vcs.modified":
			if s.Value == "true" {
				extra = append(extra, "modified")
			}
		}
	}
	out := "grpcdouble " + v + " " + bi.GoVersion
	if len(extra) > 0 {
		out += " (" + strings.Join(extra, ", ") + ")"
	}
	return out
}

func helpIsNoError(err error) error {
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}
