package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/grpcdouble/grpcdouble/admin"
	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

type lintConfig struct {
	commonConfig
	stubs       stringList
	stubsFormat string
	global      bool // --global-response-templating
	cassettes   stringList
	format      string
}

func lintFlags(output io.Writer) (*flag.FlagSet, *lintConfig) {
	cfg := &lintConfig{}
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(output)
	cfg.registerDescriptors(fs)
	fs.Var(&cfg.stubs, "stubs", "a stub `PATH` to check: a YAML or JSON stub file, or a folder of them (repeatable)")
	fs.StringVar(&cfg.stubsFormat, "stubs-format", "auto", "the `FORMAT` of the --stubs files: auto (each file's told by its shape), native, gripmock or wiremock")
	globalTemplatingFlag(fs, &cfg.global)
	fs.Var(&cfg.cassettes, "cassette", "a cassette `FILE` to check (repeatable)")
	fs.StringVar(&cfg.format, "format", "text", "report `FORMAT`: text (file:line: field: what) or github (workflow annotations)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: grpcdouble lint --proto FILE [--stubs PATH] [--cassette FILE] [flags]

Checks stub files and cassettes against the current descriptors (--proto,
--protoset or --reflect) without serving them: unknown services and methods,
fields for another kind of RPC, unknown fields, values of the wrong type,
unknown enum values, and cassette messages that no longer decode. It runs the
checks grpcdouble serve runs when it loads the same files, and reports every
problem, one a line, as file:line: field: what.

Exit status: 0 when there is no problem, 1 when there is one, 2 for a mistake
on the command line.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, cfg
}

func parseLint(args []string, stderr io.Writer) (*lintConfig, error) {
	fs, cfg := lintFlags(stderr)
	// lint serves nothing: the serving flags keep valid defaults.
	cfg.listen, cfg.logLevel, cfg.logFormat, cfg.maxFileSize = defaultListen, "info", "text", defaultMaxFileSize
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, usageError{fmt.Errorf("lint: %w", err)}
	}
	if !cfg.hasDescriptors() {
		return nil, usageError{errors.New("lint: no descriptors to check against: give --proto FILE (with --import-path DIR), --protoset FILE or --reflect ADDR")}
	}
	if len(cfg.stubs) == 0 && len(cfg.cassettes) == 0 {
		return nil, usageError{errors.New("lint: nothing to check: give --stubs PATH or --cassette FILE")}
	}
	if _, err := stubformat.ParseFormat(cfg.stubsFormat); err != nil {
		return nil, usageError{fmt.Errorf("lint: --stubs-format: %w", err)}
	}
	if cfg.format != "text" && cfg.format != "github" {
		return nil, usageError{fmt.Errorf("lint: --format: %q is neither text nor github", cfg.format)}
	}
	// As serve: a path that is not there is a mistake on the command line.
	for _, p := range cfg.stubs {
		if _, err := os.Stat(p); err != nil {
			return nil, usageError{fmt.Errorf("lint: --stubs %s: %w", p, errors.Unwrap(err))}
		}
	}
	for _, p := range cfg.cassettes {
		if err := cfg.mustBeFile("--cassette", p); err != nil {
			return nil, usageError{fmt.Errorf("lint: %w", err)}
		}
	}
	return cfg, nil
}

// problem is one thing lint found: file:line: what (what starts with the
// field).
type problem struct {
	file string
	line int
	what string
}

func (p problem) String() string {
	if p.file == "" {
		return p.what
	}
	if p.line == 0 {
		return p.file + ": " + p.what
	}
	return fmt.Sprintf("%s:%d: %s", p.file, p.line, p.what)
}

// github is the problem as a GitHub Actions workflow command, which the
// pull request shows on the line.
func (p problem) github() string {
	esc := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	prop := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	var where []string
	if p.file != "" {
		where = append(where, "file="+prop.Replace(p.file))
	}
	if p.line > 0 {
		where = append(where, "line="+strconv.Itoa(p.line))
	}
	where = append(where, "title=grpcdouble lint")
	return "::error " + strings.Join(where, ",") + "::" + esc.Replace(p.what)
}

