package gripmock

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template/parse"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// gripmock's template functions (its builtins plugin), and what each
// becomes in grpcdouble's template engine. "" keeps the name (the same
// function there); notYet marks one not mapped yet.
var gripmockFuncs = map[string]string{
	"upper": "", "lower": "", "title": "upper", // gripmock's title is strings.ToTitle
	"sprintf": "printf", "json": "toJson", "uuid": "",
	"split": "splitList", // split(s, sep): the arguments swap
	"join":  "join",      // join(list, sep): the arguments swap
	"str":   "toString",
	// gripmock's math works on floats, and takes numbers or one list of them.
	"add": "sum", "sum": "sum", "sub": "subf", "mul": "mulf", "div": "divf", "avg": "avg",
	"min": "minf", "max": "maxf", "floor": "", "ceil": "",
	"round": "round", // round x is round x 0 there
	"int":   "", "int64": "", "float": "float64", "extract": "",
	"mod": "modf", "decimal": "",
	// Numbers of any type compared as floats.
	"gt": "gtf", "gte": "gef", "lt": "ltf", "lte": "lef",
	// Time: the call's start (.RequestTime), as gripmock's now is read
	// while the call is answered.
	"now": "", "unix": "", "format": "",
	// Delay curves; jitter is seeded there, as randInt.
	"duration": "", "regressive": "", "backoff": "", "jitter": "",
	"uuid2base64": "", "uuid2bytes": "",
	"uuid2int64": "", "string2base64": "b64enc", "bytes2base64": "", "bytes": "",
	"faker": "", // package expect/faker, imported by this package
}

// Go's own template functions, the same in both engines.
var builtinFuncs = map[string]bool{
	"and": true, "or": true, "not": true, "len": true, "index": true, "slice": true, "print": true,
	"printf": true, "println": true, "eq": true, "ne": true, "le": true, "ge": true, "html": true, "js": true,
	"urlquery": true, "call": true,
}

const notYet = "-"

// The data gripmock gives a template, and grpcdouble's name for it; the
// second name of each pair is gripmock's alias, the same value there.
// .AttemptNumber counts the stub's calls per session, as .Hit does.
// .MaxAttempts is the stub's options.times (0 when unlimited), written in
// as a number: it is known when the file is read.
var gripmockData = map[string]string{
	"Request": "Request", "Requests": "Requests", "MessageIndex": "Index",
	"RequestTime": "RequestTime", "Timestamp": "RequestTime",
	"StubID": "StubID", "RequestID": "StubID",
	"AttemptNumber": "Hit", "AttemptIndex": "Hit",
	"MaxAttempts": maxAttempts, "TotalAttempts": maxAttempts,
}

const maxAttempts = "times"

// literalPos marks a number the translation wrote in (no parsed node has
// a negative position).
const literalPos parse.Pos = -1

func isTemplateText(s string) bool { return strings.Contains(s, "{{") }

// translateTemplate rewrites a gripmock template into one for grpcdouble's
// template engine: .Request.user_id becomes .Request.userId (templates there
// see protojson names), index .Headers "k" and .Headers.k become header "k",
// .MessageIndex becomes .Index, and the functions take their names there.
// in is the request type, when known, for the JSON names.
// On a bidi method (bidi) .Request is the message being answered, as
// gripmock's: .Message there, and .MessageIndex that message's index; in
// a stub that becomes a forEach rule (rule: every bidi stub) .AttemptNumber
// counts the messages the rule answered, .RuleHit. times is the stub's
// options.times.
func translateTemplate(text string, in protoreflect.MessageDescriptor, bidi, rule bool, times int) (string, error) {
	funcs := map[string]any{}
	for name := range gripmockFuncs {
		funcs[name] = true
	}
	trees, err := parse.Parse("gripmock", text, "{{", "}}", funcs, builtinValues())
	if err != nil {
		if m := undefinedFunc.FindStringSubmatch(err.Error()); m != nil {
			return "", fmt.Errorf("unknown gripmock template function %q", m[1])
		}
		return "", fmt.Errorf("template: %v", strings.TrimPrefix(err.Error(), "template: gripmock:"))
	}
	t := trees["gripmock"]
	tr := &translator{in: in, bidi: bidi, rule: rule, times: times}
	tr.node(t.Root)
	if tr.err != nil {
		return "", tr.err
	}
	out := t.Root.String()
	if folded := foldLiterals(t.Root).String(); isTemplateText(folded) {
		return folded, nil
	}
	// A value that would be no template any more stays one, so it is
	// still checked and run as a template is (a delay: at each call).
	return out, nil
}

