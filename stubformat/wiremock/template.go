package wiremock

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// WireMock renders a response template with Handlebars over the request
// the gRPC extension shows it: request.body is the message as JSON
// (lowerCamelCase names), request.headers the metadata. translateTemplate
// rewrites the common subset into grpcdouble's Go template, so one engine
// answers; the rest is refused by name.

// A helper's translation sees its parameters already translated to Go
// template operands.
type hbCall struct {
	name   string
	params []hbExpr
	hash   []hbPair
}

type hbPair struct {
	key   string
	value hbExpr
}

// hbExpr is a parameter: a literal, a path (request.headers.x), or a
// sub-expression (helper args...).
type hbExpr struct {
	lit  string // a Go literal (quoted string, number, true/false)
	str  string // the string a quoted literal holds
	path []string
	sub  *hbCall
	isS  bool // a quoted string
}

// Helpers translated; any other name is refused.
var hbHelpers = map[string]bool{
	"jsonPath": true, "now": true, "randomValue": true, "eq": true, "neq": true, "gt": true, "gte": true,
	"lt": true, "lte": true, "and": true, "or": true, "not": true, "contains": true, "matches": true,
	"upper": true, "lower": true, "trim": true, "size": true, "if": true, "unless": true,
	"randomInt": true, "randomDecimal": true, "pickRandom": true, "math": true, "regexExtract": true,
	"substring": true, "base64": true, "formatJson": true, "date": true, "parseDate": true, "val": true,
	"toJson": true, "array": true, "range": true, "arrayJoin": true, "join": true, "replace": true,
	"defaultIfEmpty": true, "truncateDate": true, "urlEncode": true, "lookup": true,
	"arrayAdd": true, "arrayRemove": true, "capitalize": true, "capitalizeFirst": true, "abbreviate": true,
	"center": true, "ljust": true, "rjust": true, "stripTags": true, "wordWrap": true, "numberFormat": true,
	"dateFormat": true, "parseJson": true, "jsonMerge": true,
}

// Helpers WireMock has that the reader does not translate yet; named so the
// error says "not yet" rather than "unknown".
var hbKnown = map[string]bool{
	"each": true, "with": true, "formatXml": true, "xPath": true, "soapXPath": true, "formData": true,
	"jsonRemove":   true,
	"jsonArrayAdd": true, "jsonSort": true, "systemValue": true, "hostname": true, "cut": true,
	"slugify": true, "stringFormat": true, "yesno": true,
	"isEven": true, "isOdd": true, "stripes": true,
	"log": true, "assign": true, "jwt": true, "jwks": true, "first": true, "last": true,
}

// hbOut is a translated value: its expression and what is known of it.
type hbOut struct {
	expr string
	// safe for the output escaping: the value cannot hold & < > " ' ` =.
	safe bool
	// raw is the value itself where expr writes it as JSON (toJson): a
	// message, list or map, which helpers and blocks take as it is.
	raw string
	// fd is the request field the value is, when known (list: the list,
	// not an element); elem says it is one element of it.
	fd   protoreflect.FieldDescriptor
	elem bool
	// when is set for a date (now, parseDate, date): a time.Time in UTC,
	// and zone the time zone it renders in ("" for UTC).
	when *hbTime
	// stmt, when set, is what the mustache writes, whole: a Go variable
	// declared (regexExtract or parseJson into a variable).
	stmt string
	// json: a value parseJson read, which blocks do not walk yet.
	json bool
}

type hbTime struct {
	utc, zone, format string
}

// value is the value itself: raw when set, else expr.
func (o hbOut) value() string {
	if o.raw != "" {
		return o.raw
	}
	return o.expr
}

// requestBody is what a template's request.body stands for: the native
// value (.Request, .Message on a bidi method, .Matched on a client stream)
// and its type, when known.
type requestBody struct {
	in    protoreflect.MessageDescriptor
	value string
}

type hbTranslator struct {
	in   protoreflect.MessageDescriptor
	body string // "Request", "Message" or "Matched"
	err  error
	// scopes are the #each and #with blocks open, innermost last: inside
	// them the Go template's dot is the element, so the call's own data
	// is read from $.
	scopes []hbScope
	vars   int // Go variables made, for unique names
	// captures are the variables regexExtract set: by name, the Go
	// variable and the depth of blocks it was set at (it ends with them).
	captures map[string]hbCapture
	depth    int
	// atRoot is set while a ../ path reads the template's root context
	// from inside blocks: the call's data is still read from $.
	atRoot bool
}

type hbCapture struct {
	goVar string
	depth int
	text  bool // set by #assign: text, not regexExtract's groups
	json  bool // set by parseJson: a value it read
}

// hbScope is a block that moves Handlebars' context (this): #each or #with.
type hbScope struct {
	each   bool
	this   hbOut             // what this stands for (its expr is "."), typed when known
	params map[string]string // block params (as |item i|) to the Go variables
	item   string            // the Go variable holding the context (for ../ from inner blocks)
	index  string            // #each: the Go variable of @index (@key on a map)
	list   string            // #each: the Go variable holding the list (for @last)
}

// root is a value of the call's own data: .Request, or $.Request inside a
// block that moves the dot.
func (t *hbTranslator) root(name string) string {
	if len(t.scopes) > 0 || t.atRoot {
		return "$." + name
	}
	return "." + name
}

func (t *hbTranslator) fail(format string, args ...any) {
	if t.err == nil {
		t.err = fmt.Errorf(format, args...)
	}
}

