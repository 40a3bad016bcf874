package gripmock

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	_ "github.com/grpcdouble/grpcdouble/expect/faker" // gripmock templates may read faker
	"github.com/grpcdouble/grpcdouble/internal/parallel"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

// Keys a gripmock stub may have (its JSON Schema, stub.json).
var stubKeys = map[string]bool{
	"id": true, "service": true, "method": true, "priority": true, "input": true, "inputs": true,
	"headers": true, "options": true, "output": true, "effects": true, "session": true, "_meta": true,
}

var outputKeys = map[string]bool{
	"data": true, "stream": true, "error": true, "code": true, "details": true,
	"delay": true, "headers": true, "trailers": true,
}

var matcherKeys = map[string]bool{
	"equals": true, "contains": true, "matches": true, "glob": true, "anyOf": true, "ignoreArrayOrder": true,
}

// Looks reports whether a parsed file has the shape of gripmock stubs: its
// first stub has "service" and "method" and one of "input", "inputs" or
// "output".
func Looks(root *yaml.Node) bool {
	items := native.Items(root)
	if len(items) == 0 || items[0].Kind != yaml.MappingNode {
		return false
	}
	first := items[0]
	if native.Get(first, "service") == nil || native.Get(first, "method") == nil {
		return false
	}
	return native.Get(first, "input") != nil || native.Get(first, "inputs") != nil || native.Get(first, "output") != nil
}

// Read translates a gripmock stub file, parsed as YAML (JSON parses as
// YAML too), into native stubs. A stub that uses a construct grpcdouble
// cannot honour is left out and named in the result's problems; a caller
// that serves the file fails on any problem, a converter lists them.
// resolver (nil: none) finds the methods, so that a service given by its
// short name resolves and each stub is translated for its method's kind.
// Read takes root over: the native stubs hold its values (messages,
// matched values), not copies of them.
func Read(file string, root *yaml.Node, resolver mockserver.Methods) native.Result {
	r := &reader{file: file, resolver: resolver}
	doc := native.Doc(root)
	if doc == nil {
		return native.Result{}
	}
	if doc.Kind != yaml.SequenceNode && doc.Kind != yaml.MappingNode {
		r.problem(doc, "stub file", "want a gripmock stub or a list of them")
		return native.Result{Problems: r.problems}
	}
	items := native.Items(root)
	if len(items) < 2*chunkItems {
		native.Unalias(root)
		for _, item := range items {
			r.stub(item)
		}
	} else {
		r.readChunks(root, items)
	}
	r.flushBidi()
	return native.Result{Stubs: r.out, Problems: r.problems}
}

// chunkItems is how many stubs one reader of a big file's chunk takes.
var chunkItems = 256

// readChunks reads a big file's stubs on every core: each stub is read on
// its own (a reader's state other than what it gathers is the current
// stub's), so readers of chunks joined in chunk order give what one reader
// reading them all would. One core left 10,000 gripmock stubs loading
// slower than the same native ones, which are parsed on every core.
func (r *reader) readChunks(root *yaml.Node, items []*yaml.Node) {
	n := (len(items) + chunkItems - 1) / chunkItems
	chunk := func(c int) []*yaml.Node { return items[c*chunkItems : min((c+1)*chunkItems, len(items))] }
	// A big file seldom has aliases: its chunks are looked through for
	// one on every core, and only a file with one has them replaced, on
	// one core (an alias may name a node of another chunk).
	if !parallel.Do(n, func(c int) bool { return !native.HasAlias(chunk(c)) }) {
		native.Unalias(root)
	}
	readers := make([]*reader, n)
	parallel.Do(n, func(c int) bool {
		cr := &reader{file: r.file, resolver: r.resolver}
		for _, item := range chunk(c) {
			cr.stub(item)
		}
		readers[c] = cr
		return true
	})
	for _, cr := range readers {
		r.out = append(r.out, cr.out...)
		r.problems = append(r.problems, cr.problems...)
		r.bidi.Merge(&cr.bidi)
	}
}

