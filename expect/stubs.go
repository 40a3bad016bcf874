package expect

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	spb "google.golang.org/genproto/googleapis/rpc/status"

	"github.com/grpcdouble/grpcdouble/internal/boundedfile"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// The stub file format. Field names here are the format's; STUBS.md and
// stub.schema.json document the same names (a test keeps them in step).
type stubDoc struct {
	ID        string               `yaml:"id"`
	Method    string               `yaml:"method"`
	Times     yaml.Node            `yaml:"times"`
	Metadata  map[string]yaml.Node `yaml:"metadata"`
	Session   string               `yaml:"session"`
	Request   *matchDoc            `yaml:"request"`
	Requests  *listDoc             `yaml:"requests"`
	Headers   map[string]yaml.Node `yaml:"headers"`
	HeadersAt yaml.Node            `yaml:"headersAt"`
	Trailers  map[string]yaml.Node `yaml:"trailers"`
	Delay     yaml.Node            `yaml:"delay"`
	Pace      yaml.Node            `yaml:"pace"`
	Response  yaml.Node            `yaml:"response"`
	Responses yaml.Node            `yaml:"responses"` // a list of messages, or {template: ...}
	Steps     []stepDoc            `yaml:"steps"`
	Status    *statusDoc           `yaml:"status"`
	KeepOpen  bool                 `yaml:"keepOpen"`

	// Ranking and state (dynamic.go).
	Priority  yaml.Node `yaml:"priority"`
	Scenario  string    `yaml:"scenario"`
	WhenState string    `yaml:"whenState"`
	SetState  string    `yaml:"setState"`

	// Faults.
	AbortAfter     *abortDoc `yaml:"abortAfter"`
	DropConnection bool      `yaml:"dropConnection"`
	PadTo          *int      `yaml:"padTo"`

	Then     []thenDoc  `yaml:"then"`     // then.go
	Template *yaml.Node `yaml:"template"` // then.go: a put stub only
}

type abortDoc struct {
	Messages *int        `yaml:"messages"`
	Code     yaml.Node   `yaml:"code"`
	Message  string      `yaml:"message"`
	Details  []yaml.Node `yaml:"details"`
}

type oversizeDoc struct {
	Message yaml.Node `yaml:"message"`
	Size    *int      `yaml:"size"`
}

type matchDoc struct {
	Equal   yaml.Node  `yaml:"equal"`
	Partial yaml.Node  `yaml:"partial"`
	Any     bool       `yaml:"any"`
	Fields  yaml.Node  `yaml:"fields"`
	AnyOf   []matchDoc `yaml:"anyOf"` // alternatives, with the keys beside them ANDed
}

type listDoc struct {
	Equal   []yaml.Node `yaml:"equal"`
	Partial []yaml.Node `yaml:"partial"`
	Count   *int        `yaml:"count"`
	Fields  []yaml.Node `yaml:"fields"`
	Each    *matchDoc   `yaml:"each"` // listeach.go
	Some    *matchDoc   `yaml:"some"`
	Latest  *matchDoc   `yaml:"latest"`
}

type statusDoc struct {
	Code    yaml.Node   `yaml:"code"`
	Message string      `yaml:"message"`
	Details []yaml.Node `yaml:"details"`
}

type stepDoc struct {
	Send       yaml.Node  `yaml:"send"`
	Recv       *matchDoc  `yaml:"recv"`
	RecvAll    *listDoc   `yaml:"recvAll"`
	Delay      yaml.Node  `yaml:"delay"`
	SendHeader bool       `yaml:"sendHeader"`
	Status     *statusDoc `yaml:"status"`
	KeepOpen   bool       `yaml:"keepOpen"`

	DropConnection bool         `yaml:"dropConnection"`
	SendOversized  *oversizeDoc `yaml:"sendOversized"`

	ForEach []ruleDoc `yaml:"forEach"` // foreach.go
}

type fileDoc struct {
	Stubs []stubDoc `yaml:"stubs"`
}

// Stub is one parsed stub: the declarative form of an expectation. Add it to
// a Mock with AddStubs.
//
// A stub parsed for a known method is compiled once, at parse; adding it to
// a Mock (or to every session's) copies what it compiled to. It keeps no
// YAML: 100,000 stubs holding their node trees took 1.5 GB.
type Stub struct {
	ID     string // from the file; "" gets a number when added
	Method string // "/pkg.Service/Method"
	File   string
	Line   int

	methodLine int         // the line of its method key
	def        string      // definition, computed at parse
	built      *built      // compiled at parse, when the method was known
	src        *stubSource // what compile reads; nil once built from a file it can read again
	file       *stubData   // the file it came from, to read it again
	index      int         // its place among the file's stubs
}

// stubSource is a stub's document: decoded, and its nodes for line numbers.
type stubSource struct {
	doc  *stubDoc   // decoded in place: not copied, it is a kilobyte
	node *yaml.Node // the stub's mapping
	torn bool       // yaml could not decode all of it: its whole is not checked
}

// built is a stub compiled at parse, for md: each Mock's expectation of it
// shares c.
type built struct {
	c       *compiled
	md      protoreflect.MethodDescriptor
	limit   int // the send limit it was checked against (knownSendLimit)
	limitOK bool
}

// Source is "file:line".
func (s Stub) Source() string { return s.File + ":" + strconv.Itoa(s.Line) }

// ParseStubs parses a stub file (YAML or JSON) into stubs. A file holds a
// list of stubs, a mapping with a "stubs" list, or a single stub. Messages
// are protojson, resolved against the method's descriptor: found through
// resolver (nil: none) or else among the compiled Go types. Stubs whose
// method neither knows are checked when added to a Mock that is bound to a
// server. Errors wrap ErrStubFile and name file, line and field; every
// problem of every stub is reported (but what hangs on another, such as
// the rest of a stub whose method is unknown), one a line in the order of
// the lines, and the stubs without one are returned beside the error.
func ParseStubs(filename string, data []byte, resolver mockserver.Methods) ([]Stub, error) {
	if stubs, err, ok := parseChunked(filename, data, resolver); ok {
		return stubs, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		if msg, ok := jsonSyntaxError(filename, data); ok {
			return nil, fmt.Errorf("%w: %s", ErrStubFile, msg)
		}
		return nil, fmt.Errorf("%w: %s", ErrStubFile, yamlError(filename, err))
	}
	return ParseStubTree(filename, data, &root, resolver)
}