// translateTemplate rewrites a WireMock (Handlebars) template into a Go
// template for grpcdouble's engine.
func translateTemplate(text string, body requestBody) (string, error) {
	t := &hbTranslator{in: body.in, body: strings.TrimPrefix(body.value, ".")}
	var b strings.Builder
	var open []hbBlock
	// asg, while an #assign block is open: what its body writes.
	var asg *hbAssign
	rest := text
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if asg == nil {
				b.WriteString(rest)
			}
			break
		}
		if i > 0 && rest[i-1] == '\\' {
			return "", fmt.Errorf("not supported yet: an escaped \\{{ in a WireMock template")
		}
		if asg != nil {
			asg.text(rest[:i])
		} else {
			b.WriteString(rest[:i])
		}
		rest = rest[i:]
		raw := strings.HasPrefix(rest, "{{{")
		closer, start := "}}", 2
		if raw {
			closer, start = "}}}", 3
		}
		if strings.HasPrefix(rest, "{{!--") {
			closer, start = "--}}", 5
		}
		j := strings.Index(rest[start:], closer)
		if j < 0 {
			return "", fmt.Errorf("a WireMock template {{ without its %s", closer)
		}
		body := strings.TrimSpace(rest[start : start+j])
		rest = rest[start+j+len(closer):]
		if start == 5 || strings.HasPrefix(body, "!") {
			continue // a comment
		}
		if strings.HasPrefix(body, "~") || strings.HasSuffix(body, "~") {
			return "", fmt.Errorf("not supported yet: Handlebars whitespace control {{~ ~}}")
		}
		if asg != nil && !strings.HasPrefix(body, "/") && (strings.HasPrefix(body, "#") || strings.HasPrefix(body, "^") || body == "else" || strings.HasPrefix(body, "else ")) {
			return "", fmt.Errorf("not supported yet: {{%s}} inside #%s (its body takes text and {{values}}, no blocks)", body, asg.block)
		}
		switch {
		case strings.HasPrefix(body, "#"):
			inner, params, err := blockParams(body[1:])
			if err != nil {
				return "", err
			}
			c, err := parseCall(inner)
			if err != nil {
				return "", err
			}
			if c.name == "assign" || c.name == "parseJson" || c.name == "jsonMerge" {
				if params != nil {
					return "", fmt.Errorf("not supported yet: block params (as |x|) on the WireMock template block #%s", c.name)
				}
				if asg, err = t.openAssign(c); err != nil {
					return "", err
				}
				open = append(open, hbBlock{name: c.name})
				continue
			}
			switch {
			case c.name == "each" || c.name == "with":
				b.WriteString(t.openScope(c, params))
			case params != nil:
				return "", fmt.Errorf("not supported yet: block params (as |x|) on the WireMock template block #%s", c.name)
			default:
				b.WriteString("{{ if " + t.condition(c) + " }}")
			}
			open = append(open, hbBlock{name: c.name, ends: 1, scoped: c.name == "each" || c.name == "with"})
			t.depth = len(open)
		case strings.HasPrefix(body, "/"):
			name := strings.TrimSpace(body[1:])
			if len(open) == 0 || open[len(open)-1].name != name {
				return "", fmt.Errorf("a WireMock template closes {{/%s}} where no {{#%s}} is open", name, name)
			}
			top := open[len(open)-1]
			open = open[:len(open)-1]
			if top.name == "assign" || top.name == "parseJson" || top.name == "jsonMerge" {
				b.WriteString(t.closeAssign(asg))
				asg = nil
				if t.err != nil {
					return "", t.err
				}
				continue
			}
			t.depth = len(open)
			for k, v := range t.captures {
				if v.depth > t.depth { // a Go variable ends with its block
					delete(t.captures, k)
				}
			}
			if top.scoped {
				t.scopes = t.scopes[:len(t.scopes)-1]
			}
			b.WriteString(strings.Repeat("{{ end }}", top.ends))
		case body == "else" || body == "^":
			if len(open) == 0 {
				return "", fmt.Errorf("a WireMock template has {{else}} outside a block")
			}
			if open[len(open)-1].elsed {
				return "", fmt.Errorf("a WireMock template block #%s has a second {{else}}", open[len(open)-1].name)
			}
			open[len(open)-1].elsed = true
			t.leaveScope(&open[len(open)-1])
			b.WriteString("{{ else }}")
		case strings.HasPrefix(body, "else "):
			if len(open) == 0 {
				return "", fmt.Errorf("a WireMock template has {{else}} outside a block")
			}
			c, err := parseCall(strings.TrimPrefix(body, "else "))
			if err != nil {
				return "", err
			}
			top := &open[len(open)-1]
			if top.elsed {
				return "", fmt.Errorf("a WireMock template block #%s has {{else if}} after its {{else}}", top.name)
			}
			if top.scoped {
				// Go's range and with take no else if: the inverse holds
				// an if of its own, closed with the block.
				t.leaveScope(top)
				b.WriteString("{{ else }}{{ if " + t.condition(c) + " }}")
				top.ends++
				break
			}
			b.WriteString("{{ else if " + t.condition(c) + " }}")
		default:
			c, err := parseCall(body)
			if err != nil {
				return "", err
			}
			out := t.value(c)
			if out.stmt != "" {
				if asg != nil {
					return "", fmt.Errorf("not supported yet: %s into a variable inside #%s", c.name, asg.block)
				}
				b.WriteString(out.stmt)
				break
			}
			if !raw && !out.safe {
				// Handlebars' {{ }} escapes HTML; {{{ }}} does not.
				out.expr = "htmlEscape " + paren(out.expr)
			}
			if asg != nil {
				asg.value(out.expr)
				break
			}
			b.WriteString("{{ " + out.expr + " }}")
		}
		if t.err != nil {
			return "", t.err
		}
	}
	if len(open) > 0 {
		return "", fmt.Errorf("a WireMock template opens {{#%s}} and never closes it", open[len(open)-1].name)
	}
	return b.String(), nil
}

