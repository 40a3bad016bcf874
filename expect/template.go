package expect

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/Masterminds/sprig/v3"
	"github.com/google/uuid"
	"github.com/grpcdouble/grpcdouble/expect/internal/fakerhook"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxTemplateOutput caps what one template may write, or the server's
// largest message when that is less (tmplData.limit).
const maxTemplateOutput = 4 << 20

// maxTemplateList caps the lists sequence functions (until, seq, ...) make.
const maxTemplateList = 100_000

// tmpl is one text/template of an expectation, parsed and checked at load.
type tmpl struct {
	t     *template.Template
	where string     // "file:line: field", for errors
	fast  []fastPart // when the template is that simple (template_fast.go)
}

// tmplFuncs are the functions a template may call: sprig's hermetic set,
// less what is random, reads the clock, or can be made to burn memory or
// CPU (key and certificate generation), plus ours. Nothing reads the
// environment, files or the network. header, randInt, randFloat and
// randString are rewritten to methods of the call's data at parse time:
// they need the call.
var tmplFuncs = func() template.FuncMap {
	fm := sprig.HermeticTxtFuncMap()
	for _, name := range []string{
		"ago", "randInt", "shuffle", "genPrivateKey", "derivePassword", "buildCustomCert",
		"genCA", "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert",
		"genSignedCertWithKey", "encryptAES", "decryptAES", "bcrypt", "htpasswd", "randBytes",
		"getHostByName", "env", "expandenv", "now", "date", "dateInZone", "date_in_zone",
		"dateModify", "date_modify", "htmlDate", "htmlDateInZone", "mustDateModify", "must_date_modify",
		"unixEpoch", "toDate", "mustToDate", "duration", "durationRound",
	} {
		delete(fm, name)
	}
	fm["repeat"] = func(n int, s string) (string, error) {
		if n < 0 || n > maxTemplateOutput/max(len(s), 1) {
			return "", fmt.Errorf("repeat %d: the output would pass %d bytes", n, maxTemplateOutput)
		}
		return strings.Repeat(s, n), nil
	}
	fm["until"] = func(n int) ([]int, error) { return intRange(0, n, 1) }
	fm["untilStep"] = func(start, stop, step int) ([]int, error) { return intRange(start, stop, step) }
	fm["seq"] = func(args ...int) ([]int, error) {
		switch len(args) {
		case 1:
			return intRange(1, args[0]+1, 1)
		case 2:
			return intRange(args[0], args[1]+1, 1)
		case 3:
			return intRange(args[0], args[2]+1, args[1])
		}
		return nil, fmt.Errorf("seq wants 1 to 3 numbers")
	}
	fm["uuid"] = uuid.NewString
	// Numbers: sprig's float functions also take one list, standing for
	// its elements (sum .Requests values); divf by zero is an error.
	for _, name := range []string{"addf", "subf", "mulf", "divf", "maxf", "minf"} {
		f, ok := fm[name].(func(any, ...any) float64)
		if !ok {
			add := fm[name].(func(...any) float64)
			f = func(a any, rest ...any) float64 { return add(append([]any{a}, rest...)...) }
		}
		fm[name] = listAware(name, f)
	}
	fm["sum"] = fm["addf"]
	fm["avg"] = avg
	fm["extract"] = extract
	fm["modf"] = modf
	fm["gtf"] = compareFloats("gtf", func(c int) bool { return c > 0 })
	fm["gef"] = compareFloats("gef", func(c int) bool { return c >= 0 })
	fm["ltf"] = compareFloats("ltf", func(c int) bool { return c < 0 })
	fm["lef"] = compareFloats("lef", func(c int) bool { return c <= 0 })
	fm["decimal"] = decimal
	// Bytes and UUIDs, as gripmock's encoders.
	fm["bytes"] = func(s string) []byte { return []byte(s) }
	fm["bytes2base64"] = func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	fm["uuid2bytes"] = uuidBytes
	fm["uuid2base64"] = func(id string) (string, error) {
		b, err := uuidBytes(id)
		return base64.StdEncoding.EncodeToString(b), err
	}
	fm["uuid2int64"] = func(id string) (string, error) {
		b, err := uuidBytes(id)
		if err != nil {
			return "", err
		}
		high, low := int64(binary.LittleEndian.Uint64(b[:8])), int64(binary.LittleEndian.Uint64(b[8:]))
		return fmt.Sprintf(`{"high":%d,"low":%d}`, high, low), nil
	}
	fm["duration"] = durationOf
	fm["regressive"] = regressive
	fm["backoff"] = backoff
	fm["htmlEscape"] = func(v any) string {
		switch x := v.(type) {
		case string:
			return htmlEscape(x)
		case nil:
			return ""
		}
		return htmlEscape(fmt.Sprint(v)) // a number or bool, as the template would print it
	}
	fm["unix"] = func(t time.Time) int64 { return t.Unix() }
	fm["format"] = func(t time.Time, layout string) string { return t.Format(layout) }
	fm["signedBytes"] = signedBytes
	fm["timeAdd"] = timeAdd
	fm["truncateTime"] = truncateTime
	fm["regexGroups"] = regexGroups
	fm["urlEncode"] = urlEncode
	fm["urlDecode"] = urlDecode
	fm["capFirst"] = capFirst
	fm["capWords"] = capWords
	fm["abbreviate"] = abbreviate
	fm["padLeft"] = padLeft
	fm["padRight"] = padRight
	fm["center"] = center
	fm["numberFormat"] = numberFormat
	fm["parseJson"] = parseJson
	fm["jsonAt"] = jsonAt
	fm["jsonText"] = jsonText
	fm["jsonMerge"] = jsonMerge
	fm["inZone"] = inZone
	fm["parseTime"] = parseTime
	fm["math"] = mathOp
	fm["formatJson"] = func(s string) (string, error) { return formatJSON(s, true) }
	fm["compactJson"] = func(s string) (string, error) { return formatJSON(s, false) }
	// Placeholders for parsing; rewritten to $.Header etc. (see rewrites).
	for name := range rewrites {
		fm[name] = func(...any) string { return "" }
	}
	return fm
}()