// ParseStubTree is ParseStubs for a file its caller has parsed already
// (yaml.Unmarshal of data into root), such as a reader that looked at the
// file's shape first: the file is parsed once. It takes root over: the
// stubs' nodes are let go as each stub is compiled.
func ParseStubTree(filename string, data []byte, root *yaml.Node, resolver mockserver.Methods) ([]Stub, error) {
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, nil
	}
	file := &stubData{name: filename, data: data}
	items, err := stubItems(filename, root)
	if errors.Is(err, errFileShape) {
		return decodeWhole(filename, data, file, resolver)
	}
	if err != nil {
		return nil, err
	}
	var renamed problems
	if len(renamedKeys(filename, items, &renamed)) > 0 {
		return decodeWhole(filename, data, file, resolver) // which says them all
	}
	var errs []error
	out := make([]Stub, 0, len(items))
	names := map[string]string{}
	// Each stub is decoded from its nodes, checked for unknown fields,
	// compiled and let go, one at a time. A file with a decoding problem
	// anywhere is decoded again whole by yaml's decoder instead, whose
	// errors (every one, in order) are the file's.
	for i, it := range items {
		var d stubDoc
		if err := it.Decode(&d); err != nil || !knownFields(it, stubDocType) {
			return decodeWhole(filename, data, file, resolver)
		}
		s, err := parseStub(filename, i, it, &d, resolver, false, false, names)
		if err != nil {
			errs = append(errs, err)
		} else {
			s.release(file)
			out = append(out, s)
		}
		items[i] = nil
	}
	// The stubs that parsed come back with the errors of the others, so
	// that a check (grpcdouble lint, CheckStubs) can report what adding
	// them would say too: every problem at once.
	return out, errors.Join(errs...)
}

// stubItems are the stubs' mappings of a parsed file (root): the list's
// items, the "stubs" list's, or the one stub. The slice is the tree's own.
func stubItems(filename string, root *yaml.Node) ([]*yaml.Node, error) {
	doc := root.Content[0]
	switch {
	case doc.Kind == yaml.SequenceNode:
		return doc.Content, nil
	case doc.Kind == yaml.MappingNode && mapChild(doc, "stubs") != nil:
		if len(doc.Content) != 2 {
			return nil, errFileShape // other keys: the decoder names them
		}
		if s := mapChild(doc, "stubs"); s.Kind == yaml.SequenceNode {
			return s.Content, nil
		}
		return nil, errFileShape
	case doc.Kind == yaml.MappingNode:
		return []*yaml.Node{doc}, nil
	}
	return nil, fmt.Errorf("%w: %s:%d: want a list of stubs, a mapping with \"stubs\", or one stub", ErrStubFile, filename, doc.Line)
}

// errFileShape is a file stubItems leaves to decodeWhole.
var errFileShape = errors.New("decode the file whole")

// decodeWhole parses a file as yaml's decoder does, unknown fields refused:
// the path of a file with a problem somewhere, so that its errors are the
// decoder's, every one and in order.
func decodeWhole(filename string, data []byte, file *stubData, resolver mockserver.Methods) ([]Stub, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrStubFile, yamlError(filename, err))
	}
	doc := root.Content[0]
	var items []*yaml.Node
	var docs []stubDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var err error
	switch {
	case doc.Kind == yaml.SequenceNode:
		items = doc.Content
		err = dec.Decode(&docs)
	case doc.Kind == yaml.MappingNode && mapChild(doc, "stubs") != nil:
		var f fileDoc
		err = dec.Decode(&f)
		docs = f.Stubs
		if s := mapChild(doc, "stubs"); s.Kind == yaml.SequenceNode {
			items = s.Content
		}
	default:
		items = []*yaml.Node{doc}
		docs = make([]stubDoc, 1)
		err = dec.Decode(&docs[0])
	}
	var p problems
	renamed := renamedKeys(filename, items, &p)
	// yaml decodes what it can and names what it could not (an unknown
	// key, a value of the wrong type), so the stubs are checked too; a
	// stub with such a problem is not returned.
	torn, err := typeErrors(filename, err, renamed, &p)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrStubFile, yamlError(filename, err))
	}
	out := make([]Stub, 0, len(docs))
	names := map[string]string{}
	for i, d := range docs {
		if i >= len(items) || items[i].Kind != yaml.MappingNode {
			continue // not a stub: yaml said so
		}
		end := math.MaxInt
		if i+1 < len(items) {
			end = items[i+1].Line
		}
		torn := torn.in(items[i].Line, end)
		s, err := parseStub(filename, i, items[i], &d, resolver, false, torn, names)
		if !p.add(err) && !torn {
			s.release(file)
			out = append(out, s)
		}
	}
	// The stubs that parsed come back with the errors of the others, so
	// that a check (grpcdouble lint, CheckStubs) can report what adding
	// them would say too: every problem at once.
	return out, p.err()
}

// lines is a set of lines of a file.
type lines []int

// in says whether a line in [from, to) is in the set.
func (l lines) in(from, to int) bool {
	for _, n := range l {
		if n >= from && n < to {
			return true
		}
	}
	return false
}

// typeErrors adds the problems of a yaml.TypeError to p, but those on a
// line of a renamed key (which say it better), and returns their lines.
// Any other error is returned as it is.
func typeErrors(file string, err error, renamed lines, p *problems) (lines, error) {
	var te *yaml.TypeError
	if err == nil || !errors.As(err, &te) {
		return renamed, err
	}
	torn := renamed
	for _, e := range te.Errors {
		line := 0
		if m := yamlLine.FindStringSubmatch(e); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		if line > 0 && slices.Contains(renamed, line) {
			continue
		}
		torn = append(torn, line)
		p.add(&stubError{file: file, line: line, what: yamlTypes.Replace(yamlLine.ReplaceAllString(e, ""))})
	}
	return torn, nil
}