// hbBlock is a block open in the template: its name, the {{ end }}s that
// close it, and whether it still holds a scope (#each and #with until
// their else, which Handlebars renders in the context outside them).
type hbBlock struct {
	name   string
	ends   int
	scoped bool
	elsed  bool // its {{else}} seen: Handlebars takes no second
}

// leaveScope ends the context of #each or #with at its else: the inverse
// reads the context outside, as Go's range and with do in theirs.
func (t *hbTranslator) leaveScope(bl *hbBlock) {
	if bl.scoped {
		t.scopes = t.scopes[:len(t.scopes)-1]
		bl.scoped = false
	}
}

// condition is a block's test: #if X, #unless X, or a helper (#eq a b).
func (t *hbTranslator) condition(c *hbCall) string {
	switch c.name {
	case "if", "unless":
		if len(c.params) != 1 || len(c.hash) > 0 {
			t.fail("WireMock's #%s takes one value", c.name)
			return ""
		}
		// The value itself, not its JSON: an empty list is falsy, as in
		// Handlebars, where its text "[]" would not be.
		v := t.val(c.params[0])
		if sub := c.params[0].sub; sub != nil && c.name == "if" {
			v = t.call(sub).value()
		}
		if c.name == "unless" {
			return "not " + paren(v)
		}
		return v
	}
	return t.call(c).expr
}

var blockParamsRe = regexp.MustCompile(`^(.*?)\s+as\s+\|([^|]*)\|\s*$`)

// blockParams splits "each list as |item i|" into the call and its block
// params (nil without).
func blockParams(s string) (string, []string, error) {
	m := blockParamsRe.FindStringSubmatch(s)
	if m == nil {
		return s, nil, nil
	}
	names := strings.Fields(m[2])
	if len(names) == 0 || len(names) > 2 {
		return "", nil, fmt.Errorf("a WireMock template block wants one or two block params (as |item index|), got %q", m[2])
	}
	for _, n := range names {
		if !hbName.MatchString(n) {
			return "", nil, fmt.Errorf("a WireMock template block param %q is not a name", n)
		}
	}
	return m[1], names, nil
}

var hbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// openScope starts #each (a Go range over the value) or #with (a Go with),
// in which this, @index and the block params stand for the element.
func (t *hbTranslator) openScope(c *hbCall, params []string) string {
	if len(c.params) != 1 || len(c.hash) > 0 {
		t.fail("WireMock's #%s takes one value", c.name)
		return ""
	}
	v := t.arg(c.params[0])
	if t.err != nil {
		return ""
	}
	n := t.vars
	t.vars++
	item := fmt.Sprintf("$v%d", n)
	sc := hbScope{each: c.name == "each", params: map[string]string{}, item: item}
	if c.name == "with" {
		sc.this = v
		sc.this.expr, sc.this.raw = ".", ""
		if v.raw != "" {
			sc.this.expr, sc.this.raw = "toJson .", "."
		}
		if len(params) > 0 {
			if len(params) > 1 {
				t.fail("WireMock's #with takes one block param (as |x|)")
				return ""
			}
			sc.params[params[0]] = item
		}
		t.scopes = append(t.scopes, sc)
		return "{{ with " + item + " := " + v.value() + " }}"
	}
	if v.json {
		t.fail("not supported yet: #%s over a value parseJson read (take its fields: {{name.list.0.field}})", c.name)
		return ""
	}
	if v.raw == "" && v.fd == nil && c.params[0].sub == nil {
		t.fail("not supported yet: #each over %s, which is not a list (a jsonPath, array or range is)", strings.Join(c.params[0].path, "."))
		return ""
	}
	sc.index, sc.list = fmt.Sprintf("$i%d", n), fmt.Sprintf("$l%d", n)
	sc.this = hbOut{expr: ".", fd: v.fd, elem: v.fd != nil}
	if v.fd != nil {
		sc.this = fieldOut(".", v.fd, true)
	}
	for i, p := range params {
		sc.params[p] = []string{item, sc.index}[i]
	}
	t.scopes = append(t.scopes, sc)
	return fmt.Sprintf("{{ %s := %s }}{{ range %s, %s := %s }}", sc.list, v.value(), sc.index, item, sc.list)
}

// value is what {{ ... }} writes: a path, or a helper's result.
func (t *hbTranslator) value(c *hbCall) hbOut {
	if !hbHelpers[c.name] && !hbKnown[c.name] && len(c.params) == 0 && len(c.hash) == 0 {
		return t.path(strings.Split(c.name, "\x00"))
	}
	return t.call(c)
}

func (t *hbTranslator) operand(e hbExpr) string {
	if e.sub == nil && e.path == nil {
		return e.lit
	}
	return paren(t.arg(e).expr)
}

// arg is a parameter translated, with what is known of its value.
func (t *hbTranslator) arg(e hbExpr) hbOut {
	switch {
	case e.sub != nil:
		out := t.call(e.sub)
		if out.stmt != "" {
			t.fail("not supported yet: %s into a variable inside another helper (give it a {{ }} of its own)", e.sub.name)
		}
		return out
	case e.path != nil:
		return t.path(e.path)
	}
	safe := !e.isS || !strings.ContainsAny(e.str, "&<>\"'`=")
	return hbOut{expr: e.lit, safe: safe}
}