// Chunks reads a big file's stubs chunk by chunk, for a caller that
// compiles each chunk's stubs as soon as they are read (see
// expect.ParseStubListChunked): chunks are read on their own as readChunks
// reads them, and what Read gives, each chunk's stubs in chunk order and
// then Rest's, is what Read gives for the whole file, before it is sorted.
type Chunks struct {
	file     string
	resolver mockserver.Methods

	mu      sync.Mutex
	readers map[int]*reader
}

// NewChunks reads the chunks of file.
func NewChunks(file string, resolver mockserver.Methods) *Chunks {
	return &Chunks{file: file, resolver: resolver, readers: map[int]*reader{}}
}

// Read reads the c-th chunk's stubs, items, taking them over as Read
// does. ok is false when the chunk has an alias (which may name another
// chunk's node) or a stub has a problem: then the file is read whole,
// which names it. Chunks are read concurrently, each once.
func (cs *Chunks) Read(c int, items []*yaml.Node) (stubs []native.Stub, ok bool) {
	if native.HasAlias(items) {
		return nil, false
	}
	r := &reader{file: cs.file, resolver: cs.resolver, bare: true, out: make([]native.Stub, 0, len(items))}
	for _, item := range items {
		r.stub(item)
	}
	if len(r.problems) > 0 {
		return nil, false
	}
	cs.mu.Lock()
	cs.readers[c] = r
	cs.mu.Unlock()
	out := r.out
	r.out = nil
	return out, true
}

// Rest gives the stubs gathered from every chunk read, once all are: one
// per bidi method answered message by message (see ForEach).
func (cs *Chunks) Rest() []native.Stub {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	r := &reader{file: cs.file, resolver: cs.resolver}
	for _, c := range slices.Sorted(maps.Keys(cs.readers)) {
		r.bidi.Merge(&cs.readers[c].bidi)
	}
	r.flushBidi()
	return r.out
}

type reader struct {
	in       protoreflect.MessageDescriptor // the current stub's input message, when known
	bidiKind bool                           // the current stub's method is bidi: .Request is the message answered
	bidiRule bool                           // and the stub becomes a forEach rule
	times    int                            // the current stub's options.times, 0 when unlimited
	file     string
	resolver mockserver.Methods
	out      []native.Stub
	problems []native.Problem
	failed   bool // the current stub has a problem

	// rendered: the stubs read are those of an effect's upsert holding
	// templates, which gripmock renders, every string of them, with the
	// call that triggers the effect. Their templates are translated
	// already (for that call's request), and stand wherever a value does.
	rendered bool

	// bidi gathers, by method and session, the rules of bidi stubs without inputs:
	// gripmock answers each message of such a stream by the best of them.
	bidi native.ForEach

	// methods holds what native.Method found, by service and method: a
	// big file's stubs are of few methods, each found once.
	methods map[[2]string]method

	// bare: the stubs are built to be served, not written, and need no
	// comments (Chunks; expect reads none).
	bare bool

	// nodes is where the nodes a stub's mapping, keys and method are made
	// of come from, many at once: one allocation each was a third of the
	// time translating a big file took.
	nodes []yaml.Node
}

// node is a new node like n.
func (r *reader) node(n yaml.Node) *yaml.Node {
	if len(r.nodes) == 0 {
		r.nodes = make([]yaml.Node, 64)
	}
	p := &r.nodes[0]
	*p = n
	r.nodes = r.nodes[1:]
	return p
}

// str is native.Str, from r's nodes.
func (r *reader) str(line int, s string) *yaml.Node {
	return r.node(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Line: line})
}

// mapping is native.Map, from r's nodes.
func (r *reader) mapping(line int) *yaml.Node {
	return r.node(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line})
}

// set is native.Set, its key from r's nodes.
func (r *reader) set(m *yaml.Node, key string, value *yaml.Node) {
	m.Content = append(m.Content, r.str(value.Line, key), value)
}

