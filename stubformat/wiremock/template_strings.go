package wiremock

import (
	"fmt"
	"strconv"
)

// Handlebars.java's string helpers, which WireMock registers.

// stringHelper is one of Handlebars.java's string helpers (StringHelpers)
// that WireMock registers. Each writes, for an empty value (Handlebars
// calls it falsy), its first parameter or nothing, whatever the helper
// would make of it: {{abbreviate x 10}} is 10 when x is empty.
func (t *hbTranslator) stringHelper(c *hbCall) hbOut {
	var h map[string]hbExpr
	switch c.name {
	case "capitalize":
		h = t.hashOf(c, "fully")
	case "center", "ljust", "rjust":
		h = t.hashOf(c, "size", "pad")
	default:
		t.hashOf(c)
	}
	want := 1
	if c.name == "abbreviate" || c.name == "wordWrap" {
		want = 2
	}
	if len(c.params) != want {
		switch {
		case want == 2:
			t.fail("WireMock's %s takes a value and a width ({{%s value 10}}), got %d values", c.name, c.name, len(c.params))
		case h != nil && c.name != "capitalize":
			t.fail("WireMock's %s takes one value and its width as size= ({{%s value size=10}}), got %d values", c.name, c.name, len(c.params))
		default:
			t.fail("WireMock's %s takes one value, got %d", c.name, len(c.params))
		}
		return hbOut{}
	}
	s := t.text(c.params[0])
	if t.err != nil {
		return hbOut{}
	}
	var out string
	switch c.name {
	case "capitalizeFirst":
		out = "capFirst " + s
	case "capitalize":
		out = "capWords " + s
		if f, ok := h["fully"]; ok {
			switch f.lit {
			case "true": // WordUtils.capitalizeFully: the rest of each word in lower case
				out = "capWords (lower " + s + ")"
			case "false":
			default:
				t.fail("WireMock's capitalize wants fully=true or fully=false")
				return hbOut{}
			}
		}
	case "stripTags":
		out = `regexReplaceAll "<[^>]*>" ` + s + ` ""`
	case "abbreviate", "wordWrap":
		w := t.width(c, c.params[1], "the width")
		if t.err != nil {
			return hbOut{}
		}
		if n, err := strconv.Atoi(w); err == nil && n < 4 && c.name == "abbreviate" {
			t.fail("WireMock's abbreviate: a width of %d (the least is 4: commons-lang's StringUtils.abbreviate throws below it)", n)
			return hbOut{}
		}
		fn := map[string]string{"abbreviate": "abbreviate", "wordWrap": "wrap"}[c.name]
		// The width as Handlebars writes it for an empty value.
		empty := strconv.Quote(w)
		if _, err := strconv.Atoi(w); err != nil {
			empty = "(toString " + w + ")"
		}
		return t.unlessEmpty(c.params[0], s, empty, fmt.Sprintf("%s %s %s", fn, w, s))
	case "center", "ljust", "rjust":
		size, ok := h["size"]
		if !ok {
			t.fail("WireMock's %s wants size= (the width)", c.name)
			return hbOut{}
		}
		w := t.width(c, size, "size")
		pad := `" "`
		if p, ok := h["pad"]; ok {
			if p.sub == nil && p.path == nil && !p.isS {
				t.fail("WireMock's %s wants pad= as a quoted string", c.name)
				return hbOut{}
			}
			pad = t.text(p)
		}
		if t.err != nil {
			return hbOut{}
		}
		fn := map[string]string{"center": "center", "ljust": "padRight", "rjust": "padLeft"}[c.name]
		return t.unlessEmpty(c.params[0], s, `""`, fmt.Sprintf("%s %s %s %s", fn, w, pad, s))
	}
	return hbOut{expr: out}
}

// width is a helper's whole-number parameter: Handlebars.java takes it as
// an Integer, so a quoted string is an error there as here.
func (t *hbTranslator) width(c *hbCall, e hbExpr, what string) string {
	if e.isS {
		t.fail("WireMock's %s wants %s as a number, not the string %q (Handlebars.java takes an Integer)", c.name, what, e.str)
		return ""
	}
	return t.intOperand(c, e, what)
}

// unlessEmpty is out, or empty where the value s (the parameter e) is
// empty text; a quoted literal is known now.
func (t *hbTranslator) unlessEmpty(e hbExpr, s, empty, out string) hbOut {
	switch {
	case e.isS && e.str == "":
		return hbOut{expr: empty}
	case e.isS:
		return hbOut{expr: out}
	}
	return hbOut{expr: fmt.Sprintf("ternary %s (%s) (eq %s \"\")", empty, out, s)}
}