// val is a parameter as a value: a list or message itself, not its JSON.
func (t *hbTranslator) val(e hbExpr) string {
	if e.sub == nil && e.path == nil {
		return e.lit
	}
	return paren(t.arg(e).value())
}

// str is a parameter that must be a quoted string.
func (t *hbTranslator) str(c *hbCall, e hbExpr, what string) string {
	if !e.isS {
		t.fail("WireMock's %s wants %s as a quoted string", c.name, what)
	}
	return e.str
}

func (t *hbTranslator) hashOf(c *hbCall, allowed ...string) map[string]hbExpr {
	out := map[string]hbExpr{}
	for _, p := range c.hash {
		ok := false
		for _, a := range allowed {
			ok = ok || a == p.key
		}
		if !ok {
			t.fail("not supported yet: %s=... on the WireMock template helper %s", p.key, c.name)
			continue
		}
		out[p.key] = p.value
	}
	return out
}

func (t *hbTranslator) call(c *hbCall) hbOut {
	if !hbHelpers[c.name] {
		if c.name == "hostname" || c.name == "systemValue" {
			t.fail("not supported: the WireMock template helper %s (grpcdouble's templates read nothing of the machine or its environment)", c.name)
			return hbOut{}
		}
		if c.name == "xPath" || c.name == "soapXPath" || c.name == "formData" || c.name == "formatXml" {
			t.fail("not supported: the WireMock template helper %s (a gRPC request is a message, shown as JSON: never XML or a form)", c.name)
			return hbOut{}
		}
		if hbKnown[c.name] {
			t.fail("not supported yet: the WireMock template helper %s", c.name)
		} else {
			t.fail("unknown WireMock template helper or value %s", c.name)
		}
		return hbOut{}
	}
	args := func(n int) []string {
		if len(c.params) != n {
			t.fail("WireMock's %s takes %d values, got %d", c.name, n, len(c.params))
			return make([]string, n)
		}
		out := make([]string, n)
		for i, p := range c.params {
			out[i] = t.operand(p)
		}
		return out
	}
	switch c.name {
	case "jsonPath":
		h := t.hashOf(c, "default")
		if len(c.params) != 2 || c.params[0].path == nil || strings.Join(c.params[0].path, ".") != "request.body" {
			t.fail("not supported yet: jsonPath other than jsonPath request.body '$.field'")
			return hbOut{}
		}
		out := t.jsonPath(t.str(c, c.params[1], "the JSON path"))
		if d, ok := h["default"]; ok {
			out.expr = "default " + t.operand(d) + " " + paren(out.expr)
			out.safe = out.safe && d.sub == nil && d.path == nil && !strings.ContainsAny(d.str, "&<>\"'`=")
		}
		return out
	case "now":
		h := t.hashOf(c, "format", "timezone", "offset")
		args(0)
		return t.date(&hbTime{utc: t.root("RequestTime")}, c, h, true)
	case "date":
		h := t.hashOf(c, "format", "timezone", "offset")
		if len(c.params) != 1 {
			t.fail("WireMock's date takes one date (now or parseDate)")
			return hbOut{}
		}
		v := t.arg(c.params[0])
		if v.when == nil {
			t.fail("WireMock's date wants a date (now, parseDate or date); given another value it writes the time of the call")
			return hbOut{}
		}
		tm := *v.when
		tm.format = ""
		return t.date(&tm, c, h, false)
	case "parseDate":
		h := t.hashOf(c, "format")
		a := args(1)
		if t.err != nil {
			return hbOut{}
		}
		layout := ""
		if f, ok := h["format"]; ok {
			jl := t.str(c, f, "format")
			gl, err := javaLayout(jl)
			if strings.EqualFold(jl, "epoch") || strings.EqualFold(jl, "unix") {
				// WireMock's DateTimeParser: milliseconds or seconds since 1970.
				gl, err = strings.ToLower(jl), nil
			}
			if err != nil {
				t.fail("not supported yet: parseDate format=%q: %v", jl, err)
				return hbOut{}
			}
			layout = gl
		}
		tm := &hbTime{utc: fmt.Sprintf("inZone (parseTime %s %s) \"UTC\"", strconv.Quote(layout), a[0])}
		return t.date(tm, c, nil, false)
	case "randomValue":
		h := t.hashOf(c, "length", "type", "uppercase")
		args(0)
		typ := "ALPHANUMERIC"
		if v, ok := h["type"]; ok {
			typ = t.str(c, v, "type")
		}
		if typ == "UUID" {
			return hbOut{expr: "uuid", safe: true}
		}
		chars, ok := randomTypes[typ]
		if !ok {
			t.fail("unknown randomValue type %q (want ALPHANUMERIC, ALPHABETIC, NUMERIC, HEXADECIMAL, ALPHANUMERIC_AND_SYMBOLS or UUID)", typ)
			return hbOut{}
		}
		l, ok := h["length"]
		n, err := strconv.Atoi(l.lit)
		if !ok || err != nil || l.isS || n < 0 {
			t.fail("WireMock's randomValue wants length=N, a number")
			return hbOut{}
		}
		if u, ok := h["uppercase"]; ok && u.lit == "true" {
			chars = strings.ToUpper(chars)
			chars = dedupe(chars)
		}
		expr := fmt.Sprintf("randString %d %s", n, strconv.Quote(chars))
		return hbOut{expr: expr, safe: typ != "ALPHANUMERIC_AND_SYMBOLS"}
	case "eq", "neq":
		t.hashOf(c)
		a := args(2)
		if t.err != nil {
			return hbOut{}
		}
		// Handlebars compares the values; Go's eq wants one kind (a
		// number read from the request is a float there), so as text.
		op := map[string]string{"eq": "eq", "neq": "ne"}[c.name]
		for i, p := range c.params {
			switch {
			case p.isS:
			case p.sub == nil && p.path == nil:
				a[i] = strconv.Quote(strings.Trim(p.lit, `"`)) // 3 is "3"
			default:
				a[i] = "(toString " + a[i] + ")"
			}
		}
		return hbOut{expr: op + " " + a[0] + " " + a[1], safe: true}
	case "gt", "gte", "lt", "lte":
		t.hashOf(c)
		a := args(2)
		if t.err != nil {
			return hbOut{}
		}
		op := map[string]string{"gt": "gtf", "gte": "gef", "lt": "ltf", "lte": "lef"}[c.name]
		return hbOut{expr: op + " " + a[0] + " " + a[1], safe: true}
	case "and", "or":
		t.hashOf(c)
		if len(c.params) < 2 {
			t.fail("WireMock's %s takes two or more values", c.name)
			return hbOut{}
		}
		parts := []string{c.name}
		for _, p := range c.params {
			parts = append(parts, t.operand(p))
		}
		return hbOut{expr: strings.Join(parts, " ")}
	case "not":
		t.hashOf(c)
		return hbOut{expr: "not " + args(1)[0], safe: true}
	case "contains":
		t.hashOf(c)
		a := args(2)
		if t.err != nil {
			return hbOut{}
		}
		return hbOut{expr: "contains " + a[1] + " " + a[0], safe: true}
	case "matches":
		t.hashOf(c)
		a := args(2)
		if t.err != nil {
			return hbOut{}
		}
		re := t.str(c, c.params[1], "the regular expression")
		if _, err := regexp.Compile(re); err != nil {
			t.fail("invalid regular expression %q in matches: %v", re, err)
			return hbOut{}
		}
		// Java's String.matches takes the whole value.
		return hbOut{expr: "regexMatch " + strconv.Quote("^(?:"+re+")$") + " " + a[0], safe: true}
	case "upper", "lower", "trim":
		t.hashOf(c)
		return hbOut{expr: c.name + " " + args(1)[0]}
	case "size":
		t.hashOf(c)
		if len(c.params) != 1 {
			t.fail("WireMock's size takes one value")
			return hbOut{}
		}
		return hbOut{expr: "len " + t.val(c.params[0]), safe: true}
	}
	return t.more(c, args)
}