// foldLiterals writes as text each {{ N }} the translation wrote in
// ({{ .MaxAttempts }}), so a converted file reads {{.Hit}}/3.
func foldLiterals(l *parse.ListNode) *parse.ListNode {
	if l == nil {
		return l
	}
	for i, c := range l.Nodes {
		switch x := c.(type) {
		case *parse.ActionNode:
			if len(x.Pipe.Decl) == 0 && len(x.Pipe.Cmds) == 1 && len(x.Pipe.Cmds[0].Args) == 1 {
				if n, ok := x.Pipe.Cmds[0].Args[0].(*parse.NumberNode); ok && n.Pos == literalPos {
					l.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: x.Pos, Text: []byte(n.Text)}
				}
			}
		case *parse.IfNode:
			foldLiterals(x.List)
			foldLiterals(x.ElseList)
		case *parse.RangeNode:
			foldLiterals(x.List)
			foldLiterals(x.ElseList)
		case *parse.WithNode:
			foldLiterals(x.List)
			foldLiterals(x.ElseList)
		}
	}
	return l
}

var undefinedFunc = regexp.MustCompile(`function "([^"]+)" not defined`)

func builtinValues() map[string]any {
	out := map[string]any{}
	for name := range builtinFuncs {
		out[name] = true
	}
	return out
}

type translator struct {
	in    protoreflect.MessageDescriptor
	bidi  bool
	rule  bool
	times int
	err   error
}

func (t *translator) fail(format string, args ...any) {
	if t.err == nil {
		t.err = fmt.Errorf(format, args...)
	}
}

func (t *translator) node(n parse.Node) {
	switch x := n.(type) {
	case *parse.ListNode:
		if x == nil {
			return
		}
		for _, c := range x.Nodes {
			t.node(c)
		}
	case *parse.ActionNode:
		t.pipe(x.Pipe)
	case *parse.IfNode:
		t.pipe(x.Pipe)
		t.node(x.List)
		t.node(x.ElseList)
	case *parse.RangeNode:
		t.pipe(x.Pipe)
		t.node(x.List)
		t.node(x.ElseList)
	case *parse.WithNode:
		t.pipe(x.Pipe)
		t.node(x.List)
		t.node(x.ElseList)
	case *parse.TemplateNode, *parse.TextNode, *parse.CommentNode, *parse.BreakNode, *parse.ContinueNode:
	default:
		t.fail("not supported yet: the template construct %s", n)
	}
}

func (t *translator) pipe(p *parse.PipeNode) {
	if p == nil {
		return
	}
	for i := 0; i < len(p.Cmds); i++ {
		c := p.Cmds[i]
		// X | round is round (X) 0: sprig's round takes the places last.
		if id, ok := c.Args[0].(*parse.IdentifierNode); ok && id.Ident == "round" && i > 0 && len(c.Args) == 1 {
			inner := &parse.PipeNode{NodeType: parse.NodePipe, Pos: p.Pos, Line: p.Line, Cmds: p.Cmds[:i:i]}
			// The commands before are translated already; round keeps its name.
			c.Args = append(c.Args, inner, &parse.NumberNode{NodeType: parse.NodeNumber, IsInt: true, IsFloat: true, Text: "0"})
			p.Cmds = append([]*parse.CommandNode{c}, p.Cmds[i+1:]...)
			i = 0
			continue
		}
		t.command(c, i > 0)
	}
}

func (t *translator) command(c *parse.CommandNode, piped bool) {
	// index .Headers "k" is header "k".
	if len(c.Args) == 3 {
		if id, ok := c.Args[0].(*parse.IdentifierNode); ok && id.Ident == "index" {
			if f, ok := c.Args[1].(*parse.FieldNode); ok && len(f.Ident) == 1 && f.Ident[0] == "Headers" {
				if s, ok := c.Args[2].(*parse.StringNode); ok {
					c.Args = []parse.Node{&parse.IdentifierNode{NodeType: parse.NodeIdentifier, Ident: "header"}, s}
					return
				}
			}
		}
	}
	for i, a := range c.Args {
		c.Args[i] = t.arg(a, i == 0)
	}
	if id, ok := c.Args[0].(*parse.IdentifierNode); ok {
		switch id.Ident {
		case "round":
			if len(c.Args) != 2 || piped {
				t.fail("gripmock's round takes one number: round NUMBER or NUMBER | round")
				return
			}
			c.Args = append(c.Args, &parse.NumberNode{NodeType: parse.NodeNumber, IsInt: true, IsFloat: true, Text: "0"})
		case "extract":
			// extract LIST "field": the field's JSON name, as the objects have.
			if len(c.Args) == 3 {
				if s, ok := c.Args[2].(*parse.StringNode); ok {
					name := jsonName(t.in, s.Text)
					c.Args[2] = &parse.StringNode{NodeType: parse.NodeString, Quoted: fmt.Sprintf("%q", name), Text: name}
				}
			}
		}
	}
	if id, ok := c.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "splitList" || id.Ident == "join") {
		gm := map[string]string{"splitList": "split STRING SEP", "join": "join LIST SEP"}[id.Ident]
		switch {
		case len(c.Args) == 3 && !piped:
			c.Args[1], c.Args[2] = c.Args[2], c.Args[1]
		default:
			t.fail("not supported yet: gripmock's %s other than %s", strings.Fields(gm)[0], gm)
		}
	}
}