// rewrites maps the functions that need the call to the methods of
// tmplData that implement them.
var rewrites = map[string]string{
	"header": "Header", "randInt": "RandInt", "randFloat": "RandFloat", "randString": "RandString",
	"randPick": "RandPick", "messageJson": "MessageJSON", "now": "Now", "faker": "Faker", "jitter": "Jitter",
}

// htmlEscape escapes as Handlebars' {{ }} does (WireMock's templates):
// its entities, which differ from Go's html for quotes.
var htmlEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
	"'", "&#x27;", "`", "&#x60;", "=", "&#x3D;").Replace

// listAware wraps one of sprig's variadic float functions: a single list
// argument stands for its elements, and a division by zero is an error
// (sprig's would panic).
func listAware(name string, f func(any, ...any) float64) func(any, ...any) (float64, error) {
	return func(a any, rest ...any) (out float64, err error) {
		if len(rest) == 0 {
			if l, ok := numberList(a); ok {
				if len(l) == 0 {
					return 0, fmt.Errorf("%s: an empty list", name)
				}
				a, rest = l[0], l[1:]
			}
		}
		if name == "divf" {
			for _, d := range rest {
				if v, err := toFloat(d); err == nil && v == 0 {
					return 0, fmt.Errorf("divf: division by zero")
				}
			}
		}
		return f(a, rest...), nil
	}
}

// numberList is v's elements when v is a list.
func numberList(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case []float64:
		out := make([]any, len(l))
		for i, x := range l {
			out[i] = x
		}
		return out, true
	case []int:
		out := make([]any, len(l))
		for i, x := range l {
			out[i] = x
		}
		return out, true
	}
	return nil, false
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case uint32:
		return float64(x), nil
	case json.Number:
		return x.Float64()
	case string:
		return strconv.ParseFloat(x, 64)
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("%v (%T) is not a number", v, v)
}

// modf is a's floating-point remainder by b (math.Mod); by zero it is an
// error, as divf's.
func modf(a, b any) (float64, error) {
	x, err := toFloat(a)
	if err != nil {
		return 0, fmt.Errorf("modf: %w", err)
	}
	y, err := toFloat(b)
	if err != nil {
		return 0, fmt.Errorf("modf: %w", err)
	}
	if y == 0 {
		return 0, fmt.Errorf("modf: division by zero")
	}
	return math.Mod(x, y), nil
}