var randomTypes = map[string]string{
	"ALPHANUMERIC":             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
	"ALPHABETIC":               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"NUMERIC":                  "0123456789",
	"HEXADECIMAL":              "0123456789abcdef",
	"ALPHANUMERIC_AND_SYMBOLS": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~",
}

func dedupe(s string) string {
	seen := map[rune]bool{}
	var b strings.Builder
	for _, r := range s {
		if !seen[r] {
			seen[r] = true
			b.WriteRune(r)
		}
	}
	return b.String()
}

// path is a value named by a path: request.headers.NAME and the request's
// path and method; inside #each and #with, this, @index and the like, the
// block params, and names of the context's fields.
func (t *hbTranslator) path(p []string) hbOut {
	full := strings.Join(p, ".")
	if v, ok := t.captures[p[0]]; ok && v.json {
		return t.jsonVar(v.goVar, p)
	}
	if v, ok := t.captures[p[0]]; ok && v.text {
		if len(p) > 1 {
			t.fail("not supported yet: %s of the #assign variable %s (it holds text)", full, p[0])
			return hbOut{}
		}
		return hbOut{expr: v.goVar}
	}
	if v, ok := t.captures[p[0]]; ok {
		switch {
		case len(p) == 1:
			// WireMock writes one group as it is, several as a list.
			return hbOut{expr: fmt.Sprintf(`or (and (eq (len %[1]s) 1) (index %[1]s 0)) (printf "[%%s]" (join ", " %[1]s))`, v.goVar), raw: v.goVar}
		case len(p) == 2:
			if _, err := strconv.Atoi(p[1]); err == nil {
				return hbOut{expr: "index " + v.goVar + " " + p[1]}
			}
		}
		t.fail("not supported yet: %s of the regexExtract variable %s (take %s.0, %s.1, ...)", full, p[0], p[0], p[0])
		return hbOut{}
	}
	if len(t.scopes) > 0 {
		if out, ok := t.scopePath(p); ok {
			return out
		}
	}
	switch {
	case len(p) == 3 && p[0] == "request" && p[1] == "headers":
		// The extension keeps one value of a key: the last (grpc-java's
		// Metadata.get); a binary one's bytes as Java writes a byte[].
		h := "header " + strconv.Quote(strings.ToLower(p[2])) + " -1"
		if strings.HasSuffix(strings.ToLower(p[2]), "-bin") {
			return hbOut{expr: "and (" + h + ") (signedBytes (" + h + "))", safe: true}
		}
		return hbOut{expr: h}
	case full == "request.path" || full == "request.url" || full == "request.baseUrl":
		return hbOut{expr: t.root("Method"), safe: true}
	case full == "request.method":
		return hbOut{expr: `"POST"`, safe: true}
	case full == "request.body":
		// The message as the extension's JSON text (protobuf-java's
		// printer): the request, or on a bidi method the message answered.
		if t.body == "Matched" {
			return hbOut{expr: "messageJson " + t.root("MatchedIndex")}
		}
		return hbOut{expr: "messageJson"}
	}
	t.fail("not supported yet: the WireMock template value %s", full)
	return hbOut{}
}