func (t *translator) arg(a parse.Node, first bool) parse.Node {
	switch x := a.(type) {
	case *parse.IdentifierNode:
		if builtinFuncs[x.Ident] {
			return x
		}
		if x.Ident == "now" {
			return &parse.FieldNode{NodeType: parse.NodeField, Ident: []string{"RequestTime"}}
		}
		to, ok := gripmockFuncs[x.Ident]
		switch {
		case !ok:
			t.fail("unknown gripmock template function %q", x.Ident)
		case to == notYet:
			t.fail("not supported yet: gripmock's template function %q", x.Ident)
		case to != "":
			x.Ident = to
		}
		return x
	case *parse.FieldNode:
		return t.field(x)
	case *parse.ChainNode:
		if p, ok := x.Node.(*parse.PipeNode); ok {
			t.pipe(p)
		} else {
			x.Node = t.arg(x.Node, false)
		}
		// (index .Requests 0).user_id: a message's fields.
		for i, f := range x.Field {
			x.Field[i] = jsonName(nil, f)
		}
		return x
	case *parse.PipeNode:
		t.pipe(x)
		return x
	case *parse.VariableNode, *parse.DotNode, *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
		return x
	}
	t.fail("not supported yet: the template construct %s", a)
	return a
}

func (t *translator) field(f *parse.FieldNode) parse.Node {
	head := f.Ident[0]
	if head == "Headers" {
		if len(f.Ident) != 2 {
			t.fail("not supported yet: .Headers other than .Headers.NAME or index .Headers \"name\"")
			return f
		}
		return &parse.PipeNode{NodeType: parse.NodePipe, Cmds: []*parse.CommandNode{{NodeType: parse.NodeCommand, Args: []parse.Node{
			&parse.IdentifierNode{NodeType: parse.NodeIdentifier, Ident: "header"},
			&parse.StringNode{NodeType: parse.NodeString, Quoted: fmt.Sprintf("%q", f.Ident[1]), Text: f.Ident[1]},
		}}}}
	}
	if head == "State" {
		// gripmock's .State is an empty map nothing fills (grpcdouble's
		// is a scenario's state, another thing): an empty dict, whose
		// keys read as nothing (<no value>), as a missing key of a map
		// does in gripmock's templates.
		dict := &parse.PipeNode{NodeType: parse.NodePipe, Cmds: []*parse.CommandNode{{NodeType: parse.NodeCommand, Args: []parse.Node{
			&parse.IdentifierNode{NodeType: parse.NodeIdentifier, Ident: "dict"}}}}}
		if len(f.Ident) == 1 {
			return dict
		}
		args := []parse.Node{&parse.IdentifierNode{NodeType: parse.NodeIdentifier, Ident: "index"}, dict}
		for _, k := range f.Ident[1:] {
			args = append(args, &parse.StringNode{NodeType: parse.NodeString, Quoted: fmt.Sprintf("%q", k), Text: k})
		}
		return &parse.PipeNode{NodeType: parse.NodePipe, Cmds: []*parse.CommandNode{{NodeType: parse.NodeCommand, Args: args}}}
	}
	to, ok := gripmockData[head]
	if !ok {
		// gripmock fails such a call: its templates have no such data.
		t.fail("gripmock's templates have no data .%s (they have Request, Requests, Headers, MessageIndex, RequestTime, Timestamp, State, AttemptNumber, AttemptIndex, MaxAttempts, TotalAttempts, StubID and RequestID)", head)
		return f
	}
	if to == maxAttempts {
		if len(f.Ident) > 1 {
			t.fail("gripmock's .%s is a number: it has no field %s", head, f.Ident[1])
			return f
		}
		n := strconv.Itoa(t.times)
		return &parse.NumberNode{NodeType: parse.NodeNumber, Pos: literalPos, IsInt: true, IsUint: true, IsFloat: true, Int64: int64(t.times), Uint64: uint64(t.times), Float64: float64(t.times), Text: n}
	}
	switch {
	case to == "Hit" && t.rule:
		// gripmock counts every message of a bidi stream a stub answers.
		to = "RuleHit"
	}
	if head == "MessageIndex" && t.bidi {
		// gripmock's counts the messages received; .Index those sent.
		to = "MessageIndex"
	}
	f.Ident[0] = to
	if head == "Request" && t.bidi {
		f.Ident[0] = "Message"
	}
	if head == "Request" {
		md := t.in
		for i := 1; i < len(f.Ident); i++ {
			name := f.Ident[i]
			f.Ident[i] = jsonName(md, name)
			if fd := fieldOf(md, name); fd != nil && fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
				md = fd.Message()
			} else {
				md = nil
			}
		}
	}
	return f
}

// jsonName is a field's protojson name: from md when it has the field,
// else the usual lowerCamelCase of a .proto name.
func jsonName(md protoreflect.MessageDescriptor, name string) string {
	if fd := fieldOf(md, name); fd != nil {
		return fd.JSONName()
	}
	var b strings.Builder
	up := false
	for _, r := range name {
		if r == '_' {
			up = true
			continue
		}
		if up {
			b.WriteString(strings.ToUpper(string(r)))
			up = false
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
