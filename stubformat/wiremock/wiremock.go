package wiremock

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

var mappingKeys = map[string]bool{
	"id": true, "uuid": true, "name": true, "request": true, "response": true, "priority": true,
	"persistent": true, "metadata": true, "postServeActions": true, "serveEventListeners": true,
	"scenarioName": true, "requiredScenarioState": true, "newScenarioState": true,
}

var requestKeys = map[string]bool{
	"url": true, "urlPath": true, "method": true, "bodyPatterns": true, "headers": true,
}

var responseKeys = map[string]bool{
	"status": true, "jsonBody": true, "body": true, "headers": true, "fixedDelayMilliseconds": true,
	"transformers": true, "statusMessage": true,
}

// Looks reports whether a parsed file has the shape of WireMock mappings: a
// mapping with a request (holding a urlPath or url) and a response, or a
// "mappings" list of them.
func Looks(root *yaml.Node) bool {
	items := mappings(root)
	if len(items) == 0 {
		return false
	}
	first := items[0]
	req := native.Get(first, "request")
	if req == nil || native.Get(first, "response") == nil {
		return false
	}
	return native.Get(req, "urlPath") != nil || native.Get(req, "url") != nil
}

func mappings(root *yaml.Node) []*yaml.Node {
	doc := native.Doc(root)
	if doc == nil {
		return nil
	}
	if m := native.Get(doc, "mappings"); m != nil {
		if m.Kind == yaml.SequenceNode {
			return m.Content
		}
		return nil
	}
	return native.Items(root)
}

// Read translates a file of WireMock gRPC mappings (one mapping, a list,
// or {"mappings": [...]}) into native stubs. A mapping that uses what
// grpcdouble cannot honour is left out and named in the result's problems.
func Read(file string, root *yaml.Node, resolver mockserver.Methods, opts ...Option) native.Result {
	r := &reader{file: file, resolver: resolver}
	for _, o := range opts {
		o(r)
	}
	items := mappings(root)
	r.states = scenarioStates(items)
	for i, m := range items {
		r.mapping(m, i)
	}
	r.out = append(r.out, r.bidi.Stubs(func(full, _ string) string {
		return fmt.Sprintf("from the mappings of %s in %s: WireMock answers each message by the first mapping that matches it", full, r.file)
	}, "its rules are ranked as WireMock tries mappings")...)
	return native.Result{Stubs: r.out, Problems: r.problems}
}

// Option changes how Read reads mappings.
type Option func(*reader)

// GlobalTemplating reads every mapping's response as a template, as
// WireMock started with --global-response-templating does: with the
// response-template transformer or without it.
func GlobalTemplating() Option { return func(r *reader) { r.global = true } }

type reader struct {
	global   bool // every response is a template (GlobalTemplating)
	file     string
	resolver mockserver.Methods
	out      []native.Stub
	problems []native.Problem
	failed   bool
	in       protoreflect.MessageDescriptor // the current mapping's request message, when known
	// anyOrder: the current equalToJson has ignoreArrayOrder and a list.
	anyOrder bool
	// extraItems: it has ignoreExtraElements and a list or a map, whose
	// extra elements or keys json-unit ignores.
	extraItems bool
	states     map[string][]string // by scenario, the states the file's mappings name
	// bidi gathers the mappings of bidi methods, answered message by message.
	bidi native.ForEach
}

func (r *reader) problem(n *yaml.Node, construct, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	r.problems = append(r.problems, native.Problem{File: r.file, Line: line, Construct: construct, Reason: fmt.Sprintf(format, args...)})
	r.failed = true
}

func (r *reader) unknownKeys(n *yaml.Node, where string, known map[string]bool) {
	native.Pairs(n, func(k, _ *yaml.Node) {
		if !known[k.Value] {
			r.problem(k, where+k.Value, "not supported by grpcdouble's WireMock reader")
		}
	})
}