// compareFloats compares two numbers of any type (ints, floats, numeric
// strings) as floats, where Go's lt and gt want both of one kind.
func compareFloats(name string, holds func(int) bool) func(a, b any) (bool, error) {
	return func(a, b any) (bool, error) {
		x, err := toFloat(a)
		if err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
		y, err := toFloat(b)
		if err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
		return holds(cmp.Compare(x, y)), nil
	}
}

// uuidBytes is a UUID's 16 bytes.
func uuidBytes(id string) ([]byte, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return nil, fmt.Errorf("not a UUID %q: %w", id, err)
	}
	return u[:], nil
}

// decimal writes a number as a decimal: a whole number with ".0" (3.0),
// another in its shortest form (2.5), as gripmock's decimal.
func decimal(v any) (string, error) {
	f, err := toFloat(v)
	if err != nil {
		return "", fmt.Errorf("decimal: %w", err)
	}
	if math.Trunc(f) == f {
		return strconv.FormatFloat(f, 'f', 1, 64), nil
	}
	return strconv.FormatFloat(f, 'g', -1, 64), nil
}

// avg is the mean of numbers, or of one list of them.
func avg(a any, rest ...any) (float64, error) {
	vals := append([]any{a}, rest...)
	if len(rest) == 0 {
		if l, ok := numberList(a); ok {
			vals = l
		}
	}
	if len(vals) == 0 {
		return 0, fmt.Errorf("avg: an empty list")
	}
	sum := 0.0
	for _, v := range vals {
		f, err := toFloat(v)
		if err != nil {
			return 0, fmt.Errorf("avg: %w", err)
		}
		sum += f
	}
	return sum / float64(len(vals)), nil
}

// extract is a collection's element: a map's value at key, a list's at an
// index, or, for a list of objects and a key, each object's value at key.
func extract(collection any, key any) (any, error) {
	switch c := collection.(type) {
	case map[string]any:
		return c[fmt.Sprint(key)], nil
	case []any:
		if i, ok := key.(int); ok {
			if i < 0 || i >= len(c) {
				return nil, fmt.Errorf("extract: index %d of a list of %d", i, len(c))
			}
			return c[i], nil
		}
		k := fmt.Sprint(key)
		out := make([]any, 0, len(c))
		for _, e := range c {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m[k])
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("extract: %T is not a map or a list", collection)
}

func intRange(start, stop, step int) ([]int, error) {
	if step == 0 {
		return nil, fmt.Errorf("step 0")
	}
	// The count in uint64, where a difference or a step at the ends of
	// int's range does not overflow.
	var span, by uint64
	switch {
	case step > 0 && start < stop:
		span, by = uint64(stop)-uint64(start), uint64(step)
	case step < 0 && start > stop:
		span, by = uint64(start)-uint64(stop), -uint64(step)
	default:
		return nil, nil
	}
	n := span / by
	if span%by != 0 {
		n++
	}
	if n > maxTemplateList {
		return nil, fmt.Errorf("a list of %d numbers is more than the %d a template may make", n, maxTemplateList)
	}
	out := make([]int, n)
	for i := range out {
		out[i] = start + i*step // within [start, stop): no overflow
	}
	return out, nil
}

// isTemplate reports whether a string is a template.
func isTemplate(s string) bool { return strings.Contains(s, "{{") }

// tmplEnv is what a template is checked against at load.
type tmplEnv struct {
	in     protoreflect.MessageDescriptor // the method's input
	method string
}

// parseTemplate parses text, rewrites the functions that need the call and
// checks every field reference it can against the message types.
func parseTemplate(where, text string, env tmplEnv) (*tmpl, error) {
	t, err := template.New(where).Funcs(tmplFuncs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("template: %s", cleanTmplErr(where, err))
	}
	c := &tmplChecker{env: env}
	for _, tr := range t.Templates() {
		if tr.Tree == nil || tr.Root == nil {
			continue
		}
		c.list(tr.Root, rootType())
	}
	if c.err != nil {
		return nil, fmt.Errorf("template: %w", c.err)
	}
	return &tmpl{t: t, where: where, fast: fastParts(t.Tree, env.in)}, nil
}

// cleanTmplErr drops the template's name from text/template's errors:
// "template: NAME:1:3: executing "NAME" at <.x>: ..." reads "line 1:3: at <.x>: ...".
func cleanTmplErr(where string, err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "template: ")
	s = strings.TrimPrefix(s, where+":")
	s = strings.Replace(s, fmt.Sprintf("executing %q at ", where), "at ", 1)
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		return "line " + s
	}
	return s
}