type method struct {
	full string
	md   protoreflect.MethodDescriptor
	err  error
}

func (r *reader) method(service, name string) (string, protoreflect.MethodDescriptor, error) {
	k := [2]string{service, name}
	if m, ok := r.methods[k]; ok {
		return m.full, m.md, m.err
	}
	full, md, err := native.Method(r.resolver, service, name)
	if r.methods == nil {
		r.methods = map[[2]string]method{}
	}
	r.methods[k] = method{full, md, err}
	return full, md, err
}

func (r *reader) problem(n *yaml.Node, construct, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	r.problems = append(r.problems, native.Problem{File: r.file, Line: line, Construct: construct, Reason: fmt.Sprintf(format, args...)})
	r.failed = true
}

func (r *reader) notYet(n *yaml.Node, construct, what string) {
	r.problem(n, construct, "not supported yet: %s", what)
}

// alt is one alternative of a stub's matchers after anyOf is spread out.
type alt struct {
	label       string     // "" or "input.anyOf[1]" and so on, for the comment
	partial     *yaml.Node // request fields to match, a mapping; nil: any
	metadata    *yaml.Node // request metadata matchers, a mapping; nil: none
	anyOf       *yaml.Node // alternatives folded into one stub: a list of {fields: ...}; else nil
	specificity int
}

// fold makes one alternative of several, for one stub: a native anyOf of
// their fields, ranked by the most specific (gripmock ranks the stub by
// the alternative that matched, which a stub ranked at load cannot know).
func fold(alts []alt, line int) alt {
	out := alt{anyOf: native.Seq(line)}
	for _, a := range alts {
		out.specificity = max(out.specificity, a.specificity)
		if a.partial == nil {
			out.anyOf = nil // this one takes any message: so do they all
			continue
		}
		if out.anyOf != nil {
			m := native.Map(a.partial.Line)
			native.Set(m, "fields", a.partial)
			out.anyOf.Content = append(out.anyOf.Content, m)
		}
	}
	return out
}

// anyInput makes one alternative of a bidi stub's inputs (their message
// matches, recvs): a message passing any of them, ranked by spec.
func anyInput(recvs []*yaml.Node, line, spec int) alt {
	out := alt{specificity: spec}
	for _, m := range recvs {
		if native.Get(m, "any") != nil {
			return out // this one takes any message: so do they all
		}
	}
	if len(recvs) == 1 && native.Get(recvs[0], "fields") != nil {
		out.partial = native.Get(recvs[0], "fields")
		return out
	}
	out.anyOf = native.Seq(line, recvs...)
	return out
}

// foldHeaders makes one alternative of several header alternatives: a
// native metadata anyOf of them, ranked by the most specific.
func foldHeaders(alts []alt, line int) alt {
	out := alt{}
	list := native.Seq(line)
	for _, a := range alts {
		out.specificity = max(out.specificity, a.specificity)
		if a.metadata == nil {
			list = nil // this one takes any metadata: so do they all
		}
		if list != nil {
			list.Content = append(list.Content, a.metadata)
		}
	}
	if list != nil {
		out.metadata = native.Map(line)
		native.Set(out.metadata, "anyOf", list)
	}
	return out
}