// scopePath reads a path inside #each or #with: this(.field), @index,
// @key, @first, @last, a block param(.field), or a field of the context.
func (t *hbTranslator) scopePath(p []string) (hbOut, bool) {
	sc := t.scopes[len(t.scopes)-1]
	if p[0] == ".." {
		return t.parentPath(p), true
	}
	switch p[0] {
	case "@index", "@key", "@first", "@last":
		if len(p) > 1 || !sc.each {
			t.fail("not supported yet: %s outside #each in a WireMock template", strings.Join(p, "."))
			return hbOut{}, true
		}
		switch p[0] {
		case "@first":
			return hbOut{expr: "eq " + sc.index + " 0", safe: true}, true
		case "@last":
			return hbOut{expr: fmt.Sprintf("eq %s (sub (len %s) 1)", sc.index, sc.list), safe: true}, true
		}
		// A list's index is a number; a map's key may be any text.
		return hbOut{expr: sc.index, safe: p[0] == "@index" && (sc.this.fd == nil || !sc.this.fd.IsMap())}, true
	case "this":
		return t.from(sc.this, sc, p[1:]), true
	case "request":
		return hbOut{}, false
	}
	for i := len(t.scopes) - 1; i >= 0; i-- {
		if v, ok := t.scopes[i].params[p[0]]; ok {
			base := t.scopes[i].this
			if v == t.scopes[i].index {
				if len(p) > 1 {
					t.fail("not supported yet: a field of the index %s in a WireMock template", p[0])
				}
				return hbOut{expr: v, safe: !(base.fd != nil && base.fd.IsMap())}, true
			}
			base.expr = v
			if base.raw != "" {
				base.expr, base.raw = "toJson "+v, v
			}
			return t.from(base, t.scopes[i], p[1:]), true
		}
	}
	if strings.HasPrefix(p[0], "@") || p[0] == ".." {
		return hbOut{}, false
	}
	return t.from(sc.this, sc, p), true
}

// parentPath reads ../name: each ../ leaves one #each or #with, as
// Handlebars.java's child contexts do (#if and the like make none).
func (t *hbTranslator) parentPath(p []string) hbOut {
	up := 0
	for up < len(p) && p[up] == ".." {
		up++
	}
	rest := p[up:]
	if up > len(t.scopes) {
		t.fail("the WireMock template path %s goes above the template's root (%d #each or #with open around it)", strings.Join(p, "/"), len(t.scopes))
		return hbOut{}
	}
	for _, sc := range t.scopes[len(t.scopes)-up:] {
		if len(sc.params) > 0 {
			// Handlebars.java puts a context of the params between the
			// element and its parent: ../ then names another context.
			t.fail("not supported yet: ../ out of a block with block params (as |x|); name the outer block's param instead")
			return hbOut{}
		}
	}
	if len(rest) > 0 && rest[0] == "this" {
		rest = rest[1:]
	}
	if up == len(t.scopes) {
		if len(rest) == 0 {
			t.fail("not supported yet: the WireMock template's whole root context (%s)", strings.Join(p, "/"))
			return hbOut{}
		}
		saved := t.scopes
		t.scopes, t.atRoot = nil, true
		out := t.path(rest)
		t.scopes, t.atRoot = saved, false
		return out
	}
	sc := t.scopes[len(t.scopes)-1-up]
	base := sc.this
	base.expr = sc.item
	if base.raw != "" {
		base.expr, base.raw = "toJson "+sc.item, sc.item
	}
	return t.from(base, sc, rest)
}

// from follows the field names (or list indexes) of rest from a block's
// context.
func (t *hbTranslator) from(base hbOut, sc hbScope, rest []string) hbOut {
	if len(rest) == 0 {
		if sc.each && base.fd != nil && base.elem && elemMessage(base.fd) != nil && !jsonScalar(elemMessage(base.fd)) {
			t.fail("not supported yet: a whole message of a list in #each (WireMock writes it as Java's {key=value} text, not JSON); take its fields: {{this.name}}")
		}
		return base
	}
	var md protoreflect.MessageDescriptor
	if base.fd != nil && (base.elem || (!base.fd.IsList() && !base.fd.IsMap())) {
		md = elemMessage(base.fd)
	}
	var steps strings.Builder
	for _, seg := range rest {
		if _, err := strconv.Atoi(seg); err == nil {
			steps.WriteString("[" + seg + "]")
		} else {
			steps.WriteString("." + seg)
		}
	}
	start := base.value()
	return t.walk(hbOut{expr: start, fd: base.fd, elem: base.elem}, md, steps.String(), strings.Join(rest, "."))
}

// elemMessage is the message type of a field's elements (a list's, a map's
// values), or nil when they are not messages.
func elemMessage(fd protoreflect.FieldDescriptor) protoreflect.MessageDescriptor {
	if fd.IsMap() {
		return fd.MapValue().Message()
	}
	return fd.Message()
}

var jsonPathStep = regexp.MustCompile(`^(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([A-Za-z_][A-Za-z0-9_]*)'\])`)

// jsonPath is $.a.b[0].c over the request, as .Request.a.b with index.
func (t *hbTranslator) jsonPath(p string) hbOut {
	if !strings.HasPrefix(p, "$") || p == "$" {
		t.fail("not supported yet: the JSON path %q in jsonPath (the reader takes $.field.field, [N], [*] and length())", p)
		return hbOut{}
	}
	return t.walk(hbOut{expr: t.root(t.body)}, t.in, p[1:], p)
}