// render runs the template into at most d.max() bytes.
func (t *tmpl) render(d *tmplData) (string, error) {
	if t.fast != nil {
		return renderFast(t.fast, d), nil
	}
	b := capped{limit: d.max()}
	if err := t.t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("%s: template: %s", t.where, cleanTmplErr(t.where, err))
	}
	return b.String(), nil
}

type capped struct {
	bytes.Buffer
	limit int
}

// tooLong is the error of output over limit bytes.
type tooLong int

func (n tooLong) Error() string { return fmt.Sprintf("the output passed %d bytes", int(n)) }

func (c *capped) Write(p []byte) (int, error) {
	if c.Len()+len(p) > c.limit {
		return 0, tooLong(c.limit)
	}
	return c.Buffer.Write(p)
}

// tmplType is what the checker knows of a value in a template.
type tmplType struct {
	root    bool
	msg     protoreflect.MessageDescriptor // a message (as a map of its fields)
	list    bool                           // .Requests or a repeated field: elem is msg
	known   bool                           // a scalar whose type is known (no fields)
	name    string                         // what it is, for errors
	unknown bool
}

func rootType() tmplType { return tmplType{root: true} }

type tmplChecker struct {
	env tmplEnv
	err error
}

func (c *tmplChecker) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

func (c *tmplChecker) list(l *parse.ListNode, dot tmplType) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(n, dot)
	}
}

func (c *tmplChecker) node(n parse.Node, dot tmplType) {
	switch n := n.(type) {
	case *parse.ActionNode:
		c.pipe(n.Pipe, dot)
	case *parse.IfNode:
		c.pipe(n.Pipe, dot)
		c.list(n.List, dot)
		c.list(n.ElseList, dot)
	case *parse.RangeNode:
		t := c.pipe(n.Pipe, dot)
		elem := tmplType{unknown: true}
		if t.list && t.msg != nil {
			elem = tmplType{msg: t.msg}
		}
		if len(n.Pipe.Decl) > 0 {
			elem = tmplType{unknown: true} // $i, $x := range: dot is still set, but keep it simple
			if t.list && t.msg != nil {
				elem = tmplType{msg: t.msg}
			}
		}
		c.list(n.List, elem)
		c.list(n.ElseList, dot)
	case *parse.WithNode:
		t := c.pipe(n.Pipe, dot)
		inner := tmplType{unknown: true}
		if t.msg != nil && !t.list {
			inner = t
		}
		c.list(n.List, inner)
		c.list(n.ElseList, dot)
	case *parse.TemplateNode:
		c.pipe(n.Pipe, dot)
	case *parse.ListNode:
		c.list(n, dot)
	}
}

