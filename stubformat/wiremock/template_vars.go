package wiremock

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/grpcdouble/grpcdouble/expect"
)

// Helpers that set a variable a template reads back (assign, parseJson)
// or whose body is text to read (jsonMerge).

// hbAssign is the body of an #assign block being read: Handlebars.java's
// AssignHelper renders it, trims it (Java's String.trim) and sets it as a
// variable of the context, text that {{name}} writes (and escapes again:
// it is no SafeString). The body's text and values become one printf.
type hbAssign struct {
	block  string // assign; parseJson: the body is JSON text to read; jsonMerge: to merge into base
	name   string
	base   string
	format strings.Builder
	args   []string
}

func (a *hbAssign) text(s string) { a.format.WriteString(strings.ReplaceAll(s, "%", "%%")) }

func (a *hbAssign) value(expr string) {
	a.format.WriteString("%v")
	a.args = append(a.args, paren(expr))
}

func (t *hbTranslator) openAssign(c *hbCall) (*hbAssign, error) {
	if c.name == "jsonMerge" {
		if len(c.params) != 1 || len(c.hash) > 0 {
			return nil, fmt.Errorf("WireMock's #jsonMerge takes the base JSON ({{#jsonMerge base}}{...}{{/jsonMerge}}), got %d values", len(c.params))
		}
		base := t.mergeText(c.params[0], "the base JSON")
		if t.err != nil {
			return nil, t.err
		}
		return &hbAssign{block: c.name, base: base}, nil
	}
	if c.name == "parseJson" && len(c.params) == 0 && len(c.hash) == 0 {
		return nil, fmt.Errorf("not supported yet: #parseJson without a variable's name (WireMock writes the object as Java's {key=value} text); give it one: {{#parseJson 'name'}}...{{/parseJson}}, then {{name.field}}")
	}
	if len(c.params) != 1 || len(c.hash) > 0 || !c.params[0].isS {
		return nil, fmt.Errorf("WireMock's #%s takes the variable's name as a quoted string ({{#%s 'name'}}...{{/%s}})", c.name, c.name, c.name)
	}
	name, err := varName("#"+c.name, c.params[0].str)
	if err != nil {
		return nil, err
	}
	return &hbAssign{block: c.name, name: name}, nil
}

// varName checks the name of a variable a helper sets.
func varName(helper, name string) (string, error) {
	if !hbName.MatchString(name) || name == "request" || name == "this" || hbHelpers[name] || hbKnown[name] {
		return "", fmt.Errorf("WireMock's %s: %q is not a name a template can read back (want letters, digits and _, not request, this or a helper's name)", helper, name)
	}
	return name, nil
}

// javaTrim is what Java's String.trim takes off both ends: every char up
// to the space.
const javaTrim = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "

// closeAssign sets the variable: a Go variable, which ends with the block
// the #assign stands in (WireMock's lasts to the end of the template).
func (t *hbTranslator) closeAssign(a *hbAssign) string {
	val := strconv.Quote(strings.ReplaceAll(a.format.String(), "%%", "%"))
	if len(a.args) > 0 {
		val = "(printf " + strconv.Quote(a.format.String()) + " " + strings.Join(a.args, " ") + ")"
	}
	if a.block == "jsonMerge" {
		if len(a.args) == 0 {
			t.checkMerge(`"{}"`, val, "the JSON to merge")
		}
		// A block's result is written as it is: Handlebars escapes {{ }} only.
		return "{{ jsonMerge " + a.base + " " + val + " }}"
	}
	if a.block == "parseJson" {
		if len(a.args) == 0 {
			if _, err := expect.RenderTemplate("{{ parseJson " + val + " }}"); err != nil {
				msg := err.Error()
				if i := strings.LastIndex(msg, "parseJson: "); i >= 0 {
					msg = msg[i+len("parseJson: "):]
				}
				t.fail("WireMock's #parseJson %s: %s", a.name, msg)
				return ""
			}
		}
		return t.setJSON(a.name, val)
	}
	goVar := fmt.Sprintf("$as%d", t.vars)
	t.vars++
	if t.captures == nil {
		t.captures = map[string]hbCapture{}
	}
	t.captures[a.name] = hbCapture{goVar: goVar, depth: t.depth, text: true}
	return fmt.Sprintf("{{ %s := trimAll %q %s }}", goVar, javaTrim, val)
}

