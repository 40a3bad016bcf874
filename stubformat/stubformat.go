package stubformat

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat/gripmock"
	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
	"github.com/grpcdouble/grpcdouble/stubformat/wiremock"
)

// Format is a stub file format.
type Format string

// The formats read. Auto tells each file's format by its shape.
const (
	Auto     Format = ""
	Native   Format = "native"
	Gripmock Format = "gripmock"
	WireMock Format = "wiremock"
)

// globalSuffix marks a Format that reads WireMock mappings with global
// templating (see WithGlobalTemplating).
const globalSuffix = "+global-response-templating"

// WithGlobalTemplating is the format f reading WireMock mappings as
// WireMock started with --global-response-templating does: every
// mapping's response is a template, whether it names the response-template
// transformer or not. Native and gripmock files read as they do in f.
func (f Format) WithGlobalTemplating() Format {
	if f.GlobalTemplating() {
		return f
	}
	return f + globalSuffix
}

// GlobalTemplating reports whether f reads WireMock mappings with global
// templating (see WithGlobalTemplating).
func (f Format) GlobalTemplating() bool { return strings.HasSuffix(string(f), globalSuffix) }

// split is the format without global templating, and whether it had it.
func (f Format) split() (Format, bool) {
	base, global := strings.CutSuffix(string(f), globalSuffix)
	return Format(base), global
}

// ParseFormat reads a format name as the --stubs-format flag gives it.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Auto, Native, Gripmock, WireMock:
		return f, nil
	case "auto":
		return Auto, nil
	}
	return "", fmt.Errorf("unknown stub format %q (want auto, native, gripmock or wiremock)", s)
}

// Detect tells the format of a parsed file by its shape: gripmock stubs
// have service, method and input, inputs or output; WireMock mappings have
// a request with a urlPath and a response (or a "mappings" list of them);
// anything else is native.
func Detect(root *yaml.Node) Format {
	switch {
	case gripmock.Looks(root):
		return Gripmock
	case wiremock.Looks(root):
		return WireMock
	}
	return Native
}

// Parse reads one stub file in the given format (Auto: by its shape) into
// native stubs for expect. Errors wrap expect.ErrStubFile and name the
// file, the line and the construct.
func Parse(filename string, data []byte, format Format, resolver mockserver.Methods) ([]expect.Stub, error) {
	res, f, stubs, err := readFile(filename, data, format, true, resolver)
	if err != nil || res == nil {
		return stubs, err
	}
	anew := again([]*foreign{f}, resolver)
	return expect.ParseStubNodes(filename, nodes(res.Stubs), func() ([]*yaml.Node, error) { return anew(0) }, resolver)
}

func problems(ps []Problem) error {
	if len(ps) == 0 {
		return nil
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = fmt.Errorf("%w: %s", expect.ErrStubFile, p.Error())
	}
	return errors.Join(errs...)
}

// rank gives native priorities to the stubs of a method that sit in more
// than one file and rank differently: within a file the order does it.
// The lowest rank gets no priority (0), the next 1, and so on.
func rank(files []*native.Result) {
	if len(files) < 2 {
		return // one file's order ranks its stubs
	}
	type at struct {
		file int
		s    *native.Stub
	}
	byMethod := map[string][]at{}
	for i, f := range files {
		for j := range f.Stubs {
			s := &f.Stubs[j]
			byMethod[s.Method] = append(byMethod[s.Method], at{i, s})
		}
	}
	for _, stubs := range byMethod {
		spread := false
		orders := map[int]bool{}
		for _, a := range stubs {
			spread = spread || a.file != stubs[0].file
			orders[a.s.Order] = true
		}
		if !spread || len(orders) < 2 {
			continue
		}
		distinct := make([]int, 0, len(orders))
		for o := range orders {
			distinct = append(distinct, o)
		}
		slices.Sort(distinct)
		for _, a := range stubs {
			p := slices.Index(distinct, a.s.Order)
			if p == 0 {
				continue
			}
			pn := native.Int(a.s.Line, p)
			pn.LineComment = a.s.RankNote()
			native.SetAfter(a.s.Node, "method", "priority", pn)
		}
	}
}

// read translates a foreign file; nil for a native one.
func read(filename string, root *yaml.Node, format Format, global bool, resolver mockserver.Methods) (*native.Result, error) {
	var res native.Result
	switch format {
	case Gripmock:
		res = gripmock.Read(filename, root, resolver)
	case WireMock:
		var opts []wiremock.Option
		if global {
			opts = append(opts, wiremock.GlobalTemplating())
		}
		res = wiremock.Read(filename, root, resolver, opts...)
	case Native:
		return nil, nil
	default:
		return nil, fmt.Errorf("unknown stub format %q", format)
	}
	// A higher Order is tried first; ties keep the file's order.
	slices.SortStableFunc(res.Stubs, func(a, b native.Stub) int { return cmp.Compare(b.Order, a.Order) })
	return &res, nil
}