// parseStub checks and compiles the stub at item, the file's i-th.
// Nodes a program built (ParseStubNodes, foreign) may carry IDs of any
// form, as they always could.
func parseStub(filename string, i int, item *yaml.Node, d *stubDoc, resolver mockserver.Methods, foreign, torn bool, names map[string]string) (Stub, error) {
	s := Stub{ID: d.ID, File: filename, Line: item.Line, methodLine: item.Line, index: i, src: &stubSource{doc: d, node: item, torn: torn}}
	if k := mapChild(item, "method"); k != nil {
		s.methodLine = k.Line
	}
	// Every problem is reported, but what hangs on another: nothing can
	// be checked without the method.
	var p problems
	if d.ID != "" && !foreign && !validID.MatchString(d.ID) {
		p.add(s.errf(mapChild(item, "id"), "id", "%q: want at most 128 letters, digits and . _ : - starting with a letter, digit or _ (an ID is a URL path segment: DELETE /stubs/{id})", d.ID))
	}
	if d.Template != nil {
		p.add(s.errf(mapChild(item, "template"), "template", "only a put stub is given as a template: then: [{putStubs: [{template: {method: ..., ...}}]}]"))
		return s, p.err()
	}
	if n, field := nullItem(item, stubDocType, "", 0); n != nil {
		// What is compiled next would name the items after it wrongly.
		p.add(s.errf(n, field, "an empty item (null): give one or leave the line out"))
		return s, p.err()
	}
	full, err := mockserver.NormalizeMethod(d.Method)
	if d.Method == "" {
		err = errors.New("method is required")
	}
	if err != nil {
		p.add(s.errf(mapChild(item, "method"), "method", "%v", err)) // at the stub's line when it has none
		return s, p.err()
	}
	if in, ok := names[full]; ok {
		full = in // one string for every stub of a method
	} else if names != nil {
		names[full] = full
	}
	s.Method = full
	s.def = s.definition()
	// Check it now if the method is known.
	md, err := lookupWith(resolver, full)
	if err != nil {
		p.add(s.errf(mapChild(item, "method"), "method", "%v", err))
		return s, p.err()
	}
	if md != nil {
		e := &expectation{method: full, kind: mockserver.KindOf(md), md: md, resolver: resolver, compiled: &compiled{}}
		e.min, e.max = 0, -1
		if p.add(s.compile(e, md)) || !p.ok() {
			return s, p.err()
		}
		if err := e.checkOverallHealth(); err != nil {
			p.add(s.errf(mapChild(item, "request"), "request", "%v", err))
			return s, p.err()
		}
		c := e.compiled
		// Clipped, so that nothing appending to a list can write into
		// the shared one's.
		c.mdm, c.fields, c.script = slices.Clip(c.mdm), slices.Clip(c.fields), slices.Clip(c.script)
		c.headerT, c.trailerT = slices.Clip(c.headerT), slices.Clip(c.trailerT)
		b := &built{c: c, md: md}
		b.limit, b.limitOK = e.knownSendLimit()
		s.built = b
	}
	return s, p.err()
}

// release lets go of the stub's nodes once it is built: it can read its
// file again should a Mock need it compiled otherwise (compileFor).
func (s *Stub) release(file *stubData) {
	if s.built != nil && file != nil && (file.data != nil || file.again != nil) {
		s.src, s.file = nil, file
	}
}

// stubData is a stub file's bytes, read again (and parsed once) only for a
// stub that must be compiled anew; for a foreign file (ParseStubNodes),
// again gives its stubs' nodes anew instead.
type stubData struct {
	name  string
	data  []byte
	again func() ([]*yaml.Node, error)

	mu    sync.Mutex
	items []*yaml.Node
}

// read reads the file's stubs again.
func (f *stubData) read() ([]*yaml.Node, error) {
	if f.again != nil {
		return f.again()
	}
	var root yaml.Node
	if err := yaml.Unmarshal(f.data, &root); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrStubFile, yamlError(f.name, err))
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, fmt.Errorf("%w: %s: the file is empty now", ErrStubFile, f.name)
	}
	items, err := stubItems(f.name, &root)
	if err != nil {
		if s := mapChild(root.Content[0], "stubs"); s != nil && s.Kind == yaml.SequenceNode {
			items = s.Content
		} else {
			return nil, err
		}
	}
	return items, nil
}

// source is what compile reads: the stub's own, or its file's read again.
func (s Stub) source() (*stubSource, error) {
	if s.src != nil {
		return s.src, nil
	}
	if s.file == nil {
		return nil, fmt.Errorf("%w: %s: the stub's definition is gone", ErrStubFile, s.Source())
	}
	f := s.file
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.items == nil {
		items, err := f.read()
		if err != nil {
			return nil, err
		}
		f.items = items
	}
	if s.index >= len(f.items) || f.items[s.index] == nil {
		return nil, fmt.Errorf("%w: %s: the stub is gone from the file", ErrStubFile, s.Source())
	}
	n := f.items[s.index]
	var d stubDoc
	if err := n.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrStubFile, yamlError(f.name, err))
	}
	return &stubSource{doc: &d, node: n}, nil
}