func (r *reader) mapping(mp *yaml.Node, index int) {
	r.failed = false
	if mp.Kind != yaml.MappingNode {
		r.problem(mp, "mapping", "want a mapping with request and response")
		return
	}
	r.unknownKeys(mp, "", mappingKeys)
	scenario := r.scenario(mp)
	if p := native.Get(mp, "postServeActions"); p != nil && len(p.Content) > 0 {
		r.problem(p, "postServeActions", "not supported: WireMock post-serve actions (webhooks)")
	}
	req, resp := native.Get(mp, "request"), native.Get(mp, "response")
	if req == nil || req.Kind != yaml.MappingNode {
		r.problem(mp, "request", "is required: a mapping with urlPath /pkg.Service/Method")
		return
	}
	if resp == nil || resp.Kind != yaml.MappingNode {
		r.problem(mp, "response", "is required: a mapping with jsonBody, or grpc-status-name headers")
		return
	}
	r.unknownKeys(req, "request.", requestKeys)
	r.unknownKeys(resp, "response.", responseKeys)
	if r.failed {
		return
	}
	path := native.Get(req, "urlPath")
	if path == nil {
		path = native.Get(req, "url")
	}
	if path == nil || path.Kind != yaml.ScalarNode {
		r.problem(req, "request.urlPath", "is required: /pkg.Service/Method")
		return
	}
	if m := native.Get(req, "method"); m != nil && m.Value != "POST" && m.Value != "ANY" {
		r.problem(m, "request.method", "gRPC calls are POST; got %q", m.Value)
		return
	}
	svc, meth, ok := strings.Cut(strings.Trim(path.Value, "/"), "/")
	if !ok {
		r.problem(path, "request.urlPath", "want /pkg.Service/Method, got %q", path.Value)
		return
	}
	full, md, err := native.Method(r.resolver, svc, meth)
	if err != nil {
		r.problem(path, "request.urlPath", "%v", err)
		return
	}
	kind := mockserver.Unary
	r.in = nil
	if md != nil {
		kind = mockserver.KindOf(md)
		r.in = md.Input()
	}
	var in protoreflect.MessageDescriptor
	if md != nil {
		in = md.Input()
	}
	if kind == mockserver.BidiStream {
		r.bidiMapping(mp, req, resp, path, full, index, in, scenario)
		return
	}

	out := native.Map(mp.Line)
	out.HeadComment = fmt.Sprintf("from %s:%d", r.file, mp.Line)
	if n := native.Get(mp, "name"); n != nil && n.Value != "" {
		out.HeadComment += " (" + n.Value + ")"
	}
	id := native.Get(mp, "id")
	if id == nil {
		id = native.Get(mp, "uuid")
	}
	if id != nil && id.Value != "" {
		native.Set(out, "id", native.Str(id.Line, id.Value))
	}
	native.Set(out, "method", native.Str(path.Line, full))
	if h := native.Get(req, "headers"); h != nil {
		if mdm := r.headers(h); mdm != nil {
			native.Set(out, "metadata", mdm)
		}
	}
	match := r.requestMatch(req)
	switch {
	case kind == mockserver.ClientStream:
		// The extension matches the stream's messages one by one against its
		// mappings; the first mapping a message matches answers.
		if match == nil {
			match = native.Map(req.Line)
			native.Set(match, "any", native.Bool(req.Line, true))
		}
		reqs := native.Map(req.Line)
		native.Set(reqs, "some", match)
		native.Set(out, "requests", reqs)
	case match != nil:
		native.Set(out, "request", match)
	}
	// A template's request.body is the request; on a client stream, the
	// message that matched (the extension renders the mapping for the
	// first message a mapping answers): .Matched, the one requests: {some}
	// accepted first.
	body := requestBody{in: in, value: ".Request"}
	if kind == mockserver.ClientStream {
		body.value = ".Matched"
	}
	r.response(resp, out, kind, body)
	if r.failed {
		return
	}
	for _, kv := range scenario {
		native.Set(out, kv.key, kv.value)
	}
	// WireMock tries the lowest priority number first (default 5) and, among
	// equals, the mapping added last.
	prio, ok := r.priority(mp)
	if !ok {
		return
	}
	stub := native.Stub{Node: out, Line: mp.Line, Method: full, Order: order(prio, index),
		RankFormat: "WireMock tries priority %d before higher numbers", RankArgs: [2]int{prio}}
	if native.Get(out, "setState") != nil && native.Get(out, "whenState") == nil {
		r.out = append(r.out, r.anyState(stub, native.Get(out, "scenario").Value)...)
		return
	}
	r.out = append(r.out, stub)
}