func (r *reader) stub(st *yaml.Node) {
	r.failed = false
	if st.Kind != yaml.MappingNode {
		r.problem(st, "stub", "want a mapping with service, method and output")
		return
	}
	native.Pairs(st, func(k, v *yaml.Node) {
		if !stubKeys[k.Value] {
			r.problem(k, k.Value, "unknown key in a gripmock stub (want id, service, method, priority, input, inputs, headers, options, output, effects, session)")
		}
	})
	svc, meth := native.Get(st, "service"), native.Get(st, "method")
	if svc == nil || svc.Kind != yaml.ScalarNode || svc.Value == "" {
		r.problem(st, "service", "is required: the gRPC service, e.g. helloworld.Greeter")
	}
	if meth == nil || meth.Kind != yaml.ScalarNode || meth.Value == "" {
		r.problem(st, "method", "is required: the gRPC method, e.g. SayHello")
	}
	session := native.Get(st, "session")
	if session != nil && (session.Kind != yaml.ScalarNode || native.IsNull(session)) {
		r.problem(session, "session", "want a session name")
	}
	if r.failed {
		return
	}
	full, md, err := r.method(svc.Value, meth.Value)
	if err != nil {
		r.problem(meth, "method", "%v", err)
		return
	}
	kind := r.kind(st, md)
	r.bidiKind = kind == mockserver.BidiStream
	r.bidiRule = r.bidiKind
	r.in = nil
	if md != nil {
		r.in = md.Input()
	}
	// Counts, read before the output: its templates may read them (.MaxAttempts).
	r.times = 0
	if o := native.Get(st, "options"); o != nil && !native.IsNull(o) {
		native.Pairs(o, func(k, v *yaml.Node) {
			if k.Value != "times" {
				r.problem(k, "options."+k.Value, "unknown option (want times)")
				return
			}
			n, err := strconv.Atoi(v.Value)
			if err != nil || n < 0 {
				r.problem(v, "options.times", "want a count, 0 or more, got %q", v.Value)
				return
			}
			r.times = n
		})
	}
	var then *yaml.Node
	if e := native.Get(st, "effects"); e != nil && !(e.Kind == yaml.SequenceNode && len(e.Content) == 0) && !native.IsNull(e) {
		if then = r.effects(e); r.failed {
			return
		}
	}
	out := native.Get(st, "output")
	if out == nil {
		r.problem(st, "output", "is required: what the stub answers (data, stream, error)")
		return
	}

	// Matchers, spread over anyOf.
	var inputAlts []alt
	var stream []*yaml.Node    // client-stream: one match per message
	var ignored []string       // the anyOf of one of several inputs, which gripmock ignores
	var recvs []*yaml.Node     // bidi: the match of each input
	bidiSpec := 0              // bidi: the specificity of its most specific input
	var streamAnyOf *yaml.Node // a client stream's one inputs matcher, with anyOf
	anyStream := false         // a client stream's one inputs matcher names only empty strategies: any stream
	input, inputs := native.Get(st, "input"), native.Get(st, "inputs")
	if input != nil && inputs != nil {
		r.problem(inputs, "inputs", "give input or inputs, not both")
		return
	}
	switch {
	case inputs != nil:
		if inputs.Kind != yaml.SequenceNode {
			r.problem(inputs, "inputs", "want a list of matchers, one per message")
			return
		}
		if kind == mockserver.Unary || kind == mockserver.ServerStream {
			r.problem(inputs, "inputs", "is for client-stream and bidi methods; %s is %s (use input)", full, kind)
			return
		}
		for i, in := range inputs.Content {
			a := r.matcher(in, fmt.Sprintf("inputs[%d]", i), false)
			if kind == mockserver.BidiStream && !r.failed {
				// gripmock matches a bidi stub's message by its input's
				// fields and one of its anyOf alternatives.
				f := fold(a, in.Line)
				recv := native.Map(in.Line)
				switch {
				case len(a) > 1 && f.anyOf != nil:
					native.Set(recv, "anyOf", f.anyOf)
				case len(a) == 1 && a[0].partial != nil:
					native.Set(recv, "fields", a[0].partial)
				default:
					native.Set(recv, "any", native.Bool(in.Line, true)) // gripmock: an empty matcher takes any message
				}
				recvs = append(recvs, recv)
				bidiSpec = max(bidiSpec, f.specificity)
				a = []alt{{partial: a[0].partial, specificity: f.specificity}}
			}
			if hasAnyOf := !native.IsNull(native.Get(in, "anyOf")); hasAnyOf && len(inputs.Content) > 1 && kind == mockserver.ClientStream && !r.failed {
				// gripmock compares each message of several inputs by
				// equals, contains, matches and glob alone: the anyOf
				// (checked above) is left out, as there.
				where := fmt.Sprintf("inputs[%d]", i)
				base, _ := r.block(in, where, false, true)
				if base.partial == nil {
					r.problem(in, where, "holds anyOf alone, and this message never matches: gripmock ignores anyOf in one of several inputs, and takes no message with the empty matcher left")
					return
				}
				a = []alt{base}
				ignored = append(ignored, where+".anyOf")
			}
			if len(a) > 1 && len(inputs.Content) == 1 && kind == mockserver.ClientStream {
				// One matcher every message passes: each may pass
				// another alternative.
				f := fold(a, in.Line)
				streamAnyOf = f.anyOf
				a = []alt{{partial: a[0].partial, specificity: f.specificity}}
				if streamAnyOf == nil {
					a[0].partial = nil
				}
			}
			if len(a) != 1 {
				if !r.failed {
					r.notYet(native.Get(in, "anyOf"), fmt.Sprintf("inputs[%d].anyOf", i), "anyOf inside one of several inputs (gripmock ignores it there: it compares each message by equals, contains, matches and glob alone)")
				}
				return
			}
			if a[0].partial == nil && streamAnyOf == nil && kind != mockserver.BidiStream {
				where := fmt.Sprintf("inputs[%d]", i)
				switch {
				case !declares(in):
					// gripmock's client-stream matching wants some
					// input to name a strategy, and each message's
					// input to hold a condition.
					r.problem(in, where, "is an empty matcher, and this stub never matches: gripmock takes no client stream for a stub with an empty input")
					return
				case len(inputs.Content) > 1:
					r.problem(in, where, "holds no condition, and this message never matches: gripmock takes no message of several inputs with an empty matcher")
					return
				}
				// One input naming a strategy with nothing in it: gripmock
				// takes every stream, however many messages (none too).
				anyStream = true
			}
			stream = append(stream, a[0].partial)
			spec := a[0].specificity
			if eq := native.Get(in, "equals"); eq != nil && eq.Kind == yaml.MappingNode && len(eq.Content) > 0 {
				// gripmock ranks a stream's message matched by equals far
				// above one matched by patterns (a "perfect match").
				spec += streamEqualsWeight
			}
			inputAlts = []alt{{specificity: inputAltsSpec(inputAlts) + spec}}
		}
	case input != nil:
		inputAlts = r.matcher(input, "input", false)
	}
	if len(inputAlts) == 0 {
		inputAlts = []alt{{}}
	}
	headerAlts := []alt{{}}
	if h := native.Get(st, "headers"); h != nil {
		headerAlts = r.matcher(h, "headers", true)
	}
	if r.failed {
		return
	}
	if kind == mockserver.BidiStream {
		n := 0
		if inputs != nil {
			// gripmock takes a message for a stub with inputs when it
			// passes any of them.
			inputAlts = []alt{anyInput(recvs, inputs.Line, bidiSpec)}
			n = len(recvs)
		}
		r.bidiRules(st, full, meth, inputAlts, headerAlts, out, then, n)
		return
	}
	if input != nil && kind == mockserver.ClientStream && len(inputAlts) > 1 {
		// Some message passes one alternative: which, the latest such
		// message decides, in one stub.
		inputAlts = []alt{fold(inputAlts, input.Line)}
	}

	// The answer, the same for every alternative.
	answer := r.output(out, kind, full)
	if r.failed {
		return
	}

	times := r.times
	priority := 0
	if p := native.Get(st, "priority"); p != nil {
		n, err := strconv.Atoi(p.Value)
		if err != nil {
			r.problem(p, "priority", "want an integer, got %q", p.Value)
		}
		priority = n
	}
	if r.failed {
		return
	}
	if times > 0 && len(inputAlts) > 1 {
		// One count over the alternatives: one stub.
		inputAlts = []alt{fold(inputAlts, input.Line)}
	}
	if times > 0 && len(headerAlts) > 1 {
		// One count over the header alternatives too: one stub, its
		// metadata one of them.
		headerAlts = []alt{foldHeaders(headerAlts, native.Get(st, "headers").Line)}
	}
	n := len(inputAlts) * len(headerAlts)

	for _, ia := range inputAlts {
		for _, ha := range headerAlts {
			m := r.mapping(st.Line)
			m.Content = make([]*yaml.Node, 0, 8) // method, request, response and a key or two: grown once at most
			if !r.bare {
				m.HeadComment = r.comment(st, ia, ha, ignored)
			}
			if id := native.Get(st, "id"); id != nil && id.Value != "" && n == 1 {
				native.Set(m, "id", native.Str(id.Line, id.Value))
			}
			r.set(m, "method", r.str(meth.Line, full))
			if times > 0 {
				t := native.Map(native.Get(st, "options").Line)
				native.Set(t, "max", native.Int(t.Line, times))
				native.Set(m, "times", t)
			}
			if ha.metadata != nil {
				native.Set(m, "metadata", ha.metadata)
			}
			if session != nil && session.Value != "" {
				native.Set(m, "session", native.Str(session.Line, session.Value))
			}
			if ia.anyOf != nil && kind != mockserver.ClientStream {
				rq := native.Map(ia.anyOf.Line)
				native.Set(rq, "anyOf", ia.anyOf)
				native.Set(m, "request", rq)
			} else if ia.partial != nil && kind != mockserver.ClientStream {
				rq := r.mapping(ia.partial.Line)
				r.set(rq, "fields", ia.partial)
				r.set(m, "request", rq)
			}
			switch {
			case anyStream:
			case stream != nil && kind == mockserver.ClientStream && len(stream) == 1:
				// One pattern: gripmock wants every message to pass it.
				rq, each := native.Map(inputs.Line), native.Map(inputs.Line)
				switch {
				case streamAnyOf != nil:
					native.Set(each, "anyOf", streamAnyOf)
				case stream[0] != nil:
					native.Set(each, "fields", stream[0])
				default:
					native.Set(each, "any", native.Bool(inputs.Line, true))
				}
				native.Set(rq, "each", each)
				native.Set(m, "requests", rq)
			case stream != nil && kind == mockserver.ClientStream:
				rq := native.Map(inputs.Line)
				native.Set(rq, "fields", native.Seq(inputs.Line, stream...))
				native.Set(m, "requests", rq)
			case input != nil && kind == mockserver.ClientStream && (ia.partial != nil || ia.anyOf != nil):
				// input on a client stream: gripmock takes the stub when
				// some message passes it, and of two such stubs the one
				// passed by the later message (it weighs message i of n
				// by (i+1)/n).
				rq, latest := native.Map(input.Line), native.Map(input.Line)
				if ia.anyOf != nil {
					native.Set(latest, "anyOf", ia.anyOf)
				} else {
					native.Set(latest, "fields", ia.partial)
				}
				native.Set(rq, "latest", latest)
				native.Set(m, "requests", rq)
			}
			if readiness(full, ia.partial) {
				m.HeadComment += "\n" + readinessNote
				answerReady(m, kind)
			} else {
				answer.into(r, m)
			}
			if then != nil {
				native.Set(m, "then", native.Clone(then))
			}
			spec := ia.specificity + ha.specificity
			r.out = append(r.out, native.Stub{Node: m, Line: st.Line, Method: full, Order: order(spec, priority),
				RankFormat: "gripmock ranks it by fields matched (%d), then priority (%d)", RankArgs: [2]int{spec, priority}})
		}
	}
}