// validID is the form of a stub ID: safe in a URL path as it is, so the
// admin API can always delete a stub by its own ID.
var validID = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$`)

func lookupWith(resolver mockserver.Methods, full string) (protoreflect.MethodDescriptor, error) {
	if resolver != nil {
		if md, err := resolver.Method(full); err == nil {
			return md, nil
		}
	}
	return globalMethod(full, false)
}

// Keys that are not (or no longer) the format's, with the key to write
// instead: old names, and the names a user of the Go methods would guess.
var (
	stubRenames = map[string]string{
		"after": "delay", "wait": "delay",
		"header": "headers", "trailer": "trailers",
	}
	stepRenames = map[string]string{
		"sendHeaders": "sendHeader",
		"wait":        "delay",
	}
)

// renamedKeys adds to p every renamed key in the stubs' mappings and
// their steps, at its line, with the key to write instead, and returns
// their lines.
func renamedKeys(file string, items []*yaml.Node, p *problems) lines {
	var at lines
	check := func(n *yaml.Node, where string, renames map[string]string) {
		if n == nil || n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if to, ok := renames[k.Value]; ok {
				p.add(&stubError{file: file, line: k.Line, field: where + k.Value, what: fmt.Sprintf("unknown field; write %q instead", to)})
				at = append(at, k.Line)
			}
		}
	}
	for _, it := range items {
		check(it, "", stubRenames)
		if steps := mapChild(it, "steps"); steps != nil && steps.Kind == yaml.SequenceNode {
			for i, st := range steps.Content {
				check(st, fmt.Sprintf("steps[%d].", i), stepRenames)
			}
		}
	}
	return at
}

// LoadStubs reads stub files, and every .yaml, .yml and .json file under the
// folders given, in lexical order. Editor files in folders (".#x.yaml",
// "x.yaml~", swap files) are skipped. Only regular files of at most 1 GiB
// are read: a device or a FIFO is an error, not a read for ever.
func LoadStubs(resolver mockserver.Methods, paths ...string) ([]Stub, error) {
	files, err := StubFiles(paths...)
	if err != nil {
		return nil, err
	}
	var all []Stub
	var errs []error
	for _, f := range files {
		data, err := boundedfile.ReadFile(f, boundedfile.Limit)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrStubFile, err))
			continue
		}
		stubs, err := ParseStubs(f, data, resolver)
		if err != nil {
			errs = append(errs, err)
		}
		all = append(all, stubs...) // those that parsed, beside the errors
	}
	return all, errors.Join(errs...)
}

// StubFiles lists the stub files LoadStubs reads for paths: each file
// given, and every .yaml, .yml and .json file under each folder given, in
// lexical order, editor files left out.
func StubFiles(paths ...string) ([]string, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStubFile, err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || editorFile(d.Name()) {
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStubFile, err)
		}
	}
	return files, nil
}

// editorFile reports the files editors leave beside the one being edited:
// Emacs's lock ".#x.yaml" (often a dangling symbolic link) and backup
// "x.yaml~", Vim's swap files.
func editorFile(name string) bool {
	return strings.HasPrefix(name, ".#") || strings.HasSuffix(name, "~") ||
		strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, ".swo") || strings.HasSuffix(name, ".swx")
}

// AddStubs adds stubs as expectations and returns their IDs. A stub without
// "times" may be called any number of times. Nothing is added if any stub
// fails, a duplicate ID included. A stub without an ID gets the next number
// no expectation has.
func (m *Mock) AddStubs(stubs ...Stub) ([]string, error) {
	return m.addStubs(stubs, false)
}

// compileStubs builds the expectations of stubs, inserting none.
func (m *Mock) compileStubs(stubs []Stub) ([]*expectation, error) {
	exps := make([]*expectation, len(stubs))
	var errs []error
	for i := range stubs {
		s := &stubs[i]
		// What the stub compiled to at parse, when it did: shared by
		// the expectation if it is for the same method and send limit
		// (compileFor), else put aside for a compiled of its own.
		var c *compiled
		if s.built != nil {
			c = s.built.c
		} else {
			c = &compiled{min: 0, max: -1}
		}
		e, err := m.prepareWith(s.Method, -1, s.Source(), c)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %s:%d: method: %v", ErrStubFile, s.File, s.methodLine, err))
			continue
		}
		if e.md != nil {
			if err := s.compileFor(e, e.md); err != nil {
				errs = append(errs, err)
				continue
			}
			if err := e.checkOverallHealth(); err != nil {
				errs = append(errs, fmt.Errorf("%w: %s:%d: request: %v", ErrStubFile, s.File, s.Line, err))
				continue
			}
		} else {
			s := *s
			e.deferred = append(e.deferred, func(md protoreflect.MethodDescriptor) error { return s.compileFor(e, md) })
		}
		e.def = s.def
		if e.def == "" {
			e.def = s.definition()
		}
		exps[i] = e
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return exps, nil
}

// compileFor fills e from the stub, for the method md: what the stub
// compiled to at parse (shared, not copied) when that was for md and the
// same send limit, else compiled anew.
func (s Stub) compileFor(e *expectation, md protoreflect.MethodDescriptor) error {
	if b := s.built; b != nil && b.md == md {
		if limit, ok := e.knownSendLimit(); limit == b.limit && ok == b.limitOK {
			e.compiled = b.c
			return nil
		}
	}
	if s.built != nil && e.compiled == s.built.c {
		e.compiled = &compiled{min: 0, max: -1} // its own, not the shared one
	}
	src, err := s.source()
	if err != nil {
		return err
	}
	s.src = src
	return s.compile(e, md)
}

// LoadStubs loads stub files and folders (see the package-level LoadStubs)
// into the Mock. With a test, an error is also reported on it.
func (m *Mock) LoadStubs(paths ...string) error {
	m.mu.RLock()
	res := m.bound
	if res == nil {
		res = m.cfg.resolver
	}
	m.mu.RUnlock()
	stubs, err := LoadStubs(res, paths...)
	if err == nil {
		_, err = m.AddStubs(stubs...)
	}
	if err != nil && m.tb != nil {
		m.tb.Helper()
		m.tb.Errorf("expect: %v", err)
	}
	return err
}

func (s Stub) errf(n *yaml.Node, field, format string, args ...any) error {
	line := s.Line
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	return &stubError{file: s.File, line: line, field: field, what: fmt.Sprintf(format, args...)}
}

// jsonSyntaxError names the line of a syntax error in a stub file written
// as JSON: yaml names the line where the enclosing collection starts, which
// can be far from the mistake.
func jsonSyntaxError(file string, data []byte) (string, bool) {
	t := bytes.TrimLeft(data, " \t\r\n")
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return "", false
	}
	var v any
	var se *json.SyntaxError
	if err := json.Unmarshal(data, &v); !errors.As(err, &se) {
		return "", false
	}
	off := min(max(se.Offset-1, 0), int64(len(data)))
	return fmt.Sprintf("%s:%d: %v", file, 1+bytes.Count(data[:off], []byte{'\n'}), se), true
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

var yamlTypes = strings.NewReplacer(
	"expect.stubDoc", "stub", "expect.stepDoc", "step", "expect.ruleDoc", "forEach rule", "expect.matchDoc", "message match",
	"expect.listDoc", "messages match", "expect.statusDoc", "status", "expect.fileDoc", "stub file",
	"expect.thenDoc", "then effect",
)

// yamlError rewrites yaml's "line N: ..." into "file:N: ...".
func yamlError(file string, err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			out[i] = yamlTypes.Replace(yamlLine.ReplaceAllString(e, file+":$1: "))
		}
		return strings.Join(out, "\n")
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return file + ":" + m[1] + ": " + yamlLine.ReplaceAllString(msg, "")
	}
	return file + ": " + msg
}

func mapChild(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func seqItem(n *yaml.Node, i int) *yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
		return n
	}
	return n.Content[i]
}

// protojson's errors start "proto: (line 1:13): ", a position in the JSON
// made from the YAML, which means nothing to the user; the file line does.
var protoErrPrefix = regexp.MustCompile(`^proto: *(\(line \d+:\d+\): *)?`)

// fieldInError finds the field a protojson error is about: an unknown
// field, or one with a value of the wrong type.
var fieldInError = regexp.MustCompile(`unknown field "([^"]+)"|invalid value for [a-zA-Z0-9.]+ field ([A-Za-z0-9_]+)`)

// message decodes a protojson message written as YAML or JSON.
func (s Stub) message(n *yaml.Node, field string, md protoreflect.MessageDescriptor) (proto.Message, error) {
	msg := messageType(md).New().Interface()
	if err := s.decodeJSON(n, field, msg); err != nil {
		return nil, err
	}
	return msg, nil
}