// anyState makes a mapping that answers in any state of its scenario and
// moves it one stub per state the file's mappings of the scenario name
// (Started first): the states the scenario can be in. The one for Started
// keeps the mapping's id.
func (r *reader) anyState(st native.Stub, scenario string) []native.Stub {
	var out []native.Stub
	for i, state := range r.states[scenario] {
		s := st
		s.Node = native.Clone(st.Node)
		if i > 0 {
			native.Delete(s.Node, "id")
		}
		native.SetAfter(s.Node, "scenario", "whenState", native.Str(st.Node.Line, state))
		s.Node.HeadComment = fmt.Sprintf("%s; in state %s: WireMock answers it in any state of %s", st.Node.HeadComment, state, scenario)
		out = append(out, s)
	}
	return out
}

// scenarioStates gathers, by scenario, the states its mappings name.
func scenarioStates(items []*yaml.Node) map[string][]string {
	states := map[string][]string{}
	for _, mp := range items {
		name := native.Get(mp, "scenarioName")
		if name == nil || name.Kind != yaml.ScalarNode {
			continue
		}
		if states[name.Value] == nil {
			states[name.Value] = []string{"Started"}
		}
		for _, k := range []string{"requiredScenarioState", "newScenarioState"} {
			if n := native.Get(mp, k); n != nil && n.Kind == yaml.ScalarNode && n.Value != "" && !slices.Contains(states[name.Value], n.Value) {
				states[name.Value] = append(states[name.Value], n.Value)
			}
		}
	}
	return states
}

// order ranks mappings as WireMock tries them: the lowest priority number
// first and, among equals, the mapping added last.
func order(priority, index int) int { return -priority*1_000_000 + index }

func (r *reader) priority(mp *yaml.Node) (int, bool) {
	p := native.Get(mp, "priority")
	if p == nil {
		return 5, true
	}
	n, err := strconv.Atoi(p.Value)
	if err != nil {
		r.problem(p, "priority", "want an integer, got %q", p.Value)
		return 0, false
	}
	return n, true
}

func (r *reader) requestMatch(req *yaml.Node) *yaml.Node {
	if b := native.Get(req, "bodyPatterns"); b != nil {
		return r.body(b)
	}
	return nil
}

// bidiMapping makes a mapping of a bidi method a rule of the method's one
// forEach step: the extension matches each message of the stream against
// the method's mappings and answers it with the first that matches.
func (r *reader) bidiMapping(mp, req, resp, path *yaml.Node, full string, index int, in protoreflect.MessageDescriptor, scenario []keyValue) {
	if r.failed {
		return
	}
	var mdm *yaml.Node
	if h := native.Get(req, "headers"); h != nil {
		// The call's metadata, the same for each of its messages: the
		// rule answers only in calls it accepts.
		mdm = r.headers(h)
	}
	prio, ok := r.priority(mp)
	if !ok {
		return
	}
	match := r.requestMatch(req)
	if r.failed {
		return
	}
	if match == nil {
		match = native.Map(req.Line)
		native.Set(match, "any", native.Bool(req.Line, true))
	}
	answer := native.Map(resp.Line)
	// request.body is the message being answered: .Message.
	r.response(resp, answer, mockserver.Unary, requestBody{in: in, value: ".Message"})
	if r.failed {
		return
	}
	rule := native.Map(mp.Line)
	rule.HeadComment = fmt.Sprintf("from %s:%d", r.file, mp.Line)
	if n := native.Get(mp, "name"); n != nil && n.Value != "" {
		rule.HeadComment += " (" + n.Value + ")"
	}
	native.Set(rule, "recv", match)
	if mdm != nil {
		native.Set(rule, "metadata", mdm)
	}
	// Response headers go out with the first message sent: a rule's when
	// it answers first, as a mapping's go with its response.
	if h := native.Get(answer, "headers"); h != nil {
		native.Set(rule, "headers", h)
	}
	if d := native.Get(answer, "delay"); d != nil {
		native.Set(rule, "delay", d)
	}
	if b := native.Get(answer, "response"); b != nil {
		native.Set(rule, "send", b)
	}
	if st := native.Get(answer, "status"); st != nil {
		native.Set(rule, "status", st)
	}
	// Each message is a request to WireMock: the rule answers in the
	// mapping's state and moves the scenario as it answers.
	for _, kv := range scenario {
		native.Set(rule, kv.key, kv.value)
	}
	rl := native.Rule{Node: rule, Line: mp.Line, Order: order(prio, index), Method: path}
	if native.Get(rule, "setState") != nil && native.Get(rule, "whenState") == nil {
		// In any state, then moves it: a rule for each state it can be in.
		name := native.Get(rule, "scenario").Value
		for _, state := range r.states[name] {
			one := rl
			one.Node = native.Clone(rule)
			native.SetAfter(one.Node, "scenario", "whenState", native.Str(mp.Line, state))
			one.Node.HeadComment = fmt.Sprintf("%s; in state %s: WireMock answers it in any state of %s", rule.HeadComment, state, name)
			r.bidi.Add(full, one)
		}
		return
	}
	r.bidi.Add(full, rl)
}

