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
}

// Helpers WireMock has that the reader does not translate yet; named so the
// error says "not yet" rather than "unknown".
var hbKnown = map[string]bool{
	"each": true, "with": true, "math": true, "randomInt": true, "randomDecimal": true, "pickRandom": true,
	"date": true, "parseDate": true, "dateFormat": true, "truncateDate": true, "regexExtract": true,
	"substring": true, "replace": true, "split": true, "join": true, "arrayJoin": true, "base64": true,
	"urlEncode": true, "formatJson": true, "formatXml": true, "toJson": true, "xPath": true, "soapXPath": true,
	"val": true, "range": true, "array": true, "arrayAdd": true, "arrayRemove": true, "parseJson": true,
	"systemValue": true, "hostname": true, "capitalize": true, "abbreviate": true,
	"lookup": true, "log": true, "assign": true, "jwt": true, "jwks": true, "first": true, "last": true,
}

// Safe for the output escaping: the value cannot hold & < > " ' ` =.
type hbOut struct {
	expr string
	safe bool
}

// requestBody is what a template's request.body stands for: the native
// value (.Request, or .Message on a bidi method; "" where there is none)
// and its type, when known.
type requestBody struct {
	in    protoreflect.MessageDescriptor
	value string
}

type hbTranslator struct {
	in   protoreflect.MessageDescriptor
	body string
	err  error
}

func (t *hbTranslator) fail(format string, args ...any) {
	if t.err == nil {
		t.err = fmt.Errorf(format, args...)
	}
}

// translateTemplate rewrites a WireMock (Handlebars) template into a Go
// template for grpcdouble's engine.
func translateTemplate(text string, body requestBody) (string, error) {
	t := &hbTranslator{in: body.in, body: body.value}
	var b strings.Builder
	var open []string
	rest := text
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		if i > 0 && rest[i-1] == '\\' {
			return "", fmt.Errorf("not supported yet: an escaped \\{{ in a WireMock template")
		}
		b.WriteString(rest[:i])
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
		switch {
		case strings.HasPrefix(body, "#"):
			c, err := parseCall(body[1:])
			if err != nil {
				return "", err
			}
			cond := t.condition(c)
			open = append(open, c.name)
			b.WriteString("{{ if " + cond + " }}")
		case strings.HasPrefix(body, "/"):
			name := strings.TrimSpace(body[1:])
			if len(open) == 0 || open[len(open)-1] != name {
				return "", fmt.Errorf("a WireMock template closes {{/%s}} where no {{#%s}} is open", name, name)
			}
			open = open[:len(open)-1]
			b.WriteString("{{ end }}")
		case body == "else" || body == "^":
			if len(open) == 0 {
				return "", fmt.Errorf("a WireMock template has {{else}} outside a block")
			}
			b.WriteString("{{ else }}")
		case strings.HasPrefix(body, "else "):
			if len(open) == 0 {
				return "", fmt.Errorf("a WireMock template has {{else}} outside a block")
			}
			c, err := parseCall(strings.TrimPrefix(body, "else "))
			if err != nil {
				return "", err
			}
			b.WriteString("{{ else if " + t.condition(c) + " }}")
		default:
			c, err := parseCall(body)
			if err != nil {
				return "", err
			}
			out := t.value(c)
			if !raw && !out.safe {
				// Handlebars' {{ }} escapes HTML; {{{ }}} does not.
				out.expr = "htmlEscape " + paren(out.expr)
			}
			b.WriteString("{{ " + out.expr + " }}")
		}
		if t.err != nil {
			return "", t.err
		}
	}
	if len(open) > 0 {
		return "", fmt.Errorf("a WireMock template opens {{#%s}} and never closes it", open[len(open)-1])
	}
	return b.String(), nil
}

// condition is a block's test: #if X, #unless X, or a helper (#eq a b).
func (t *hbTranslator) condition(c *hbCall) string {
	switch c.name {
	case "if", "unless":
		if len(c.params) != 1 || len(c.hash) > 0 {
			t.fail("WireMock's #%s takes one value", c.name)
			return ""
		}
		v := t.operand(c.params[0])
		if sub := c.params[0].sub; sub != nil && c.name == "if" {
			v = t.call(sub).expr
		}
		if c.name == "unless" {
			return "not " + paren(v)
		}
		return v
	case "each", "with":
		t.fail("not supported yet: the WireMock template block #%s", c.name)
		return ""
	}
	return t.call(c).expr
}

// value is what {{ ... }} writes: a path, or a helper's result.
func (t *hbTranslator) value(c *hbCall) hbOut {
	if !hbHelpers[c.name] && !hbKnown[c.name] && len(c.params) == 0 && len(c.hash) == 0 {
		return t.path(strings.Split(c.name, "\x00"))
	}
	return t.call(c)
}