func (s Stub) decodeJSON(n *yaml.Node, field string, msg proto.Message) error {
	if js, ok := appendNodeJSON(nil, n, 0); ok && protojson.Unmarshal(js, msg) == nil {
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return s.errf(n, field, "%v", err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		return s.errf(n, field, "%v", err)
	}
	err = protojson.Unmarshal(js, msg)
	if err == nil {
		return nil
	}
	// protojson stops at its first problem: each field is checked on its
	// own too, so that one wrong field does not hide the next.
	md := msg.ProtoReflect().Descriptor()
	var p problems
	if m := resolveAlias(n); m.Kind == yaml.MappingNode && !isWellKnown(md) {
		s.fieldProblems(m, field, md, md, &p)
	}
	if p.ok() { // a problem of the whole (a oneof set twice, ...)
		p.add(s.protoError(n, n, field, md, err))
	}
	return p.err()
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// fieldProblems adds to p the problems of each field of the mapping n, a
// message of type md inside the message top: an unknown key, or a value
// protojson refuses when it decodes that field alone. The fields of the
// messages inside (alone and in lists) are checked one by one too; the
// well-known types, whose JSON is their own, as a whole.
func (s Stub) fieldProblems(n *yaml.Node, field string, top, md protoreflect.MessageDescriptor, p *problems) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		fd := fieldByName(md, k.Value)
		var sub protoreflect.MessageDescriptor
		if fd != nil && fd.Message() != nil && !fd.IsMap() && !isWellKnown(fd.Message()) {
			sub = fd.Message()
		}
		switch {
		case fd == nil && !strings.HasPrefix(k.Value, "["): // "[pkg.ext]" is an extension: protojson's to judge
			p.add(s.errf(k, field, "not %s: unknown field %q", article(top.FullName()), k.Value))
		case sub != nil && !fd.IsList() && v != nil && v.Kind == yaml.MappingNode:
			s.fieldProblems(v, field, top, sub, p)
		case sub != nil && fd.IsList() && v != nil && v.Kind == yaml.SequenceNode && allMappings(v):
			for _, c := range v.Content {
				s.fieldProblems(resolveAlias(c), field, top, sub, p)
			}
		default:
			var val any
			if err := v.Decode(&val); err != nil {
				p.add(s.errf(v, field, "%v", err))
				continue
			}
			js, err := json.Marshal(map[string]any{k.Value: val})
			if err != nil {
				p.add(s.errf(v, field, "%v", err))
				continue
			}
			if err := protojson.Unmarshal(js, messageType(md).New().Interface()); err != nil {
				pair := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{k, v}, Line: k.Line}
				p.add(s.protoError(pair, k, field, top, err))
			}
		}
	}
}

func allMappings(n *yaml.Node) bool {
	for _, c := range n.Content {
		if c := resolveAlias(c); c == nil || c.Kind != yaml.MappingNode {
			return false
		}
	}
	return true
}

// protoError is a protojson error about a message of type md at the key
// in n it is about, else at def.
func (s Stub) protoError(n, def *yaml.Node, field string, md protoreflect.MessageDescriptor, err error) error {
	at := def
	if m := fieldInError.FindStringSubmatch(err.Error()); m != nil {
		if k := findKey(n, m[1]+m[2]); k != nil {
			at = k
		}
	}
	text := protoErrPrefix.ReplaceAllString(strings.ReplaceAll(err.Error(), "\u00a0", " "), "")
	return s.errf(at, field, "not %s: %s", article(md.FullName()), text)
}

func findKey(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i]
			}
		}
	}
	for _, c := range n.Content {
		if k := findKey(c, key); k != nil {
			return k
		}
	}
	return nil
}

func present(n yaml.Node) bool { return n.Kind != 0 }

func (s Stub) duration(n *yaml.Node, field string) (time.Duration, error) {
	if !present(*n) {
		return 0, nil
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || d < 0 {
		return 0, s.errf(n, field, "want a duration like 250ms or 2s, got %q", n.Value)
	}
	if d > MaxStubDelay {
		return 0, s.errf(n, field, "%v is longer than the longest allowed, %v", d, MaxStubDelay)
	}
	return d, nil
}

func (s Stub) matcher(n *yaml.Node, field string, m *matchDoc, md protoreflect.MessageDescriptor) (Matcher, error) {
	if m.AnyOf == nil {
		return s.matcher1(n, field, m, md)
	}
	an := mapChild(n, "anyOf")
	if an == nil || an.Kind != yaml.SequenceNode || len(an.Content) != len(m.AnyOf) || len(m.AnyOf) == 0 {
		at := n
		if an != nil {
			at = an
		}
		return nil, s.errf(at, field+".anyOf", "want a list of one or more message matches (equal, partial, fields)")
	}
	var p problems
	alts := make(anyOfMatcher, len(m.AnyOf))
	for i := range m.AnyOf {
		sub, err := s.matcher(an.Content[i], fmt.Sprintf("%s.anyOf[%d]", field, i), &m.AnyOf[i], md)
		p.add(err)
		alts[i] = sub
	}
	rest := *m
	rest.AnyOf = nil
	base, err := s.matcher1(n, field, &rest, md)
	p.add(err)
	if err := p.err(); err != nil {
		return nil, err
	}
	if _, all := base.(anyMatcher); all {
		return alts, nil
	}
	return and(base, alts), nil
}

// matcher1 reads a match without anyOf.
func (s Stub) matcher1(n *yaml.Node, field string, m *matchDoc, md protoreflect.MessageDescriptor) (Matcher, error) {
	set := 0
	var out Matcher = anyMatcher{}
	var p problems
	if m.Any {
		set++
	}
	if present(m.Equal) {
		set++
		if msg, err := s.message(&m.Equal, field+".equal", md); !p.add(err) {
			out = Equal(msg)
		}
	}
	if present(m.Partial) {
		set++
		if msg, err := s.message(&m.Partial, field+".partial", md); !p.add(err) {
			out = Partial(msg)
		}
	}
	if set > 1 {
		p.add(s.errf(n, field, "give one of equal, partial or any"))
	}
	if present(m.Fields) {
		if m.Any {
			p.add(s.errf(n, field, "any: true matches everything; drop it to test fields"))
		}
		f, err := s.fieldsMatcher(&m.Fields, field+".fields", md)
		if p.add(err) || !p.ok() {
			return nil, p.err()
		}
		if set == 0 {
			return f, nil
		}
		return and(out, f), nil
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (s Stub) listMatcher(n *yaml.Node, field string, l *listDoc, md protoreflect.MessageDescriptor) (ListMatcher, error) {
	if l.Each != nil || l.Some != nil || l.Latest != nil {
		return s.listEach(n, field, l, md)
	}
	if l.Fields != nil {
		return s.listFields(n, field, l, md)
	}
	switch {
	case l.Equal != nil && l.Partial == nil && l.Count == nil:
		ms := make([]Matcher, len(l.Equal))
		var p problems
		for i := range l.Equal {
			if msg, err := s.message(&l.Equal[i], fmt.Sprintf("%s.equal[%d]", field, i), md); !p.add(err) {
				ms[i] = Equal(msg)
			}
		}
		if err := p.err(); err != nil {
			return nil, err
		}
		return Messages(ms...), nil
	case l.Partial != nil && l.Equal == nil && l.Count == nil:
		ms := make([]Matcher, len(l.Partial))
		var p problems
		for i := range l.Partial {
			if msg, err := s.message(&l.Partial[i], fmt.Sprintf("%s.partial[%d]", field, i), md); !p.add(err) {
				ms[i] = Partial(msg)
			}
		}
		if err := p.err(); err != nil {
			return nil, err
		}
		return Messages(ms...), nil
	case l.Count != nil && l.Equal == nil && l.Partial == nil:
		if *l.Count < 0 {
			return nil, s.errf(mapChild(n, "count"), field+".count", "want 0 or more messages, got %d", *l.Count)
		}
		return Count(*l.Count), nil
	case l.Count == nil && l.Equal == nil && l.Partial == nil:
		return nil, nil
	}
	return nil, s.errf(n, field, "give one of equal, partial or count")
}

func (s Stub) status(n *yaml.Node, field string, d *statusDoc) (*status.Status, error) {
	code := codes.OK
	var probs problems
	if present(d.Code) {
		c, ok := parseCode(d.Code.Value)
		if !ok {
			probs.add(s.errf(&d.Code, field+".code", "unknown status code %q (want a name like NOT_FOUND or a number 0-16)", d.Code.Value))
		}
		code = c
	}
	p := &spb.Status{Code: int32(code), Message: d.Message}
	for i := range d.Details {
		a := &anypb.Any{}
		if !probs.add(s.decodeJSON(&d.Details[i], fmt.Sprintf("%s.details[%d]", field, i), a)) {
			p.Details = append(p.Details, a)
		}
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return status.FromProto(p), nil
}

func parseCode(v string) (codes.Code, bool) {
	if n, err := strconv.Atoi(v); err == nil {
		return codes.Code(n), n >= 0 && n <= 16
	}
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if norm(c.String()) == norm(v) {
			return c, true
		}
	}
	if norm(v) == "cancelled" {
		return codes.Canceled, true
	}
	return 0, false
}

func (s Stub) mdValues(key string, n *yaml.Node, field string) ([]string, error) {
	var vals []string
	switch n.Kind {
	case yaml.ScalarNode:
		vals = []string{n.Value}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, s.errf(c, field, "want a string")
			}
			vals = append(vals, c.Value)
		}
	default:
		return nil, s.errf(n, field, "want a string or a list of strings")
	}
	if strings.HasSuffix(key, "-bin") {
		for i, v := range vals {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				if b, err = base64.RawStdEncoding.DecodeString(v); err != nil {
					return nil, s.errf(n, field, "a -bin value is written in base64: %v", err)
				}
			}
			vals[i] = string(b)
		}
	}
	return vals, nil
}