// scenario translates WireMock's scenario keys into native scenario,
// whenState and setState; both start in the state "Started". A mapping
// in a scenario without requiredScenarioState answers in any state: as
// any other mapping, or, when it moves the state, as one stub for each
// state of the scenario (see anyState).
func (r *reader) scenario(mp *yaml.Node) []keyValue {
	name, req, next := native.Get(mp, "scenarioName"), native.Get(mp, "requiredScenarioState"), native.Get(mp, "newScenarioState")
	for _, k := range []string{"scenarioName", "requiredScenarioState", "newScenarioState"} {
		if n := native.Get(mp, k); n != nil && (n.Kind != yaml.ScalarNode || n.Value == "") {
			r.problem(n, k, "want a name")
			return nil
		}
	}
	if name == nil {
		if req != nil || next != nil {
			n := req
			if n == nil {
				n = next
			}
			r.problem(n, "scenarioName", "is required with requiredScenarioState and newScenarioState")
		}
		return nil
	}
	if req == nil {
		if next != nil {
			// In any state, then moves it: whenState is filled in per state.
			return []keyValue{{"scenario", native.Str(name.Line, name.Value)}, {"setState", native.Str(next.Line, next.Value)}}
		}
		return nil // in no state in particular: a mapping as any other
	}
	out := []keyValue{{"scenario", native.Str(name.Line, name.Value)}, {"whenState", native.Str(req.Line, req.Value)}}
	if next != nil {
		out = append(out, keyValue{"setState", native.Str(next.Line, next.Value)})
	}
	return out
}

type keyValue struct {
	key   string
	value *yaml.Node
}

func (r *reader) body(b *yaml.Node) *yaml.Node {
	if b.Kind != yaml.SequenceNode {
		r.problem(b, "request.bodyPatterns", "want a list of body patterns")
		return nil
	}
	match := native.Map(b.Line)
	fields := native.Map(b.Line)
	whole := false
	for i, p := range b.Content {
		where := fmt.Sprintf("request.bodyPatterns[%d]", i)
		native.Pairs(p, func(k, v *yaml.Node) {
			switch k.Value {
			case "equalToJson":
				if whole {
					r.problem(k, where+".equalToJson", "not supported yet: more than one equalToJson")
					return
				}
				whole = true
				js := v
				if v.Kind == yaml.ScalarNode {
					var doc yaml.Node
					if err := yaml.Unmarshal([]byte(v.Value), &doc); err != nil || native.Doc(&doc) == nil {
						r.problem(v, where+".equalToJson", "not JSON: %v", err)
						return
					}
					js = native.Doc(&doc)
					shift(js, v.Line-1)
				}
				how := "equal"
				if x := native.Get(p, "ignoreExtraElements"); x != nil && x.Value == "true" {
					how = "partial"
				}
				r.anyOrder = false
				if x := native.Get(p, "ignoreArrayOrder"); x != nil && x.Value == "true" {
					r.anyOrder = hasList(js)
				}
				// ignoreExtraElements ignores a list's extra elements and a
				// map's extra keys too, which partial does not.
				r.extraItems = how == "partial" && (hasList(js) || r.hasMap(js, r.in))
				if hasPlaceholder(js) || r.anyOrder || r.extraItems {
					rest, ok := r.placeholders(js, how == "partial", fields, where+".equalToJson")
					if ok && rest != nil {
						native.Set(match, how, rest)
					}
					return
				}
				native.Set(match, how, native.Clone(js))
			case "ignoreExtraElements", "ignoreArrayOrder":
			case "matchesJsonPath":
				alts, ok := r.jsonPathTests(v, where+".matchesJsonPath")
				switch {
				case !ok:
				case len(alts) == 1:
					for _, t := range alts[0] {
						mergeTest(fields, t)
					}
				default:
					r.alternatives(match, alts, v, where+".matchesJsonPath")
				}
			default:
				r.problem(k, where+"."+k.Value, "unsupported body matcher (want equalToJson, with ignoreExtraElements, or matchesJsonPath)")
			}
		})
	}
	if len(fields.Content) > 0 {
		native.Set(match, "fields", fields)
	}
	if len(match.Content) == 0 {
		return nil
	}
	return match
}