// pipe checks a pipeline and returns the type of its value when it is a
// single field reference.
func (c *tmplChecker) pipe(p *parse.PipeNode, dot tmplType) tmplType {
	if p == nil {
		return tmplType{unknown: true}
	}
	out := tmplType{unknown: true}
	for _, cmd := range p.Cmds {
		for i, arg := range cmd.Args {
			switch a := arg.(type) {
			case *parse.IdentifierNode:
				if a.Ident == "faker" && fakerhook.New == nil {
					c.fail("faker: this program has no faker functions: import github.com/grpcdouble/grpcdouble/expect/faker (the grpcdouble binary and gripmock stubs have them)")
				}
				if m, ok := rewrites[a.Ident]; ok {
					cmd.Args[i] = &parse.VariableNode{NodeType: parse.NodeVariable, Pos: a.Pos, Ident: []string{"$", m}}
				}
			case *parse.FieldNode:
				t := c.chain(dot, a.Ident, "."+strings.Join(a.Ident, "."))
				if len(p.Cmds) == 1 && len(cmd.Args) == 1 {
					out = t
				}
			case *parse.VariableNode:
				if a.Ident[0] == "$" && len(a.Ident) > 1 {
					t := c.chain(rootType(), a.Ident[1:], "$."+strings.Join(a.Ident[1:], "."))
					if len(p.Cmds) == 1 && len(cmd.Args) == 1 {
						out = t
					}
				}
			case *parse.PipeNode:
				c.pipe(a, dot)
			case *parse.ChainNode:
				if pn, ok := a.Node.(*parse.PipeNode); ok {
					c.pipe(pn, dot)
				}
				// faker.Person.Name is $.Faker.Person.Name.
				if id, ok := a.Node.(*parse.IdentifierNode); ok && id.Ident == "faker" {
					if fakerhook.New == nil {
						c.fail("faker: this program has no faker functions: import github.com/grpcdouble/grpcdouble/expect/faker (the grpcdouble binary and gripmock stubs have them)")
					}
					cmd.Args[i] = &parse.VariableNode{NodeType: parse.NodeVariable, Pos: a.Pos, Ident: append([]string{"$", "Faker"}, a.Field...)}
				}
			}
		}
	}
	return out
}

var rootFields = "Request, Requests, Message, MessageIndex, MessageHit, Matched, MatchedIndex, Method, Hit, RuleHit, Index, State, StubID and RequestTime"

// chain checks a reference like .Request.location.latitude.
func (c *tmplChecker) chain(t tmplType, idents []string, text string) tmplType {
	for i, id := range idents {
		switch {
		case t.unknown:
			return t
		case t.root:
			switch id {
			case "Request", "Message", "Matched":
				t = tmplType{msg: c.env.in}
				if c.env.in == nil {
					t = tmplType{unknown: true}
				}
			case "Requests":
				t = tmplType{msg: c.env.in, list: true, name: "Requests"}
				if c.env.in == nil {
					t = tmplType{unknown: true}
				}
			case "Method", "State", "StubID":
				t = tmplType{known: true, name: id + " (a string)"}
			case "Hit", "Index", "MessageIndex", "MessageHit", "MatchedIndex", "RuleHit":
				t = tmplType{known: true, name: id + " (a number)"}
			case "RequestTime":
				return tmplType{unknown: true} // a time.Time: its methods (.Unix, .Format) are Go's
			case "Faker":
				if fakerhook.New == nil {
					c.fail("faker: this program has no faker functions: import github.com/grpcdouble/grpcdouble/expect/faker (the grpcdouble binary and gripmock stubs have them)")
				}
				return tmplType{unknown: true}
			case "Header", "RandInt", "RandFloat", "RandString", "RandPick", "MessageJSON", "Now", "Jitter":
				return tmplType{unknown: true}
			default:
				c.fail("%s: a template has no value %s (it has %s)%s", text, id, rootFields, didYouMean(id, strings.Split(strings.ReplaceAll(rootFields, " and ", ", "), ", ")))
				return tmplType{unknown: true}
			}
		case t.list:
			c.fail("%s: %s is a list: use index or range", text, t.name)
			return tmplType{unknown: true}
		case t.known:
			c.fail("%s: %s has no field %s", text, t.name, id)
			return tmplType{unknown: true}
		case t.msg != nil:
			fd := t.msg.Fields().ByJSONName(id)
			if fd == nil {
				var names []string
				for j := range t.msg.Fields().Len() {
					names = append(names, t.msg.Fields().Get(j).JSONName())
				}
				hint := didYouMean(id, names)
				c.fail("%s: %s has no field %q%s", text, t.msg.FullName(), id, hint)
				return tmplType{unknown: true}
			}
			switch {
			case fd.IsMap():
				t = tmplType{unknown: true}
			case fd.IsList():
				t = tmplType{list: true, name: fd.JSONName() + " (repeated)"}
				if fd.Message() != nil && !isWellKnown(fd.Message()) {
					t.msg = fd.Message()
				} else {
					t.msg = nil
				}
			case fd.Message() != nil && !isWellKnown(fd.Message()):
				t = tmplType{msg: fd.Message()}
			default:
				t = tmplType{known: true, name: fmt.Sprintf("%s (%s)", fd.JSONName(), fieldKind(fd))}
			}
			_ = i
		}
	}
	return t
}