// walk follows .a.b[0] from a value of message type md (nil: not known),
// checking the names where the type is known.
func (t *hbTranslator) walk(from hbOut, md protoreflect.MessageDescriptor, rest, p string) hbOut {
	expr, fd, elem := from.expr, from.fd, from.elem
	// each: after [*], expr is a list of the elements' values, and a
	// field step takes that field of every element (extract).
	each := false
	for rest != "" {
		if strings.HasPrefix(rest, "[*]") {
			if each || (fd != nil && (elem || !fd.IsList())) {
				t.fail("not supported yet: the JSON path %q in jsonPath ([*] on a list of the request, once)", p)
				return hbOut{}
			}
			rest, each, elem = rest[3:], true, true
			if fd != nil {
				md = fd.Message()
			}
			continue
		}
		if rest == ".length()" {
			if fd != nil && !each && (elem || !fd.IsList()) {
				t.fail("not supported yet: the JSON path %q in jsonPath (length() of a list)", p)
				return hbOut{}
			}
			return hbOut{expr: "len " + paren(expr), safe: true}
		}
		m := jsonPathStep.FindStringSubmatch(rest)
		if m == nil || (each && m[2] != "") {
			t.fail("not supported yet: the JSON path %q in jsonPath (the reader takes $.field.field, [N], [*] and length())", p)
			return hbOut{}
		}
		rest = rest[len(m[0]):]
		if m[2] != "" {
			expr = "(index " + expr + " " + m[2] + ")"
			if fd != nil && !elem && fd.IsList() {
				elem, md = true, fd.Message()
			} else {
				fd, md = nil, nil
			}
			continue
		}
		name := m[1] + m[3]
		var next protoreflect.FieldDescriptor
		if md != nil {
			next = md.Fields().ByJSONName(name)
			if next == nil && each {
				t.fail("the JSON path %q: %s has no field %q", p, md.FullName(), name)
				return hbOut{}
			}
		}
		switch {
		case each:
			expr = fmt.Sprintf("(extract %s %q)", expr, name)
		case expr == ".":
			expr = "." + name
		default:
			expr += "." + name
		}
		fd, elem, md = next, each, nil
		if fd != nil && !fd.IsList() && !fd.IsMap() {
			md = fd.Message()
		}
	}
	if each {
		// A list found by [*]: JSON, as WireMock writes it.
		return hbOut{expr: "toJson " + paren(expr), raw: expr}
	}
	if fd == nil {
		return hbOut{expr: expr}
	}
	return fieldOut(expr, fd, elem)
}

// fieldOut is how a request field's value is written: a message (but a
// well-known type protojson writes as a string), list or map as JSON, as
// WireMock writes them; numbers, bools and enum names need no escaping.
func fieldOut(expr string, fd protoreflect.FieldDescriptor, elem bool) hbOut {
	if !elem && (fd.IsList() || fd.IsMap()) {
		return hbOut{expr: "toJson " + expr, raw: expr, fd: fd}
	}
	kind, md := fd.Kind(), fd.Message()
	if fd.IsMap() {
		kind, md = fd.MapValue().Kind(), fd.MapValue().Message()
	}
	out := hbOut{expr: expr, fd: fd, elem: elem}
	switch {
	case md != nil && !jsonScalar(md):
		out.expr, out.raw = "toJson "+expr, expr
	case kind == protoreflect.StringKind || kind == protoreflect.BytesKind || md != nil:
	default:
		out.safe = true
	}
	return out
}

// jsonScalar: a well-known type protojson writes as a string.
func jsonScalar(md protoreflect.MessageDescriptor) bool {
	switch md.FullName() {
	case "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Any":
		return false
	}
	return md.FullName().Parent() == "google.protobuf"
}

func paren(s string) string {
	if !strings.ContainsAny(s, " ") || (strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") && balanced(s[1:len(s)-1])) {
		return s
	}
	return "(" + s + ")"
}

func balanced(s string) bool {
	depth := 0
	for _, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// javaLayout maps a Java date pattern (SimpleDateFormat's) onto a Go
// layout, a run of one letter at a time: y yy yyyy, M MM MMM MMMM, d dd,
// E..EEE EEEE, HH, h hh, m mm, s ss, SSS after a dot, a, X XX XXX, Z, and
// 'literals'. A run Go has no layout for (H: an hour of one digit; w, D
// and the like) is an error.
func javaLayout(p string) (string, error) {
	layouts := map[byte][]string{ // by run length, the last for longer runs
		'y': {"2006", "06", "2006", "2006"}, 'M': {"1", "01", "Jan", "January"}, 'd': {"2", "02"},
		'E': {"Mon", "Mon", "Mon", "Monday"}, 'H': {"", "15"}, 'h': {"3", "03"}, 'm': {"4", "04"},
		's': {"5", "05"}, 'S': {"", "", "000"}, 'a': {"PM"}, 'X': {"Z07", "Z0700", "Z07:00"}, 'Z': {"-0700", "-0700", "-0700"},
	}
	var b strings.Builder
	for p != "" {
		if p[0] == '\'' {
			end := strings.IndexByte(p[1:], '\'')
			if end < 0 {
				return "", fmt.Errorf("an unclosed quote")
			}
			lit := p[1 : 1+end]
			if strings.ContainsAny(lit, "0123456789") || strings.Contains(lit, "Jan") || strings.Contains(lit, "Mon") || strings.Contains(lit, "PM") || strings.Contains(lit, "MST") {
				return "", fmt.Errorf("the literal %q reads as a Go layout", lit)
			}
			b.WriteString(lit)
			p = p[2+end:]
			continue
		}
		c := p[0]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			n := 1
			for n < len(p) && p[n] == c {
				n++
			}
			forms := layouts[c]
			if c == 'y' && n > 4 || c == 'E' && n > 4 || c == 'M' && n > 4 {
				forms = nil
			}
			var gl string
			if len(forms) > 0 {
				gl = forms[min(n, len(forms))-1]
				if n > len(forms) && c != 'y' && c != 'E' && c != 'M' {
					gl = ""
				}
			}
			if gl == "" {
				return "", fmt.Errorf("the pattern letter %q", p[:n])
			}
			if c == 'S' {
				s := b.String()
				if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, ",") {
					return "", fmt.Errorf("milliseconds (SSS) only after a dot")
				}
			}
			b.WriteString(gl)
			p = p[n:]
			continue
		}
		if c >= '0' && c <= '9' {
			return "", fmt.Errorf("the digit %q reads as a Go layout (quote it? a digit is one there too)", string(c))
		}
		b.WriteByte(c)
		p = p[1:]
	}
	return b.String(), nil
}