// comment heads a stub built from st: where it came from, and how.
func (r *reader) comment(st *yaml.Node, ia, ha alt, ignored []string) string {
	comment := "from " + r.file + ":" + strconv.Itoa(st.Line)
	var labels []string
	for _, l := range []string{ia.label, ha.label} {
		if l != "" {
			labels = append(labels, l)
		}
	}
	if len(labels) > 0 {
		comment += " (" + strings.Join(labels, ", ") + ")"
	}
	if st.HeadComment != "" {
		comment = st.HeadComment + "\n" + comment
	}
	for _, l := range ignored {
		comment += "\n" + l + ": ignored, as gripmock ignores anyOf in one of several inputs"
	}
	return comment
}

// declares reports whether a gripmock input names a strategy (equals,
// contains, matches, glob, or an anyOf alternative naming one), empty or
// not: gripmock's client-stream matching passes over a stub whose inputs
// name none.
func declares(in *yaml.Node) bool {
	for _, k := range []string{"equals", "contains", "matches", "glob"} {
		if !native.IsNull(native.Get(in, k)) {
			return true
		}
	}
	if alts := native.Get(in, "anyOf"); alts != nil && alts.Kind == yaml.SequenceNode {
		for _, a := range alts.Content {
			if declares(a) {
				return true
			}
		}
	}
	return false
}