func (s Stub) metadataOut(m map[string]yaml.Node, field string) (metadata.MD, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := metadata.MD{}
	var p problems
	for _, k := range sortedKeys(m) {
		n := m[k]
		if vals, err := s.mdValues(strings.ToLower(k), &n, field+"."+k); !p.add(err) {
			out[strings.ToLower(k)] = vals
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

type mdMatchDoc struct {
	Equal   yaml.Node `yaml:"equal"`
	Present bool      `yaml:"present"`
	Absent  bool      `yaml:"absent"`
	Regex   string    `yaml:"regex"`
}

// mdMatchers reads a metadata mapping: a test per key and, when top,
// anyOf, a list of such mappings one of which must hold (no metadata key
// is "anyOf": gRPC's keys are lower case).
func (s Stub) mdMatchers(m map[string]yaml.Node, field string, top bool) ([]mdMatcher, error) {
	var out []mdMatcher
	var p problems
	for _, k := range sortedKeys(m) {
		v := m[k]
		if k == "anyOf" && top {
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				p.add(s.errf(&v, field+".anyOf", "want a list of one or more metadata matches, one of which must hold"))
				continue
			}
			var alts [][]mdMatcher
			for i, an := range v.Content {
				where := fmt.Sprintf("%s.anyOf[%d]", field, i)
				var alt map[string]yaml.Node
				if an.Kind != yaml.MappingNode || len(an.Content) == 0 || an.Decode(&alt) != nil {
					p.add(s.errf(an, where, "want a mapping of metadata keys to matchers"))
					continue
				}
				if _, nested := alt["anyOf"]; nested {
					p.add(s.errf(an, where+".anyOf", "anyOf does not nest: list every alternative in the one anyOf"))
					continue
				}
				ms, err := s.mdMatchers(alt, where, false)
				if !p.add(err) {
					alts = append(alts, ms)
				}
			}
			out = append(out, mdAnyOf(alts))
			continue
		}
		mm, err := s.mdMatcher(strings.ToLower(k), &v, field+"."+k)
		if !p.add(err) {
			out = append(out, mm)
		}
	}
	return out, p.err()
}

func (s Stub) mdMatcher(key string, n *yaml.Node, field string) (mdMatcher, error) {
	if n.Kind != yaml.MappingNode {
		vals, err := s.mdValues(key, n, field)
		return mdEqual(key, vals), err
	}
	var d mdMatchDoc
	if err := n.Decode(&d); err != nil {
		return mdMatcher{}, s.errf(n, field, "%v", err)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "equal", "present", "absent", "regex":
		default:
			return mdMatcher{}, s.errf(n.Content[i], field, "unknown matcher %q (want equal, present, absent or regex)", n.Content[i].Value)
		}
	}
	if len(n.Content) != 2 {
		return mdMatcher{}, s.errf(n, field, "give exactly one of equal, present, absent or regex")
	}
	switch {
	case present(d.Equal):
		vals, err := s.mdValues(key, &d.Equal, field+".equal")
		return mdEqual(key, vals), err
	case d.Present:
		return mdPresent(key), nil
	case d.Absent:
		return mdAbsent(key), nil
	case d.Regex != "":
		re, err := regexp.Compile(d.Regex)
		if err != nil {
			return mdMatcher{}, s.errf(n, field+".regex", "%v", err)
		}
		return mdRegexp(key, re), nil
	}
	return mdMatcher{}, s.errf(n, field, "give one of equal, present: true, absent: true or regex")
}

// MaxStubDelay is the longest delay or pace a stub file may ask for: a
// longer one is a typo (2000h for 2000ms), and would hold the call for good.
const MaxStubDelay = time.Hour

// checkPad bounds a pad by the server's maximum send size plus one, when
// the server is known (else Bind does).
func (s Stub) checkPad(e *expectation, n *yaml.Node, field string, size int) error {
	limit, ok := e.knownSendLimit()
	if ok && size > limit+1 {
		return s.errf(n, field, "%d bytes is above the server's maximum send size plus one (%d bytes): nothing larger can be tested", size, limit+1)
	}
	return nil
}

// compile fills e from the stub, for the method md. It checks everything
// it can and reports every problem it finds, each at its line; a check
// that needs an earlier part (the order of a script whose steps did not
// compile) is left out when that part failed.
func (s Stub) compile(e *expectation, md protoreflect.MethodDescriptor) error {
	d, n := s.src.doc, s.src.node
	kind := mockserver.KindOf(md)
	in, out := md.Input(), md.Output()
	wrongKind := func(field, want string) error {
		return s.errf(mapChild(n, field), field, "is for %s methods; %s is %s", want, e.method, kind)
	}
	var p problems

	// Counts.
	p.add(s.times(e))

	// Request metadata.
	mdm, mdErr := s.mdMatchers(d.Metadata, "metadata", true)
	p.add(mdErr)
	e.mdm = append(e.mdm, mdm...)

	if d.Session != "" {
		if err := CheckSessionName(d.Session); err != nil {
			return s.errf(mapChild(n, "session"), "session", "%v", err)
		}
		e.session = d.Session
	}

	// Request messages.
	if d.Request != nil {
		if kind != mockserver.Unary && kind != mockserver.ServerStream {
			p.add(wrongKind("request", "unary and server-stream"))
		} else if m, err := s.matcher(mapChild(n, "request"), "request", d.Request, in); !p.add(err) {
			e.req = m
		}
	}
	if d.Requests != nil {
		if kind != mockserver.ClientStream {
			p.add(wrongKind("requests", "client-stream"))
		} else if l, err := s.listMatcher(mapChild(n, "requests"), "requests", d.Requests, in); !p.add(err) {
			e.reqs = l
		}
	}

	// Headers, trailers, timing.
	var err error
	if e.header, err = s.metadataOut(d.Headers, "headers"); p.add(err) {
		e.header = nil
	}
	if e.trailer, err = s.metadataOut(d.Trailers, "trailers"); p.add(err) {
		e.trailer = nil
	}
	if e.headerT, err = s.outTmpls(d.Headers, "headers", md); p.add(err) {
		e.headerT = nil
	}
	if e.trailerT, err = s.outTmpls(d.Trailers, "trailers", md); p.add(err) {
		e.trailerT = nil
	}
	if present(d.HeadersAt) {
		switch d.HeadersAt.Value {
		case "message":
			e.headerAt = headersWithFirstMessage
		case "start":
			e.headerAt = headersAtStart
		case "firstRequest":
			e.headerAt = headersAfterFirstRequest
		default:
			p.add(s.errf(&d.HeadersAt, "headersAt", "want message, start or firstRequest; got %q", d.HeadersAt.Value))
		}
	}
	if e.delay, err = s.pause(&d.Delay, "delay", s.env(md)); p.add(err) {
		e.delay = pause{}
	}
	if e.pace, err = s.pause(&d.Pace, "pace", s.env(md)); p.add(err) {
		e.pace = pause{}
	}
	if d.PadTo != nil {
		switch {
		case *d.PadTo <= 0:
			p.add(s.errf(mapChild(n, "padTo"), "padTo", "want a positive number of bytes, got %d", *d.PadTo))
		case !p.add(s.checkPad(e, mapChild(n, "padTo"), "padTo", *d.PadTo)):
			e.padTo = *d.PadTo
		}
	}
	if d.AbortAfter != nil {
		if kind != mockserver.ServerStream && kind != mockserver.BidiStream {
			p.add(wrongKind("abortAfter", "server-stream and bidi"))
		} else {
			an := mapChild(n, "abortAfter")
			a := d.AbortAfter
			ok := true
			if a.Messages == nil || *a.Messages < 0 {
				ok = !p.add(s.errf(an, "abortAfter.messages", "want the number of messages to send before the abort (0 or more)"))
			}
			if !present(a.Code) {
				ok = !p.add(s.errf(an, "abortAfter.code", "want the status to abort with, e.g. UNAVAILABLE"))
			}
			st, err := s.status(an, "abortAfter", &statusDoc{Code: a.Code, Message: a.Message, Details: a.Details})
			if !p.add(err) && ok {
				e.abort = &abort{n: *a.Messages, st: st}
			}
		}
	}

	// The script. Its last checks (one is needed, the end comes last) are
	// about the whole: made only when every part of it compiled.
	var script []step
	var sp problems
	if present(d.Response) {
		if kind != mockserver.Unary && kind != mockserver.ClientStream {
			sp.add(s.errf(&d.Response, "response", "is for unary and client-stream methods; %s is %s (use responses or steps)", e.method, kind))
		} else if st, err := s.sendStep(&d.Response, "response", md); !sp.add(err) {
			script = append(script, st)
		}
	}
	if present(d.Responses) {
		switch rs := &d.Responses; {
		case kind != mockserver.ServerStream && kind != mockserver.BidiStream:
			sp.add(wrongKind("responses", "server-stream and bidi"))
		case rs.Kind == yaml.SequenceNode:
			for i, item := range rs.Content {
				if st, err := s.sendStep(item, fmt.Sprintf("responses[%d]", i), md); !sp.add(err) {
					script = append(script, st)
				}
			}
		case rs.Kind == yaml.MappingNode && mapChild(rs, "template") != nil && len(rs.Content) == 2:
			if st, err := s.sendStep(rs, "responses", md); !sp.add(err) {
				script = append(script, st)
			}
		default:
			sp.add(s.errf(rs, "responses", "want a list of messages, or {template: ...} rendering a JSON array of them"))
		}
	}
	if len(d.Steps) > 0 {
		if kind != mockserver.ServerStream && kind != mockserver.BidiStream {
			sp.add(wrongKind("steps", "server-stream and bidi"))
		} else {
			steps := mapChild(n, "steps")
			for i := range d.Steps {
				if st, err := s.step(e, seqItem(steps, i), fmt.Sprintf("steps[%d]", i), &d.Steps[i], kind, in, out); !sp.add(err) {
					script = append(script, st)
				}
			}
		}
	}
	if d.Status != nil {
		sn := mapChild(n, "status")
		if present(d.Response) {
			sp.add(s.errf(sn, "status", "give response or status, not both"))
		}
		st, err := s.status(sn, "status", d.Status)
		sp.add(err)
		t, terr := s.statusTmpl(sn, "status", d.Status.Message, md)
		sp.add(terr)
		if err == nil && terr == nil {
			script = append(script, statusStep{st: st, msg: t})
		}
	}
	if d.KeepOpen {
		if kind == mockserver.Unary || kind == mockserver.ClientStream {
			sp.add(wrongKind("keepOpen", "server-stream and bidi"))
		} else {
			script = append(script, holdStep{})
		}
	}
	if d.DropConnection {
		if d.Status != nil || d.KeepOpen || present(d.Response) {
			sp.add(s.errf(mapChild(n, "dropConnection"), "dropConnection", "give one of response, status, keepOpen or dropConnection"))
		} else {
			script = append(script, dropStep{})
		}
	}
	if sp.ok() && !s.src.torn {
		if len(script) == 0 && (kind == mockserver.Unary || kind == mockserver.ClientStream) {
			sp.add(s.errf(n, "response", "%s %s needs a response, a status or dropConnection", kind, e.method))
		} else if err := checkScript(script); err != nil {
			sp.add(s.errf(n, "steps", "%v", err))
		}
	}
	p.add(sp.err())
	e.script = script
	p.add(s.compileThen(e, md))
	p.add(s.compileDyn(e))
	return p.err()
}

// times reads the stub's count.
func (s Stub) times(e *expectation) error {
	t := &s.src.doc.Times
	if !present(*t) {
		return nil
	}
	switch {
	case t.Kind == yaml.ScalarNode && t.Value == "any":
		e.min, e.max = 0, -1
	case t.Kind == yaml.ScalarNode:
		k, err := strconv.Atoi(t.Value)
		if err != nil || k < 0 {
			return s.errf(t, "times", "want a count, \"any\", or {min, max}; got %q", t.Value)
		}
		e.min, e.max = k, k
	case t.Kind == yaml.MappingNode:
		var mm struct {
			Min *int `yaml:"min"`
			Max *int `yaml:"max"`
		}
		if err := t.Decode(&mm); err != nil {
			return s.errf(t, "times", "%v", err)
		}
		if (mm.Min != nil && *mm.Min < 0) || (mm.Max != nil && *mm.Max < 0) {
			return s.errf(t, "times", "min and max are counts: want 0 or more")
		}
		e.min, e.max = 0, -1
		if mm.Min != nil {
			e.min = *mm.Min
		}
		if mm.Max != nil {
			e.max = *mm.Max
		}
		if e.max >= 0 && e.max < e.min {
			return s.errf(t, "times", "max %d is below min %d", e.max, e.min)
		}
	default:
		return s.errf(t, "times", "want a count, \"any\", or {min, max}")
	}
	return nil
}

// step compiles one step of a script. A step does one thing: every part
// given is checked, and more than one is a problem of its own.
func (s Stub) step(e *expectation, n *yaml.Node, field string, d *stepDoc, kind mockserver.Kind, in, out protoreflect.MessageDescriptor) (step, error) {
	var st []step
	var p problems
	given := 0
	if present(d.Send) {
		given++
		if ss, err := s.sendStep(&d.Send, field+".send", e.md); !p.add(err) {
			st = append(st, ss)
		}
	}
	if d.Recv != nil {
		given++
		if kind != mockserver.BidiStream {
			p.add(s.errf(n, field+".recv", "only bidi streams receive in steps"))
		} else if m, err := s.matcher(mapChild(n, "recv"), field+".recv", d.Recv, in); !p.add(err) {
			st = append(st, recvStep{m})
		}
	}
	if d.RecvAll != nil {
		given++
		if kind != mockserver.BidiStream {
			p.add(s.errf(n, field+".recvAll", "only bidi streams receive in steps"))
		} else if l, err := s.listMatcher(mapChild(n, "recvAll"), field+".recvAll", d.RecvAll, in); !p.add(err) {
			st = append(st, recvAllStep{l})
		}
	}
	if present(d.Delay) {
		given++
		if ps, err := s.pause(&d.Delay, field+".delay", s.env(e.md)); !p.add(err) {
			st = append(st, waitStep{ps})
		}
	}
	if d.SendHeader {
		given++
		st = append(st, headerStep{})
	}
	if d.Status != nil {
		given++
		sts, err := s.status(mapChild(n, "status"), field+".status", d.Status)
		p.add(err)
		t, terr := s.statusTmpl(mapChild(n, "status"), field+".status", d.Status.Message, e.md)
		p.add(terr)
		if err == nil && terr == nil {
			st = append(st, statusStep{st: sts, msg: t})
		}
	}
	if d.KeepOpen {
		given++
		st = append(st, holdStep{})
	}
	if d.DropConnection {
		given++
		st = append(st, dropStep{})
	}
	if o := d.SendOversized; o != nil {
		given++
		on := mapChild(n, "sendOversized")
		ok := true
		if o.Size == nil || *o.Size <= 0 {
			ok = !p.add(s.errf(on, field+".sendOversized.size", "want a positive number of bytes"))
		} else if p.add(s.checkPad(e, mapChild(on, "size"), field+".sendOversized.size", *o.Size)) {
			ok = false
		}
		var msg proto.Message = messageType(out).New().Interface()
		if present(o.Message) {
			m, err := s.message(&o.Message, field+".sendOversized.message", out)
			if p.add(err) {
				ok = false
			}
			msg = m
		}
		if ok {
			st = append(st, sendStep{msg: msg, padTo: *o.Size})
		}
	}
	if d.ForEach != nil {
		given++
		if fe, err := s.forEach(e, mapChild(n, "forEach"), field+".forEach", d.ForEach, kind, in, out); !p.add(err) {
			st = append(st, fe)
		}
	}
	if given != 1 {
		p.add(s.errf(n, field, "a step does exactly one of send, recv, recvAll, delay, sendHeader, status, keepOpen, dropConnection, sendOversized, forEach (got %d)", given))
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return st[0], nil
}

// parseMessages reads a request for Explain: one protojson object, or for
// client streams an array of them.
func parseMessages(md protoreflect.MethodDescriptor, js []byte) ([]proto.Message, error) {
	js = bytes.TrimSpace(js)
	if len(js) == 0 {
		return nil, nil
	}
	mt := messageType(md.Input())
	var raws []json.RawMessage
	if js[0] == '[' {
		if err := json.Unmarshal(js, &raws); err != nil {
			return nil, fmt.Errorf("request: %w", err)
		}
		if !md.IsStreamingClient() {
			return nil, fmt.Errorf("request: a list of %d message(s), but /%s/%s is a %s method and takes one %s: give it as an object, not a list", len(raws), md.Parent().FullName(), md.Name(), mockserver.KindOf(md), md.Input().FullName())
		}
	} else {
		raws = []json.RawMessage{js}
	}
	out := make([]proto.Message, len(raws))
	for i, r := range raws {
		msg := mt.New().Interface()
		if err := protojson.Unmarshal(r, msg); err != nil {
			return nil, fmt.Errorf("request message %d: not %s: %w", i+1, article(md.Input().FullName()), err)
		}
		out[i] = msg
	}
	return out, nil
}