func nodes(stubs []native.Stub) []*yaml.Node {
	out := make([]*yaml.Node, len(stubs))
	for i, s := range stubs {
		out[i] = s.Node
	}
	return out
}

// Files lists the stub files among paths: files as given, and every .yaml,
// .yml and .json file under folders, in lexical order.
func Files(paths ...string) ([]string, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", expect.ErrStubFile, err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", expect.ErrStubFile, err)
		}
	}
	return files, nil
}

// Load reads stub files and folders (see Files) in the given format; with
// Auto, each file's format is told by its shape, so one folder may mix
// native, gripmock and WireMock files.
func Load(resolver mockserver.Methods, format Format, paths ...string) ([]expect.Stub, error) {
	files, err := Files(paths...)
	if err != nil {
		return nil, err
	}
	var all []expect.Stub
	var errs []error
	var results []*native.Result
	var translated []*foreign
	var at []int // where each one's stubs go in all
	datas := make([][]byte, len(files))
	foreigners := 0
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", expect.ErrStubFile, err))
			continue
		}
		datas[i] = data
		if maybeForeign(data, format) {
			foreigners++
		}
	}
	for i, f := range files {
		data := datas[i]
		if data == nil {
			continue
		}
		// The stubs of one foreign file need no ranks from another's
		// (rank), so they may be compiled as they are translated.
		res, tr, stubs, err := readFile(f, data, format, foreigners == 1, resolver)
		if err != nil {
			errs = append(errs, err)
		}
		if res == nil {
			all = append(all, stubs...) // those that parsed, beside the errors
			continue
		}
		results, translated, at = append(results, res), append(translated, tr), append(at, len(all))
		all = append(all, make([]expect.Stub, len(res.Stubs))...)
	}
	rank(results)
	anew := again(translated, resolver)
	for i, res := range results {
		ns := nodes(res.Stubs)
		res.Stubs = nil // the stubs let the nodes go as they are compiled
		stubs, err := expect.ParseStubNodes(translated[i].name, ns, func() ([]*yaml.Node, error) { return anew(i) }, resolver)
		if err != nil {
			errs = append(errs, err)
		}
		copy(all[at[i]:], stubs)
	}
	if err := errors.Join(errs...); err != nil {
		// The stubs that parsed come back too, so that a check
		// (expect.CheckStubs, grpcdouble lint) reports every problem.
		return slices.DeleteFunc(all, func(s expect.Stub) bool { return s.Method == "" }), err
	}
	return all, nil
}

// maybeForeign tells whether a file read in format may be a foreign one.
func maybeForeign(data []byte, format Format) bool {
	format, _ = format.split()
	if format != Auto {
		return format != Native
	}
	head, ok := expect.StubFileHead(data)
	return !ok || Detect(head) != Native
}

// readFile reads one file: a foreign one into native stub nodes (res),
// with what translates it again (f); a native one into stubs. chunked
// lets a big foreign file's stubs be compiled as they are translated,
// into stubs: when no other file's ranks them.
func readFile(filename string, data []byte, format Format, chunked bool, resolver mockserver.Methods) (res *native.Result, f *foreign, stubs []expect.Stub, err error) {
	format, global := format.split()
	headGripmock := false
	if format == Auto {
		// Told from the first stub, which is all Detect looks at: a
		// native file is then parsed by expect alone, in chunks when big,
		// never whole here first.
		if head, ok := expect.StubFileHead(data); ok {
			switch Detect(head) {
			case Native:
				format = Native
			case Gripmock:
				headGripmock = true
			}
		}
	}
	if format == Native {
		stubs, err := expect.ParseStubs(filename, data, resolver)
		return nil, nil, stubs, err
	}
	data, format, computed, ps := loadTime(filename, data, format)
	if err := problems(ps); err != nil {
		return nil, nil, nil, err
	}
	// A file of format Auto is still Auto here when it has no templates
	// or loadTime could not tell it gripmock's: then the whole file
	// decides.
	if chunked && (format == Gripmock || format == Auto && headGripmock && !bytes.Contains(data, []byte("{{"))) {
		f = &foreign{name: filename, data: data, format: Gripmock, global: global, computed: computed}
		if stubs, ok := f.chunked(resolver); ok {
			return nil, nil, stubs, nil
		}
	}
	root, err := parseYAML(data)
	if err != nil {
		if format == Auto {
			stubs, err := expect.ParseStubs(filename, data, resolver)
			return nil, nil, stubs, err
		}
		return nil, nil, nil, yamlError(filename, err, computed)
	}
	if format == Auto {
		format = Detect(root)
	}
	if format == Native {
		// Parsed once, from the tree read for Detect.
		stubs, err := expect.ParseStubTree(filename, data, root, resolver)
		return nil, nil, stubs, err
	}
	f = &foreign{name: filename, data: data, format: format, global: global, computed: computed}
	if res, err = f.translate(root, resolver); err != nil {
		return nil, nil, nil, err
	}
	return res, f, nil, nil
}