// parseCall reads the inside of a mustache: a name or path, then
// parameters and key=value pairs.
func parseCall(s string) (*hbCall, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("an empty {{ }} in a WireMock template")
	}
	return build(toks)
}

type hbTok struct {
	key  string // key= of a hash pair
	text string // a name, path or literal
	quot bool
	sub  []hbTok
}

func lex(s string) ([]hbTok, error) {
	var out []hbTok
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == ')':
			return nil, fmt.Errorf("a ) without its ( in a WireMock template")
		}
		key := ""
		if m := hashKey.FindStringSubmatch(s[i:]); m != nil {
			key = m[1]
			i += len(m[0])
		}
		if i >= len(s) {
			return nil, fmt.Errorf("%s= without a value in a WireMock template", key)
		}
		c = s[i]
		switch {
		case c == '(':
			depth, j := 0, i
			for ; j < len(s); j++ {
				if s[j] == '\'' || s[j] == '"' {
					end := strings.IndexByte(s[j+1:], s[j])
					if end < 0 {
						return nil, fmt.Errorf("an unclosed string in a WireMock template")
					}
					j += end + 1
					continue
				}
				if s[j] == '(' {
					depth++
				} else if s[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("a ( without its ) in a WireMock template")
			}
			sub, err := lex(s[i+1 : j])
			if err != nil {
				return nil, err
			}
			if len(sub) == 0 {
				return nil, fmt.Errorf("an empty () in a WireMock template")
			}
			out = append(out, hbTok{key: key, sub: sub})
			i = j + 1
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("an unclosed string in a WireMock template")
			}
			out = append(out, hbTok{key: key, text: s[i+1 : i+1+end], quot: true})
			i += end + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()", rune(s[j])) {
				if s[j] == '[' {
					end := strings.IndexByte(s[j:], ']')
					if end < 0 {
						return nil, fmt.Errorf("a [ without its ] in a WireMock template")
					}
					j += end
				}
				j++
			}
			out = append(out, hbTok{key: key, text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

var (
	hashKey   = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=`)
	numberLit = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
)

func build(toks []hbTok) (*hbCall, error) {
	head := toks[0]
	if head.key != "" || head.quot || head.sub != nil {
		return nil, fmt.Errorf("a WireMock template {{ }} that starts with a value, not a helper or path")
	}
	c := &hbCall{name: head.text}
	for _, tk := range toks[1:] {
		e, err := exprOf(tk)
		if err != nil {
			return nil, err
		}
		if tk.key != "" {
			c.hash = append(c.hash, hbPair{key: tk.key, value: e})
		} else {
			c.params = append(c.params, e)
		}
	}
	if len(c.params) == 0 && len(c.hash) == 0 && !hbHelpers[c.name] && !hbKnown[c.name] {
		p, err := splitPath(c.name)
		if err != nil {
			return nil, err
		}
		c.name = strings.Join(p, "\x00")
	}
	return c, nil
}

// decimalLit writes a number without its leading zeros, which Go's
// templates would read as octal (08 is 8 in Handlebars).
func decimalLit(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	s = strings.TrimLeft(s, "0")
	if s == "" || s[0] == '.' {
		s = "0" + s
	}
	return sign + s
}

func exprOf(tk hbTok) (hbExpr, error) {
	switch {
	case tk.sub != nil:
		c, err := build(tk.sub)
		if err != nil {
			return hbExpr{}, err
		}
		return hbExpr{sub: c}, nil
	case tk.quot:
		return hbExpr{lit: strconv.Quote(tk.text), str: tk.text, isS: true}, nil
	case tk.text == "true" || tk.text == "false":
		return hbExpr{lit: tk.text}, nil
	case tk.text == "null":
		return hbExpr{lit: "nil"}, nil
	case numberLit.MatchString(tk.text):
		return hbExpr{lit: decimalLit(tk.text)}, nil
	}
	if hbHelpers[tk.text] || hbKnown[tk.text] {
		return hbExpr{sub: &hbCall{name: tk.text}}, nil
	}
	p, err := splitPath(tk.text)
	if err != nil {
		return hbExpr{}, err
	}
	return hbExpr{path: p}, nil
}

// splitPath reads request.headers.x-id and request.headers.[x-id].
func splitPath(s string) ([]string, error) {
	var out []string
	for strings.HasPrefix(s, "../") {
		out, s = append(out, ".."), s[3:]
	}
	for s != "" {
		if s[0] == '[' {
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, fmt.Errorf("a [ without its ] in a WireMock template")
			}
			out = append(out, s[1:end])
			s = s[end+1:]
		} else {
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			out = append(out, s[:end])
			s = s[end:]
		}
		s = strings.TrimPrefix(s, ".")
	}
	for _, p := range out {
		if p == "" {
			return nil, fmt.Errorf("a WireMock template path with an empty part")
		}
	}
	return out, nil
}