// mergeTest adds a field test to fields; two on one field hold both, as
// one operator mapping, or an allOf when they use the same operator.
func mergeTest(fields *yaml.Node, t fieldTest) {
	if have := native.Get(fields, t.path); have != nil {
		mergeOp(have, t.op)
		return
	}
	native.Set(fields, t.path, native.Clone(t.op))
}

type fieldTest struct {
	path string
	op   *yaml.Node
}

// alternatives sets a body pattern's alternatives (|| or a deep scan) as
// the match's anyOf; with another pattern's there already, every one of
// those with every one of these.
func (r *reader) alternatives(match *yaml.Node, alts []conj, at *yaml.Node, where string) {
	prev := []*yaml.Node{nil}
	if have := native.Get(match, "anyOf"); have != nil {
		prev = have.Content
	}
	if len(prev)*len(alts) > maxAlternatives {
		r.problem(at, where, "not supported yet: more than %d alternatives (|| and deep scans) in one mapping", maxAlternatives)
		return
	}
	list := native.Seq(at.Line)
	for _, p := range prev {
		for _, a := range alts {
			f := native.Map(at.Line)
			if pf := native.Get(p, "fields"); pf != nil {
				f = native.Clone(pf)
			}
			for _, t := range a {
				mergeTest(f, t)
			}
			m := native.Map(at.Line)
			if len(f.Content) > 0 {
				native.Set(m, "fields", f)
			} else {
				native.Set(m, "any", native.Bool(at.Line, true))
			}
			list.Content = append(list.Content, m)
		}
	}
	native.Delete(match, "anyOf")
	native.Set(match, "anyOf", list)
}

// jsonPathTests translates a matchesJsonPath, a string expression or
// {"expression": ..., "equalTo" | "contains" | "matches" | "absent": ...},
// into alternatives of field tests (see jsonpath.go).
func (r *reader) jsonPathTests(v *yaml.Node, where string) ([]conj, bool) {
	t := &pathTr{line: v.Line}
	expr := v
	switch v.Kind {
	case yaml.MappingNode:
		expr = native.Get(v, "expression")
		if expr == nil || expr.Kind != yaml.ScalarNode {
			r.problem(v, where, "want an expression")
			return nil, false
		}
		ok := true
		native.Pairs(v, func(k, x *yaml.Node) {
			switch k.Value {
			case "expression":
			case "equalTo", "contains", "matches", "absent":
				if t.lf != nil {
					r.problem(k, where+"."+k.Value, "give one of equalTo, contains, matches or absent")
					ok = false
					return
				}
				if x.Kind != yaml.ScalarNode {
					r.problem(x, where+"."+k.Value, "want a value")
					ok = false
					return
				}
				t.kind, t.lf = k.Value, x
			default:
				r.problem(k, where+"."+k.Value, "unsupported JSON path matcher (want equalTo, contains, matches or absent)")
				ok = false
			}
		})
		if !ok {
			return nil, false
		}
		where += ".expression"
	case yaml.ScalarNode:
	default:
		r.problem(v, where, "want a JSON path or an object with an expression")
		return nil, false
	}
	segs, err := parseJSONPath(expr.Value)
	if err != nil {
		r.problem(expr, where, "not supported yet: the JSON path %q: %v", expr.Value, err)
		return nil, false
	}
	alts, err := t.translate(segs, pos{md: r.in, known: r.in != nil})
	var pe *pathErr
	switch {
	case err == nil:
		return alts, true
	case errors.As(err, &pe) && pe.never:
		r.problem(expr, where, "the JSON path %q never matches: %v", expr.Value, err)
	case errors.As(err, &pe):
		r.problem(expr, where, "not supported yet: the JSON path %q: %v", expr.Value, err)
	default:
		r.problem(expr, where, "the JSON path %q: %v", expr.Value, err)
	}
	return nil, false
}

