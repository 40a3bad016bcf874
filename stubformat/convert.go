package stubformat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

// Problem is a construct of a foreign stub file that cannot be served or
// converted: where it is, what it is, and why.
type Problem = native.Problem

// Converted is one native stub file written from a foreign one.
type Converted struct {
	Source string // the foreign file
	Name   string // the native file's path, relative to the output folder
	Data   []byte // the native file, YAML
	Stubs  int    // how many stubs it holds
}

// Convert translates the foreign stub files among paths (files, or folders
// read as Load reads them) into native stub files. A stub that cannot be
// converted is left out and listed among the problems; the rest of its file
// is converted. The native files answer as the foreign ones do: they are
// the stubs Load would serve, with a comment naming each one's source
// file:line. resolver (nil: none) resolves short service names and tells
// each method's kind; without it the kind is guessed from the stub's shape.
func Convert(resolver mockserver.Methods, from Format, paths ...string) ([]Converted, []Problem, error) {
	from, global := from.split()
	if from != Gripmock && from != WireMock {
		return nil, nil, fmt.Errorf("convert: want --from gripmock or wiremock, got %q", from)
	}
	type file struct {
		given, name string
		res         *native.Result
	}
	var read1 []file
	var problems []Problem
	var errs []error
	for _, p := range paths {
		files, err := Files(p)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			data, _, computed, ps := loadTime(f, data, from)
			if len(ps) > 0 {
				problems = append(problems, ps...)
				continue
			}
			var root yaml.Node
			if err := yaml.Unmarshal(data, &root); err != nil {
				errs = append(errs, yamlError(f, err, computed))
				continue
			}
			computed.Annotate(&root)
			res, err := read(f, &root, from, global, resolver)
			if err != nil {
				return nil, nil, err
			}
			problems = append(problems, res.Problems...)
			if len(res.Stubs) > 0 {
				read1 = append(read1, file{p, f, res})
			}
		}
	}
	results := make([]*native.Result, len(read1))
	for i, f := range read1 {
		results[i] = f.res
	}
	rank(results)
	var out []Converted
	names := map[string]string{}
	taken := map[string]int{}
	for _, f := range read1 {
		taken[outName(f.given, f.name)]++
	}
	for _, f := range read1 {
		// The stubs must load as native stubs: one that does not is listed
		// now, not written to fail later.
		kept := f.res.Stubs[:0]
		for _, s := range f.res.Stubs {
			if _, err := expect.ParseStubNodes(f.name, []*yaml.Node{s.Node}, nil, resolver); err != nil {
				problems = append(problems, loadProblems(f.name, s.Line, err)...)
				continue
			}
			kept = append(kept, s)
		}
		f.res.Stubs = kept
		if len(kept) == 0 {
			continue
		}
		name := outName(f.given, f.name)
		// gripmock folders hold stubs.json beside stubs.yaml: the .yaml one
		// keeps the name, the other keeps its extension in it (stubs.json.yaml).
		if taken[name] > 1 && filepath.Ext(f.name) != ".yaml" {
			name = strings.TrimSuffix(name, ".yaml") + filepath.Ext(f.name) + ".yaml"
		}
		if prev, ok := names[name]; ok {
			return nil, nil, fmt.Errorf("convert: %s and %s would both be written to %s", prev, f.name, name)
		}
		names[name] = f.name
		text, err := render(from, f.name, f.res.Stubs)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, Converted{Source: f.name, Name: name, Data: text, Stubs: len(f.res.Stubs)})
	}
	return out, problems, errors.Join(errs...)
}

// outName is where a converted file goes: its path under the folder given,
// or its base name for a file given, with a .yaml extension.
func outName(given, file string) string {
	rel := filepath.Base(file)
	if r, err := filepath.Rel(given, file); err == nil && r != "." && !strings.HasPrefix(r, "..") {
		rel = r
	}
	return strings.TrimSuffix(rel, filepath.Ext(rel)) + ".yaml"
}

func render(from Format, file string, stubs []native.Stub) ([]byte, error) {
	seq := native.Seq(1)
	for _, s := range stubs {
		n := native.Clone(s.Node)
		native.Plain(n)
		seq.Content = append(seq.Content, n)
	}
	head := fmt.Sprintf("Converted from the %s stubs in %s by grpcdouble convert.", from, file)
	switch from {
	case Gripmock:
		head += "\nListed in the order gripmock ranks them: more fields matched first, then higher priority."
	case WireMock:
		head += "\nListed in the order WireMock tries them: lower priority number first, then the later mapping."
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{seq}, HeadComment: head}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("convert: %s: %w", file, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// loadProblems turns expect's (joined) error for a translated stub into
// its Problems, one for each problem expect found.
func loadProblems(file string, line int, err error) []Problem {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []Problem
		for _, e := range j.Unwrap() {
			out = append(out, loadProblems(file, line, e)...)
		}
		return out
	}
	return []Problem{loadProblem(file, line, err)}
}

// loadProblem turns one of expect's errors for a translated stub ("bad
// stub file: FILE:LINE: field: why") into a Problem.
func loadProblem(file string, line int, err error) Problem {
	p := Problem{File: file, Line: line, Construct: "stub", Reason: err.Error()}
	rest, ok := strings.CutPrefix(err.Error(), expect.ErrStubFile.Error()+": "+file+":")
	if !ok {
		return p
	}
	num, rest, ok := strings.Cut(rest, ": ")
	if n, err := strconv.Atoi(num); ok && err == nil {
		p.Line = n
	}
	if c, why, ok := strings.Cut(rest, ": "); ok {
		p.Construct, p.Reason = c, why
	} else {
		p.Reason = rest
	}
	return p
}