func isWellKnown(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile() != nil && strings.HasPrefix(string(md.FullName()), "google.protobuf.")
}

// tmplData is what a template sees: one per call, built lazily.
type tmplData struct {
	in       protoreflect.MessageDescriptor
	got      []proto.Message // client messages received before the script ran
	last     proto.Message   // the message just received (bidi)
	md       metadata.MD
	method   string
	hit      int
	index    int
	msgIndex int // .Message's index among the client's messages
	msgHit   int // .Message's number among the stub's messages, over its calls
	ruleHit  int
	state    func() string
	seed     uint64
	start    time.Time // when the call arrived
	fakes    uint64    // how many times faker was read
	stubID   string
	limit    int // the most a template may write (0: maxTemplateOutput)

	// listMatch is the stub's client-stream matcher, for MatchedIndex.
	listMatch ListMatcher
	matched   *int

	req  map[string]any
	reqs []any
	rnd  *rand.Rand
}

// max is the most a template may write: maxTemplateOutput, or the
// server's largest message when that is less.
func (d *tmplData) max() int {
	if d.limit > 0 && d.limit < maxTemplateOutput {
		return d.limit
	}
	return maxTemplateOutput
}

// Request is the first client message as a protojson-like object, with
// every field present (unset ones as zero values).
func (d *tmplData) Request() map[string]any {
	if d.req == nil {
		var m proto.Message
		if len(d.got) > 0 {
			m = d.got[0]
		}
		d.req = d.object(m)
	}
	return d.req
}

// Requests is every client message received, as objects.
func (d *tmplData) Requests() []any {
	if d.reqs == nil {
		d.reqs = make([]any, len(d.got))
		for i, m := range d.got {
			d.reqs[i] = d.object(m)
		}
	}
	return d.reqs
}

// Message is the client message just received (bidi), or the request.
func (d *tmplData) Message() map[string]any {
	if d.last == nil {
		return d.Request()
	}
	return d.object(d.last)
}

func (d *tmplData) object(m proto.Message) map[string]any {
	if m == nil {
		if d.in == nil {
			return map[string]any{}
		}
		return messageObject(messageType(d.in).Zero(), 0)
	}
	return messageObject(m.ProtoReflect(), 0)
}

// Method is the call's full method name.
func (d *tmplData) Method() string { return d.method }

// Hit is the number of this call among the expectation's calls, from 1.
func (d *tmplData) Hit() int { return d.hit }

// Index is the index of the message being sent, from 0.
func (d *tmplData) Index() int { return d.index }

// MessageIndex is the index of .Message among the client's messages, from 0.
func (d *tmplData) MessageIndex() int { return d.msgIndex }

// MessageHit is the number of .Message among the messages the stub's calls
// received, from 1, over all its calls (0 before a bidi call's first).
func (d *tmplData) MessageHit() int { return d.msgHit }

// RuleHit is the number of the message among those the answering forEach
// rule answered, from 1 (0 outside a rule).
func (d *tmplData) RuleHit() int { return d.ruleHit }

// State is the state of the expectation's scenario ("" outside one).
// StubID is the ID of the stub answering: its id, or the one it was given.
func (d *tmplData) StubID() string { return d.stubID }

func (d *tmplData) State() string {
	if d.state == nil {
		return ""
	}
	return d.state()
}

// RequestTime is when the call arrived, in UTC: every time a template
// reads is this one, so one call's templates agree.
func (d *tmplData) RequestTime() time.Time { return d.start.UTC() }

// Now is the call's RequestTime as RFC 3339 (nanoseconds), or in a layout.
func (d *tmplData) Now(layout ...string) string {
	l := time.RFC3339Nano
	if len(layout) > 0 {
		l = layout[0]
	}
	return d.RequestTime().Format(l)
}

// Header is the first value of a request metadata key, or "". With at,
// the value at that index, from 0; a negative one counts from the end
// (-1: the last value).
func (d *tmplData) Header(key string, at ...int) (string, error) {
	v := d.md.Get(key)
	i := 0
	switch {
	case len(at) > 1:
		return "", fmt.Errorf("header wants a key and at most one index")
	case len(at) == 1 && at[0] < 0:
		i = len(v) + at[0]
	case len(at) == 1:
		i = at[0]
	}
	if i < 0 || i >= len(v) {
		return "", nil
	}
	return v[i], nil
}