// setJSON reads text as parseJson into a Go variable the name stands for,
// to the end of the block it is set in.
func (t *hbTranslator) setJSON(name, text string) string {
	goVar := fmt.Sprintf("$pj%d", t.vars)
	t.vars++
	if t.captures == nil {
		t.captures = map[string]hbCapture{}
	}
	t.captures[name] = hbCapture{goVar: goVar, depth: t.depth, json: true}
	return fmt.Sprintf("{{ %s := parseJson %s }}", goVar, text)
}

// parseJSONInline is {{parseJson text 'name'}}: the text read into the
// variable, nothing written.
func (t *hbTranslator) parseJSONInline(c *hbCall) hbOut {
	t.hashOf(c)
	switch {
	case len(c.params) == 1:
		t.fail("not supported yet: parseJson without a variable's name (WireMock writes the object as Java's {key=value} text); give it one: {{parseJson text 'name'}}, then {{name.field}}")
		return hbOut{}
	case len(c.params) != 2 || !c.params[1].isS:
		t.fail("WireMock's parseJson takes JSON text and the variable's name as a quoted string ({{parseJson request.body 'name'}})")
		return hbOut{}
	}
	name, err := varName("parseJson", c.params[1].str)
	if err != nil {
		t.fail("%v", err)
		return hbOut{}
	}
	text := t.text(c.params[0])
	if t.err != nil {
		return hbOut{}
	}
	return hbOut{stmt: t.setJSON(name, text)}
}

// jsonVar reads name.a.0.b of a value parseJson read: written as Java
// writes what Jackson read (jsonText), the value itself for blocks and
// helpers; nothing where there is no such field, as in Handlebars.
func (t *hbTranslator) jsonVar(goVar string, p []string) hbOut {
	if len(p) == 1 {
		t.fail("not supported yet: the whole value parseJson read into %s (WireMock writes Java's {key=value} text for it); take its fields: {{%s.name}}", p[0], p[0])
		return hbOut{}
	}
	keys := make([]string, len(p)-1)
	for i, k := range p[1:] {
		keys[i] = strconv.Quote(k)
	}
	at := "jsonAt " + goVar + " " + strings.Join(keys, " ")
	return hbOut{expr: "jsonText (" + at + ")", raw: at, json: true}
}

// mergeText is a jsonMerge parameter as Go text. WireMock's wants a
// String: given a message or list from jsonPath (JSON data, not text), a
// number or a date it writes an error, so these fail the load; a literal
// is checked here.
func (t *hbTranslator) mergeText(e hbExpr, what string) string {
	if !e.isS && e.sub == nil && e.path == nil {
		t.fail("WireMock's jsonMerge wants %s as text, got %s (WireMock writes [ERROR: ... must be a string])", what, e.lit)
		return ""
	}
	if e.sub != nil || e.path != nil {
		if v := t.arg(e); t.err == nil && (v.raw != "" || v.when != nil) {
			t.fail("WireMock's jsonMerge wants %s as text, not JSON data (a message or list from jsonPath, a value parseJson read) nor a date: WireMock writes [ERROR: ... must be a string] for it", what)
			return ""
		}
	}
	if e.isS {
		other, base := `"{}"`, strconv.Quote(e.str)
		if what != "the base JSON" {
			other, base = base, other
		}
		t.checkMerge(base, other, what)
	}
	return t.text(e)
}

// checkMerge runs the native jsonMerge over literal text at load.
func (t *hbTranslator) checkMerge(base, other, what string) {
	if _, err := expect.RenderTemplate("{{ jsonMerge " + base + " " + other + " }}"); err != nil {
		msg := err.Error()
		if i := strings.LastIndex(msg, "jsonMerge: "); i >= 0 {
			msg = msg[i+len("jsonMerge: "):]
		}
		t.fail("WireMock's jsonMerge: %s", msg)
	}
}