// runLint runs "grpcdouble lint".
func runLint(cfg *lintConfig, stdout, stderr io.Writer) error {
	sources, closeSources, err := cfg.descriptorSources()
	if err != nil {
		return err
	}
	defer closeSources()
	// The same start as serve's: a server (on an in-memory listener) over
	// the descriptors with serve's dispatcher bound to it, then the
	// cassettes and the stub files loaded the way serve loads them, every
	// problem kept.
	sessions := expect.NewSessions(expect.DiscardCalls())
	srv, err := mockserver.New(&dispatcher{sessions: sessions}, append(sourceOptions(sources), mockserver.WithoutReflection(), mockserver.WithoutJournal())...)
	if err != nil {
		return fmt.Errorf("lint: descriptors: %w", err)
	}
	defer srv.Close()
	closeSources()

	var problems []problem
	var loaded []*cassette.Cassette
	interactions := 0
	for _, p := range cfg.cassettes {
		c, err := cassette.Load(p)
		if err != nil {
			problems = append(problems, problemsOf(err)...)
			// Every malformed interaction is listed; the well-formed
			// rest is checked against the descriptors too (serve would
			// refuse the file: lint serves nothing).
			var fe *cassette.FormatErrors
			if !errors.As(err, &fe) || fe.Read == nil {
				continue
			}
			c = fe.Read
		}
		if c.Torn != nil {
			problems = append(problems, problem{file: p, line: c.Torn.Line, what: "the last interaction is cut short (a recorder was killed mid-write): replay ignores it"})
		}
		interactions += len(c.Interactions)
		loaded = append(loaded, c)
	}
	if len(loaded) > 0 {
		h, err := replay.New(loaded)
		if err == nil {
			err = h.Bind(srv)
		}
		problems = append(problems, problemsOf(err)...)
	}
	if len(cfg.stubs) > 0 {
		_, err := admin.ReloadStubFiles(srv, sessions, readFormat(cfg.stubsFormat, cfg.global), cfg.stubs...)
		problems = append(problems, problemsOf(err)...)
	}

	slices.SortStableFunc(problems, func(a, b problem) int {
		return cmp.Or(strings.Compare(a.file, b.file), a.line-b.line)
	})
	for _, p := range problems {
		if cfg.format == "github" {
			fmt.Fprintln(stdout, p.github())
		} else {
			fmt.Fprintln(stdout, p)
		}
	}
	var names []string
	for _, sd := range srv.Services() {
		names = append(names, string(sd.FullName()))
	}
	if len(problems) > 0 {
		return exitError{1, fmt.Errorf("lint: %d problem(s), checked against %s", len(problems), orNone(names))}
	}
	fmt.Fprintf(stderr, "grpcdouble: lint: no problems: %d stub(s) and %d interaction(s) in %d cassette(s) checked against %s\n",
		len(sessions.Global().Mock().Stubs()), interactions, len(loaded), orNone(names))
	return nil
}

// fileLine is the "file:line: " every problem of stubs and cassettes
// starts with (once the package's prefix is off).
var fileLine = regexp.MustCompile(`^(.+?):(\d+): (.*)$`)

// protoPosition is protojson's "(line 1:15): ", a place in the one-line
// message text that means nothing in the file.
var protoPosition = regexp.MustCompile(`proto:[ \x{00a0}]*\(line \d+:\d+\):[ \x{00a0}]*`)

// eventRef finds the event a cassette problem is about.
var eventRef = regexp.MustCompile(`^events\[(\d+)\]`)

// eventLine is the line of the event a problem names ("events[3]...") in
// the interaction starting at line start; start when there is none.
func eventLine(path string, start int, what string) int {
	m := eventRef.FindStringSubmatch(what)
	if m == nil {
		return start
	}
	want, _ := strconv.Atoi(m[1])
	data, err := os.ReadFile(path)
	if err != nil {
		return start
	}
	off := 0
	for l := 1; l < start && off < len(data); l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return start
		}
		off += i + 1
	}
	dec := json.NewDecoder(bytes.NewReader(data[off:]))
	depth, inEvents, n := 0, false, -1
	lastKey := ""
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return start
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				depth++
				if t == '[' && depth == 2 && lastKey == "events" {
					inEvents = true
				}
				if t == '{' && inEvents && depth == 3 {
					if n++; n == want {
						// The offset before the token may sit on the
						// space before it: count to the brace itself.
						at := off + int(before)
						for at < len(data) && data[at] != '{' {
							at++
						}
						return 1 + bytes.Count(data[:at], []byte{'\n'})
					}
				}
			case '}', ']':
				depth--
				if depth == 1 {
					inEvents = false
				}
				if depth == 0 {
					return start
				}
			}
		case string:
			if depth == 1 {
				lastKey = t
			}
		}
	}
}

// problemsOf turns the (joined) errors of the loaders into problems.
func problemsOf(err error) []problem {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []problem
		for _, e := range j.Unwrap() {
			out = append(out, problemsOf(e)...)
		}
		return out
	}
	var ie *replay.InteractionError
	if errors.As(err, &ie) {
		what := protoPosition.ReplaceAllString(ie.Err.Error(), "")
		return []problem{{file: ie.Path, line: eventLine(ie.Path, ie.Line, what), what: what}}
	}
	text := err.Error()
	for _, prefix := range []string{expect.ErrStubFile.Error() + ": ", cassette.ErrFormat.Error() + ": ", "replay: "} {
		text = strings.TrimPrefix(text, prefix)
	}
	var out []problem
	for _, l := range strings.Split(text, "\n") {
		m := fileLine.FindStringSubmatch(l)
		if m == nil {
			return []problem{{what: text}} // not one problem a line: keep it whole
		}
		n, _ := strconv.Atoi(m[2])
		out = append(out, problem{file: m[1], line: n, what: m[3]})
	}
	return out
}