// shift moves the lines of a node parsed from a string to the string's
// line in the file.
func shift(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shift(c, by)
	}
}

func (r *reader) headers(h *yaml.Node) *yaml.Node {
	md := native.Map(h.Line)
	native.Pairs(h, func(k, v *yaml.Node) {
		key := strings.ToLower(k.Value)
		where := "request.headers." + k.Value
		if v.Kind != yaml.MappingNode {
			r.problem(v, where, "want a matcher such as {\"equalTo\": \"...\"}")
			return
		}
		ci := false
		if c := native.Get(v, "caseInsensitive"); c != nil {
			ci = c.Value == "true"
		}
		var m *yaml.Node
		native.Pairs(v, func(op, val *yaml.Node) {
			rx := func(expr string) {
				if ci {
					expr = "(?i)" + expr
				}
				if _, err := regexp.Compile(expr); err != nil {
					r.problem(val, where+"."+op.Value, "invalid regular expression %q: %v", val.Value, err)
					return
				}
				m = native.Map(val.Line)
				native.Set(m, "regex", native.Str(val.Line, expr))
			}
			switch op.Value {
			case "caseInsensitive":
			case "equalTo":
				if ci {
					rx("^" + regexp.QuoteMeta(val.Value) + "$")
					return
				}
				m = native.Map(val.Line)
				native.Set(m, "equal", native.Str(val.Line, val.Value))
			case "matches":
				rx("^(?:" + val.Value + ")$")
			case "contains":
				rx(regexp.QuoteMeta(val.Value))
			case "absent":
				m = native.Map(val.Line)
				if val.Value == "true" {
					native.Set(m, "absent", native.Bool(val.Line, true))
				} else {
					native.Set(m, "present", native.Bool(val.Line, true))
				}
			default:
				r.problem(op, where+"."+op.Value, "unsupported header matcher (want equalTo, contains, matches or absent)")
			}
		})
		if m != nil {
			native.Set(md, key, m)
		}
	})
	if len(md.Content) == 0 {
		return nil
	}
	return md
}

var codeNames = []string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
	"OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