// gripmock's own name in its health service: its readiness, which it
// answers itself whatever a stub says (SERVING once it serves).
const (
	readinessName = "gripmock"
	readinessNote = `gripmock answers health of "gripmock" with its own readiness, whatever the stub says: SERVING, as a serving double is`
)

// readiness reports whether a stub is for gripmock's own name in its
// health service, by equals or contains.
func readiness(full string, fields *yaml.Node) bool {
	if full != "/grpc.health.v1.Health/Check" && full != "/grpc.health.v1.Health/Watch" {
		return false
	}
	svc := native.Get(fields, "service")
	return svc != nil && svc.Kind == yaml.ScalarNode && svc.Value == readinessName
}

// answerReady answers as gripmock's readiness does once it serves.
func answerReady(m *yaml.Node, kind mockserver.Kind) {
	serving := native.Map(m.Line)
	native.Set(serving, "status", native.Str(m.Line, "SERVING"))
	if kind == mockserver.ServerStream {
		native.Set(m, "responses", native.Seq(m.Line, serving))
		return
	}
	native.Set(m, "response", serving)
}

// streamEqualsWeight is what a message of a stream's inputs matched by
// equals adds to a stub's rank, over the one each field adds: gripmock
// weighs it a hundred times and more.
const streamEqualsWeight = 1000