// parseYAML parses a foreign file: a big list of stubs in chunks, on every
// core.
func parseYAML(data []byte) (*yaml.Node, error) {
	if big, ok := expect.ParseStubList(data); ok {
		return big, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	return &root, nil
}

// foreign is a foreign file as it is translated: its text once the
// templates gripmock runs at load ran, and its format. A stub translated
// from it that a Mock must compile anew (bound to another server) is
// translated anew from it, the same, so that no stub keeps its nodes.
type foreign struct {
	name     string
	data     []byte
	format   Format
	global   bool // WireMock's global response templating
	computed gripmock.Computed
}

// translate translates the file, parsed (root).
func (f *foreign) translate(root *yaml.Node, resolver mockserver.Methods) (*native.Result, error) {
	f.computed.Annotate(root)
	res, err := read(f.name, root, f.format, f.global, resolver)
	if err != nil {
		return nil, err
	}
	if err := problems(res.Problems); err != nil {
		return nil, err
	}
	return res, nil
}

// chunked reads a big gripmock file chunk by chunk, each chunk's stubs
// compiled as soon as they are translated (expect.ParseStubListChunked);
// ok is false when the file is not read so (then it is read whole).
func (f *foreign) chunked(resolver mockserver.Methods) ([]expect.Stub, bool) {
	cs := gripmock.NewChunks(f.name, resolver)
	translated := func(stubs []native.Stub) expect.Translated {
		t := expect.Translated{Nodes: make([]*yaml.Node, len(stubs)), Orders: make([]int, len(stubs))}
		for i, s := range stubs {
			t.Nodes[i], t.Orders[i] = s.Node, s.Order
		}
		return t
	}
	anew := again([]*foreign{f}, resolver)
	return expect.ParseStubListChunked(f.name, f.data, func(c int, items []*yaml.Node) (expect.Translated, bool) {
		f.computed.Annotate(native.Seq(0, items...))
		stubs, ok := cs.Read(c, items)
		return translated(stubs), ok
	}, func() (expect.Translated, bool) {
		return translated(cs.Rest()), true
	}, func() ([]*yaml.Node, error) { return anew(0) }, resolver)
}

// again gives the stubs' nodes of files, the i-th's, translated anew and
// ranked as they were at load (rank): all of them at the first call, once.
func again(files []*foreign, resolver mockserver.Methods) func(i int) ([]*yaml.Node, error) {
	var once sync.Once
	var out [][]*yaml.Node
	var err error
	return func(i int) ([]*yaml.Node, error) {
		once.Do(func() {
			results := make([]*native.Result, len(files))
			for j, f := range files {
				var root *yaml.Node
				if root, err = parseYAML(f.data); err != nil {
					err = yamlError(f.name, err, f.computed)
					return
				}
				if results[j], err = f.translate(root, resolver); err != nil {
					return
				}
			}
			rank(results)
			for _, r := range results {
				out = append(out, nodes(r.Stubs))
			}
		})
		if err != nil {
			return nil, err
		}
		return out[i], nil
	}
}

// loadTime runs, in a gripmock file that is YAML, the templates gripmock
// runs at load (gripmock.LoadTime), telling first whether a file of
// format Auto is gripmock's: its templates may keep it from parsing.
func loadTime(filename string, data []byte, format Format) ([]byte, Format, gripmock.Computed, []Problem) {
	if (format != Auto && format != Gripmock) || !bytes.Contains(data, []byte("{{")) || !isYAML(filename, data) {
		return data, format, gripmock.Computed{}, nil
	}
	if format == Auto {
		var probe yaml.Node
		if yaml.Unmarshal(gripmock.Blanked(data), &probe) != nil || Detect(&probe) != Gripmock {
			return data, format, gripmock.Computed{}, nil
		}
		format = Gripmock
	}
	out, computed, ps := gripmock.LoadTime(filename, data)
	return out, format, computed, ps
}

// isYAML tells a YAML file from a JSON one, as gripmock does by the name
// (it runs templates at load in .yaml and .yml files, not in .json ones);
// a name without either (an admin API body) by the text.
func isYAML(filename string, data []byte) bool {
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".yaml", ".yml":
		return true
	case ".json":
		return false
	}
	return !json.Valid(data)
}

// yamlError is a file's YAML error, naming the template whose result is
// on its line, when one is.
func yamlError(filename string, err error, computed gripmock.Computed) error {
	msg := computed.Explain(strings.TrimPrefix(err.Error(), "yaml: "))
	var line int
	if _, err := fmt.Sscanf(msg, "line %d:", &line); err == nil {
		// file:line, as every other error of a stub file.
		_, msg, _ = strings.Cut(msg, ":")
		return fmt.Errorf("%w: %s:%d:%s", expect.ErrStubFile, filename, line, msg)
	}
	return fmt.Errorf("%w: %s: %v", expect.ErrStubFile, filename, msg)
}