func (r *reader) response(resp, out *yaml.Node, kind mockserver.Kind, reqBody requestBody) {
	templated := r.global
	if t := native.Get(resp, "transformers"); t != nil {
		if t.Kind != yaml.SequenceNode {
			r.problem(t, "response.transformers", "want a list of transformer names")
			return
		}
		for _, name := range t.Content {
			if name.Value != "response-template" {
				r.problem(name, "response.transformers", "not supported: the WireMock transformer %q (the reader knows response-template)", name.Value)
				return
			}
			templated = true
		}
	}
	// tmpl translates a string WireMock would render into a native
	// template; a string without {{ stays as it is.
	tmpl := func(n *yaml.Node, where string) *yaml.Node {
		if n.Kind != yaml.ScalarNode || !strings.Contains(n.Value, "{{") {
			return n
		}
		if !templated {
			r.problem(n, where, "holds {{...}} but the mapping has no \"transformers\": [\"response-template\"]: WireMock sends it as written unless started with --global-response-templating; add the transformer to have it rendered")
			return nil
		}
		text, err := translateTemplate(n.Value, reqBody)
		if err != nil {
			r.problem(n, where, "%v", err)
			return nil
		}
		return native.Str(n.Line, text)
	}
	if s := native.Get(resp, "status"); s != nil && s.Value != "200" {
		r.problem(s, "response.status", "a gRPC mapping answers 200 and sets grpc-status-name for errors; got %s", s.Value)
		return
	}
	var statusName, reason *yaml.Node
	headers := native.Map(resp.Line)
	if h := native.Get(resp, "headers"); h != nil {
		native.Pairs(h, func(k, v *yaml.Node) {
			switch strings.ToLower(k.Value) {
			case "grpc-status-name":
				statusName = v
			case "grpc-status-reason":
				reason = tmpl(v, "response.headers.grpc-status-reason")
			case "content-type":
			default:
				if x := tmpl(v, "response.headers."+k.Value); x != nil {
					native.Set(headers, strings.ToLower(k.Value), native.Str(x.Line, x.Value))
				}
			}
		})
	}
	if r.failed {
		return
	}
	if len(headers.Content) > 0 {
		native.Set(out, "headers", headers)
	}
	if d := native.Get(resp, "fixedDelayMilliseconds"); d != nil {
		ms, err := strconv.Atoi(d.Value)
		if err != nil || ms < 0 {
			r.problem(d, "response.fixedDelayMilliseconds", "want a number of milliseconds, got %q", d.Value)
			return
		}
		native.Set(out, "delay", native.Str(d.Line, fmt.Sprintf("%dms", ms)))
	}
	code := "OK"
	if statusName != nil {
		code = strings.ToUpper(statusName.Value)
		known := false
		for _, n := range codeNames {
			if n == code {
				known = true
			}
		}
		if !known {
			r.problem(statusName, "response.headers.grpc-status-name", "unknown gRPC status %q (want a name like NOT_FOUND)", statusName.Value)
			return
		}
	}
	if code != "OK" {
		st := native.Map(statusName.Line)
		native.Set(st, "code", native.Str(statusName.Line, code))
		if reason != nil && reason.Value != "" {
			native.Set(st, "message", native.Str(reason.Line, reason.Value))
		}
		native.Set(out, "status", st)
		return
	}
	body := native.Get(resp, "jsonBody")
	where := "response.jsonBody"
	whole := false
	if body == nil {
		if b := native.Get(resp, "body"); b != nil {
			where = "response.body"
			var doc yaml.Node
			err := yaml.Unmarshal([]byte(b.Value), &doc)
			// YAML would read {{x}} outside a string as a mapping: a
			// templated body is read as JSON or not at all.
			jsonText := !strings.Contains(b.Value, "{{") || json.Valid([]byte(b.Value))
			switch {
			case err == nil && jsonText && native.Doc(&doc) != nil && native.Doc(&doc).Kind == yaml.MappingNode:
				body = native.Doc(&doc)
				shift(body, b.Line-1)
			case strings.Contains(b.Value, "{{"):
				// A template that is JSON only once rendered
				// ("count": {{...}}): a whole-message template.
				x := tmpl(b, where)
				if x == nil {
					return
				}
				body = native.Map(b.Line)
				native.Set(body, "template", x)
				whole = true
			case err != nil:
				r.problem(b, where, "not JSON: %v", err)
				return
			default:
				r.problem(b, where, "want a JSON object")
				return
			}
		}
	}
	if body == nil {
		body = native.Map(resp.Line)
	} else if !whole {
		body = native.Clone(body)
		if !r.templates(body, where, tmpl) {
			return
		}
	}
	if kind == mockserver.ServerStream {
		native.Set(out, "responses", native.Seq(body.Line, native.Clone(body)))
		return
	}
	native.Set(out, "response", native.Clone(body))
}

// templates translates every string value of a body in place; WireMock
// renders the body's whole text, keys too, which the reader refuses.
func (r *reader) templates(n *yaml.Node, where string, tmpl func(*yaml.Node, string) *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if strings.Contains(k.Value, "{{") {
				r.problem(k, where, "not supported yet: a template in a key (%s)", k.Value)
				return false
			}
			if !r.templates(n.Content[i+1], where+"."+k.Value, tmpl) {
				return false
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if !r.templates(c, fmt.Sprintf("%s[%d]", where, i), tmpl) {
				return false
			}
		}
	case yaml.ScalarNode:
		x := tmpl(n, where)
		if x == nil {
			return false
		}
		if x != n {
			n.Value, n.Tag, n.Style = x.Value, "!!str", 0
		}
	}
	return true
}