func inputAltsSpec(a []alt) int {
	if len(a) == 0 {
		return 0
	}
	return a[0].specificity
}

// order ranks as gripmock does: the stub matching more fields first, then
// the higher priority.
func order(specificity, priority int) int {
	return specificity*1_000_000 + max(min(priority, 999_999), -999_999)
}

// kind is the method's kind, from its descriptor, or guessed from the stub's
// shape when the method is not known (converting without descriptors).
func (r *reader) kind(st *yaml.Node, md protoreflect.MethodDescriptor) mockserver.Kind {
	if md != nil {
		return mockserver.KindOf(md)
	}
	out := native.Get(st, "output")
	streams := native.Get(out, "stream") != nil
	if native.Get(st, "inputs") != nil {
		if streams {
			return mockserver.BidiStream
		}
		return mockserver.ClientStream
	}
	if streams {
		return mockserver.ServerStream
	}
	return mockserver.Unary
}

// effects translates gripmock's effects into a native then: upsert is
// putStubs (the stub translated as any other), delete is deleteStubs.
func (r *reader) effects(e *yaml.Node) *yaml.Node {
	if e.Kind != yaml.SequenceNode {
		r.problem(e, "effects", "want a list of effects, each {action: upsert, stub: ...} or {action: delete, id: ...}")
		return nil
	}
	then := native.Seq(e.Line)
	for i, ef := range e.Content {
		where := fmt.Sprintf("effects[%d]", i)
		if ef.Kind != yaml.MappingNode {
			r.problem(ef, where, "want {action: upsert, stub: ...} or {action: delete, id: ...}")
			return nil
		}
		native.Pairs(ef, func(k, _ *yaml.Node) {
			if k.Value != "action" && k.Value != "stub" && k.Value != "id" {
				r.problem(k, where+"."+k.Value, "unknown key in an effect (want action, stub, id)")
			}
		})
		action, stub, id := native.Get(ef, "action"), native.Get(ef, "stub"), native.Get(ef, "id")
		item := native.Map(ef.Line)
		switch {
		case action == nil || action.Kind != yaml.ScalarNode:
			r.problem(ef, where+".action", "is required: upsert or delete")
		case action.Value == "upsert":
			if stub == nil || stub.Kind != yaml.MappingNode || len(stub.Content) == 0 {
				r.problem(ef, where+".stub", "upsert needs the stub to add or replace")
				break
			}
			// gripmock renders every string of the stub with the call
			// that triggers the effect: a native put stub given as a
			// template, its templates translated for that call.
			rendered := r.rendered || hasTemplate(stub)
			if rendered && !r.rendered {
				stub = native.Clone(stub)
				r.translateAll(stub, where+".stub")
				if r.failed {
					break
				}
			}
			sub := &reader{file: r.file, resolver: r.resolver, rendered: rendered}
			sub.stub(stub)
			sub.flushBidi()
			for _, p := range sub.problems {
				p.Construct = where + ".stub." + p.Construct
				r.problems = append(r.problems, p)
				r.failed = true
			}
			if len(sub.problems) > 0 {
				break
			}
			puts := native.Seq(stub.Line)
			for _, ns := range sub.out {
				if p := native.Get(stub, "priority"); p != nil && p.Value != "0" {
					pn := native.Str(p.Line, p.Value)
					pn.Tag = "!!int"
					pn.LineComment = "gripmock's priority: a stub an effect adds ranks by it alone"
					native.SetAfter(ns.Node, "method", "priority", pn)
				}
				if rendered {
					tn := native.Map(ns.Node.Line)
					tn.HeadComment, ns.Node.HeadComment = ns.Node.HeadComment, ""
					if tn.HeadComment != "" {
						tn.HeadComment += "\n"
					}
					tn.HeadComment += "rendered when the effect runs, with the call that triggers it, as gripmock renders an effect's stub"
					native.Set(tn, "template", ns.Node)
					puts.Content = append(puts.Content, tn)
					continue
				}
				puts.Content = append(puts.Content, ns.Node)
			}
			native.Set(item, "putStubs", puts)
		case action.Value == "delete":
			if id == nil || id.Kind != yaml.ScalarNode || id.Value == "" {
				r.problem(ef, where+".id", "delete needs the id of the stub to delete")
				break
			}
			text := id.Value
			if isTemplateText(text) && !r.rendered {
				var err error
				if text, err = translateTemplate(text, r.in, r.bidiKind, r.bidiRule, r.times); err != nil {
					r.problem(id, where+".id", "%v", err)
					break
				}
			}
			native.Set(item, "deleteStubs", native.Seq(id.Line, native.Str(id.Line, text)))
		default:
			r.problem(action, where+".action", "want upsert or delete, got %q", action.Value)
		}
		if r.failed {
			return nil
		}
		then.Content = append(then.Content, item)
	}
	return then
}

func hasTemplate(n *yaml.Node) bool {
	if n.Kind == yaml.ScalarNode && isTemplateText(n.Value) {
		return true
	}
	for _, c := range n.Content {
		if hasTemplate(c) {
			return true
		}
	}
	return false
}

// translateAll translates, in place, every gripmock template among the
// values of n (an output, or an effect's stub rendered by the current
// stub's calls) into a template of grpcdouble's engine; what cannot be
// translated is a problem naming the line and the construct.
func (r *reader) translateAll(n *yaml.Node, where string) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !isTemplateText(n.Value) {
			return
		}
		text, err := translateTemplate(n.Value, r.in, r.bidiKind, r.bidiRule, r.times)
		if err != nil {
			r.problem(n, where, "%v", err)
			return
		}
		n.Value = text
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			r.translateAll(n.Content[i+1], where+"."+n.Content[i].Value)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			r.translateAll(c, fmt.Sprintf("%s[%d]", where, i))
		}
	}
}