// rand is seeded by the expectation and the call's number, so a test sees
// the same numbers on every run.
func (d *tmplData) rand() *rand.Rand {
	if d.rnd == nil {
		d.rnd = rand.New(rand.NewPCG(d.seed, uint64(d.hit)))
	}
	return d.rnd
}

// Faker is gripmock's faker object (package expect/faker), seeded by the
// expectation, the call's number and how many times this call has read it.
func (d *tmplData) Faker() (any, error) {
	if fakerhook.New == nil {
		return nil, errors.New("faker: this program has no faker functions: import github.com/grpcdouble/grpcdouble/expect/faker")
	}
	d.fakes++
	return fakerhook.New(d.seed^(uint64(d.hit)<<32)^d.fakes*0x9e3779b97f4a7c15, d.RequestTime()), nil
}

// RandInt is a seeded random integer in [lo, hi).
func (d *tmplData) RandInt(lo, hi int) (int, error) {
	if hi <= lo {
		return 0, fmt.Errorf("randInt %d %d: want lo < hi", lo, hi)
	}
	// In uint64: hi-lo may pass int's range. The same draws as IntN.
	return lo + int(d.rand().Uint64N(uint64(hi)-uint64(lo))), nil //nolint:gosec // wraps back into [lo, hi)

}

// RandFloat is a seeded random number in [0, 1).
func (d *tmplData) RandFloat() float64 { return d.rand().Float64() }

// RandString is a seeded random string of n letters and digits, or of
// the characters (bytes) of chars.
func (d *tmplData) RandString(n int, chars ...string) (string, error) {
	if n < 0 || n > d.max() {
		return "", fmt.Errorf("randString %d: want 0 to %d", n, d.max())
	}
	alphabet := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	switch {
	case len(chars) > 1:
		return "", fmt.Errorf("randString wants a length and at most one string of characters")
	case len(chars) == 1 && chars[0] == "":
		return "", fmt.Errorf("randString %d \"\": no characters to draw from", n)
	case len(chars) == 1:
		alphabet = chars[0]
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[d.rand().IntN(len(alphabet))]
	}
	return string(b), nil
}

func seedOf(source string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(source))
	return h.Sum64()
}

// maxZeroDepth bounds how deep unset messages are filled with zero values
// (a recursive message type would go on for ever).
const maxZeroDepth = 4

// messageObject is a message as a template sees it: JSON names to values,
// every field present. Well-known types read as their protojson form.
func messageObject(m protoreflect.Message, zeroDepth int) map[string]any {
	fields := m.Descriptor().Fields()
	out := make(map[string]any, fields.Len())
	for i := range fields.Len() {
		fd := fields.Get(i)
		switch {
		case fd.IsList():
			l := m.Get(fd).List()
			vals := make([]any, l.Len())
			for j := range vals {
				vals[j] = scalarObject(fd, l.Get(j))
			}
			out[fd.JSONName()] = vals
		case fd.IsMap():
			mv := m.Get(fd).Map()
			vals := make(map[string]any, mv.Len())
			mv.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				vals[k.String()] = scalarObject(fd.MapValue(), v)
				return true
			})
			out[fd.JSONName()] = vals
		case fd.Message() != nil && !isWellKnown(fd.Message()):
			if m.Has(fd) {
				out[fd.JSONName()] = messageObject(m.Get(fd).Message(), 0)
			} else if zeroDepth < maxZeroDepth {
				out[fd.JSONName()] = messageObject(m.Get(fd).Message(), zeroDepth+1)
			} else {
				out[fd.JSONName()] = map[string]any{}
			}
		default:
			out[fd.JSONName()] = scalarObject(fd, m.Get(fd))
		}
	}
	return out
}