func (t *hbTranslator) operand(e hbExpr) string {
	switch {
	case e.sub != nil:
		return paren(t.call(e.sub).expr)
	case e.path != nil:
		return paren(t.path(e.path).expr)
	}
	return e.lit
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
		h := t.hashOf(c, "format", "timezone")
		args(0)
		if tz, ok := h["timezone"]; ok && t.str(c, tz, "timezone") != "UTC" {
			t.fail("not supported yet: now timezone=%q (grpcdouble's now is UTC)", tz.str)
			return hbOut{}
		}
		f, ok := h["format"]
		if !ok {
			return hbOut{expr: `now "2006-01-02T15:04:05Z07:00"`, safe: true}
		}
		switch layout := t.str(c, f, "format"); layout {
		case "epoch":
			return hbOut{expr: ".RequestTime.UnixMilli", safe: true}
		case "unix":
			return hbOut{expr: ".RequestTime.Unix", safe: true}
		default:
			gl, err := javaLayout(layout)
			if err != nil {
				t.fail("not supported yet: now format=%q: %v", layout, err)
				return hbOut{}
			}
			return hbOut{expr: "now " + strconv.Quote(gl), safe: !strings.ContainsAny(gl, "&<>\"'`=")}
		}
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
		return hbOut{expr: "len " + args(1)[0], safe: true}
	}
	t.fail("not supported yet: the WireMock template helper %s here", c.name)
	return hbOut{}
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
// path and method.
func (t *hbTranslator) path(p []string) hbOut {
	full := strings.Join(p, ".")
	switch {
	case len(p) == 3 && p[0] == "request" && p[1] == "headers":
		name := strings.ToLower(p[2])
		if strings.HasSuffix(name, "-bin") {
			t.fail("not supported yet: the binary header %s in a WireMock template", p[2])
			return hbOut{}
		}
		return hbOut{expr: "header " + strconv.Quote(name)}
	case full == "request.path" || full == "request.url" || full == "request.baseUrl":
		return hbOut{expr: ".Method", safe: true}
	case full == "request.method":
		return hbOut{expr: `"POST"`, safe: true}
	case full == "request.body":
		t.fail("not supported yet: request.body on its own in a WireMock template (take a field: jsonPath request.body '$.field')")
		return hbOut{}
	}
	t.fail("not supported yet: the WireMock template value %s", full)
	return hbOut{}
}

var jsonPathStep = regexp.MustCompile(`^(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([A-Za-z_][A-Za-z0-9_]*)'\])`)

// jsonPath is $.a.b[0].c over the request, as .Request.a.b with index.
func (t *hbTranslator) jsonPath(p string) hbOut {
	if !strings.HasPrefix(p, "$") || p == "$" {
		t.fail("not supported yet: the JSON path %q in jsonPath (the reader takes $.field.field and [N])", p)
		return hbOut{}
	}
	if t.body == "" {
		t.fail("not supported yet: jsonPath request.body on a client-stream method (the extension reads the message that matched)")
		return hbOut{}
	}
	expr := t.body
	md := t.in
	var fd protoreflect.FieldDescriptor
	list := false // the value so far is a repeated field
	rest := p[1:]
	for rest != "" {
		m := jsonPathStep.FindStringSubmatch(rest)
		if m == nil {
			t.fail("not supported yet: the JSON path %q in jsonPath (the reader takes $.field.field and [N])", p)
			return hbOut{}
		}
		rest = rest[len(m[0]):]
		if m[2] != "" {
			expr = "(index " + expr + " " + m[2] + ")"
			list = false
			continue
		}
		name := m[1] + m[3]
		expr += "." + name
		fd = nil
		if md != nil {
			fd = md.Fields().ByJSONName(name)
		}
		md, list = nil, false
		if fd != nil {
			list = fd.IsList() || fd.IsMap()
			if fd.Message() != nil && !fd.IsMap() {
				md = fd.Message()
			}
		}
	}
	switch {
	case fd == nil:
		return hbOut{expr: expr}
	case list || fd.IsMap():
		return hbOut{expr: "toJson " + expr}
	case fd.Message() != nil && !jsonScalar(fd.Message()):
		return hbOut{expr: "toJson " + expr}
	}
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return hbOut{expr: expr}
	}
	return hbOut{expr: expr, safe: true} // numbers, bools, enum names
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

// javaLayout maps a Java date pattern onto a Go layout: the letters tests
// use (yyyy MM dd HH mm ss SSS, 'literals').
func javaLayout(p string) (string, error) {
	tokens := []struct{ java, gol string }{
		{"yyyy", "2006"}, {"yy", "06"}, {"MMMM", "January"}, {"MMM", "Jan"}, {"MM", "01"}, {"dd", "02"},
		{"EEEE", "Monday"}, {"EEE", "Mon"}, {"HH", "15"}, {"hh", "03"}, {"mm", "04"}, {"ss", "05"},
		{"SSS", "000"}, {"a", "PM"}, {"XXX", "Z07:00"}, {"Z", "-0700"},
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
		matched := false
		for _, tk := range tokens {
			if strings.HasPrefix(p, tk.java) {
				if tk.java == "SSS" {
					s := b.String()
					if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, ",") {
						return "", fmt.Errorf("milliseconds (SSS) only after a dot")
					}
				}
				b.WriteString(tk.gol)
				p = p[len(tk.java):]
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		c := p[0]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			return "", fmt.Errorf("the pattern letter %q", string(c))
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
		return hbExpr{lit: tk.text}, nil
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