func scalarObject(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return v.Bool()
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return v.Int()
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return v.Uint()
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return v.Float()
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.BytesKind:
		return base64.StdEncoding.EncodeToString(v.Bytes())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return int64(v.Enum())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if !isWellKnown(fd.Message()) {
			return messageObject(v.Message(), 0)
		}
		b, err := protojson.Marshal(v.Message().Interface())
		if err != nil {
			return nil
		}
		var out any
		if json.Unmarshal(b, &out) != nil {
			return nil
		}
		return out
	}
	return v.Interface()
}

// msgTmpl makes a message from templates: a whole-message template, or a
// message whose strings are templates. Either way the text is protojson,
// parsed into the declared type.
type msgTmpl struct {
	out   protoreflect.MessageDescriptor
	whole *tmpl
	parts []tmplPart
	where string
	many  bool          // a whole-message template may render a JSON array: several messages
	base  proto.Message // set: build by cloning it and setting the templated fields (template_direct.go)
}

// tmplPart is literal JSON, or a template whose output goes in as a JSON
// string (quote) or, when it is valid JSON, as is.
type tmplPart struct {
	lit   []byte
	t     *tmpl
	quote bool
	path  []protoreflect.FieldDescriptor // a singular scalar field from the root message, or nil
}

// build renders the message, or with many the messages of a JSON array.
func (m *msgTmpl) build(d *tmplData) ([]proto.Message, error) {
	if m.base != nil {
		return m.buildDirect(d)
	}
	var js []byte
	if m.whole != nil {
		s, err := m.whole.render(d)
		if err != nil {
			return nil, err
		}
		js = []byte(s)
	} else {
		var b bytes.Buffer
		for _, p := range m.parts {
			if p.t == nil {
				b.Write(p.lit)
				continue
			}
			s, err := p.t.render(d)
			if err != nil {
				return nil, err
			}
			switch t := strings.TrimSpace(s); {
			case !p.quote && t == "":
				b.WriteString("null") // nothing rendered: the field keeps its zero value
			case !p.quote && json.Valid([]byte(t)) && t[0] != '"':
				b.WriteString(t)
			default:
				q, _ := json.Marshal(s)
				b.Write(q)
			}
			if b.Len() > d.max() {
				return nil, fmt.Errorf("%s: %w", m.where, tooLong(d.max()))
			}
		}
		js = b.Bytes()
	}
	items := []json.RawMessage{js}
	if t := bytes.TrimSpace(js); m.many && len(t) > 0 && t[0] == '[' {
		items = nil
		if err := json.Unmarshal(t, &items); err != nil {
			return nil, fmt.Errorf("%s: %w a list of %s: %v (output: %.200s)", m.where, errBadOutput, m.out.FullName(), err, js)
		}
	}
	out := make([]proto.Message, len(items))
	for i, item := range items {
		msg := messageType(m.out).New().Interface()
		if err := protojson.Unmarshal(item, msg); err != nil {
			text := protoErrPrefix.ReplaceAllString(strings.ReplaceAll(err.Error(), "\u00a0", " "), "")
			return nil, fmt.Errorf("%s: %w a %s: %s (output: %.200s)", m.where, errBadOutput, m.out.FullName(), text, item)
		}
		out[i] = msg
	}
	return out, nil
}

// tmplStep sends what a msgTmpl renders for the call.
type tmplStep struct{ mt *msgTmpl }

func (s tmplStep) run(r *run) error {
	msgs, err := s.mt.build(r.data())
	if err != nil {
		return r.tmplFail(err)
	}
	for _, msg := range msgs {
		if err := (sendStep{msg: msg}).run(r); err != nil {
			return err
		}
	}
	return nil
}

func (s tmplStep) String() string { return "send the template of " + s.mt.where }

// dryRun renders m for a request with every field zero, to refuse at load
// a template whose output cannot be the declared type. A template that
// fails to execute on that request is not refused: it may need a real one.
func (m *msgTmpl) dryRun(env tmplEnv) error {
	// A call starting now, as a real one does: at time zero faker's
	// PastDate (relative to the call) falls before year 1, out of a
	// Timestamp's range.
	d := &tmplData{in: env.in, method: env.method, hit: 1, md: metadata.MD{}, start: time.Now()}
	if _, err := m.build(d); errors.Is(err, errBadOutput) {
		return err
	}
	return nil
}

// errBadOutput marks template output that is not the declared type.
var errBadOutput = errors.New("the template's output is not")
