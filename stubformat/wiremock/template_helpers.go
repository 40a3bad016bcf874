package wiremock

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// WireMock's helpers beyond the first few (template.go): each becomes
// native functions (expect/STUBS.md, Templates), or is refused by name.

// isoLayout is how WireMock writes a date without format=: ISO 8601 in
// seconds, Z for UTC.
const isoLayout = "2006-01-02T15:04:05Z07:00"

// date writes a date: tm moved by offset=, in timezone= (which date
// ignores for a date that has one, as WireMock does), in format=. The
// result keeps the date for a date helper taking it.
func (t *hbTranslator) date(tm *hbTime, c *hbCall, h map[string]hbExpr, now bool) hbOut {
	if off, ok := h["offset"]; ok {
		n, unit, err := parseOffset(t.str(c, off, "offset"))
		if err != nil {
			t.fail("WireMock's %s offset=%q: %v", c.name, off.str, err)
			return hbOut{}
		}
		if n != 0 {
			tm.utc = fmt.Sprintf("timeAdd %s %d %q", paren(tm.utc), n, unit)
		}
	}
	// date keeps the zone of the date it takes: WireMock ignores its
	// timezone= there.
	if tz, ok := h["timezone"]; ok && now {
		zone := t.str(c, tz, "timezone")
		if _, err := time.LoadLocation(zone); err != nil {
			t.fail("WireMock's %s timezone=%q: not a time zone of the IANA database", c.name, zone)
			return hbOut{}
		}
		if zone != "UTC" {
			tm.zone = zone
		}
	}
	if f, ok := h["format"]; ok {
		tm.format = t.str(c, f, "format")
	}
	if t.err != nil {
		return hbOut{}
	}
	out := t.writeTime(*tm)
	out.when = tm
	return out
}

// writeTime is a date as text.
func (t *hbTranslator) writeTime(tm hbTime) hbOut {
	call := tm.utc == t.root("RequestTime") && tm.zone == ""
	x := tm.utc
	if tm.zone != "" {
		x = fmt.Sprintf("inZone %s %q", paren(x), tm.zone)
	}
	switch tm.format {
	case "":
		if call {
			return hbOut{expr: `now "` + isoLayout + `"`, safe: true}
		}
		return hbOut{expr: "format " + paren(x) + ` "` + isoLayout + `"`, safe: true}
	case "epoch":
		if call {
			return hbOut{expr: x + ".UnixMilli", safe: true}
		}
		return hbOut{expr: "(" + x + ").UnixMilli", safe: true}
	case "unix":
		if call {
			return hbOut{expr: x + ".Unix", safe: true}
		}
		return hbOut{expr: "unix " + paren(x), safe: true}
	}
	gl, err := javaLayout(tm.format)
	if err != nil {
		t.fail("not supported yet: format=%q: %v", tm.format, err)
		return hbOut{}
	}
	safe := !strings.ContainsAny(gl, "&<>\"'`=")
	if call {
		return hbOut{expr: "now " + strconv.Quote(gl), safe: safe}
	}
	return hbOut{expr: "format " + paren(x) + " " + strconv.Quote(gl), safe: safe}
}

// parseOffset reads WireMock's offset: "3 days", "-1 months", "now +5 years".
func parseOffset(s string) (int, string, error) {
	if strings.EqualFold(s, "now") {
		return 0, "", nil
	}
	parts := strings.Split(s, " ")
	if len(parts) == 3 && strings.EqualFold(parts[0], "now") {
		parts = parts[1:]
	}
	if len(parts) != 2 {
		return 0, "", fmt.Errorf("want <amount> <unit> (8 seconds) or now +/-<amount> <unit>")
	}
	n, err := strconv.ParseInt(parts[0], 10, 32)
	if err != nil {
		return 0, "", fmt.Errorf("the amount %q is not a whole number", parts[0])
	}
	unit := strings.ToLower(parts[1])
	switch unit {
	case "seconds", "minutes", "hours", "days", "months", "years":
	default:
		return 0, "", fmt.Errorf("the unit %q (want seconds, minutes, hours, days, months or years)", parts[1])
	}
	return int(n), unit, nil
}

// pickList is what pickRandom picks from: a list given, or the values
// given; safe when no element needs escaping.
func (t *hbTranslator) pickList(c *hbCall) (string, bool) {
	if len(c.params) == 1 {
		v := t.arg(c.params[0])
		switch {
		case v.raw != "" && v.fd != nil && v.fd.IsList():
			return paren(v.raw), fieldOut(".", v.fd, true).safe
		case v.raw != "" && v.fd == nil: // a list made by array, range or [*]
			return paren(v.raw), v.safe
		case v.fd == nil && c.params[0].sub != nil:
			return paren(v.value()), false // a JSON path whose type is not known: a list, most likely
		}
	}
	safe := true
	vals := make([]string, len(c.params))
	for i, p := range c.params {
		vals[i] = t.val(p)
		safe = safe && t.arg(p).safe
	}
	return "(list " + strings.Join(vals, " ") + ")", safe
}

// regexGroups is regexExtract into a variable: the groups of every
// match, set as a Go variable that name.N reads; where nothing matched,
// the default, or WireMock's error text.
func (t *hbTranslator) regexGroups(c *hbCall, h map[string]hbExpr) hbOut {
	re := t.str(c, c.params[1], "the regular expression")
	name := t.str(c, c.params[2], "the variable's name")
	if t.err != nil {
		return hbOut{}
	}
	if _, err := regexp.Compile(re); err != nil {
		t.fail("regexExtract: the regular expression %q is not one Go reads (RE2): %v", re, err)
		return hbOut{}
	}
	if !hbName.MatchString(name) {
		t.fail("regexExtract: the variable name %q is not a name", name)
		return hbOut{}
	}
	goVar := fmt.Sprintf("$rx%d", t.vars)
	t.vars++
	miss := strconv.Quote("[ERROR: Nothing matched " + re + "]")
	if d, ok := h["default"]; ok {
		miss = t.operand(d)
	}
	if t.captures == nil {
		t.captures = map[string]hbCapture{}
	}
	stmt := fmt.Sprintf("{{ %s := regexGroups %s %s }}{{ if not %s }}{{ htmlEscape %s }}{{ end }}", goVar, strconv.Quote(re), t.text(c.params[0]), goVar, paren(miss))
	t.captures[name] = hbCapture{goVar: goVar, depth: t.depth}
	return hbOut{stmt: stmt}
}

// truncations are WireMock's truncateDate kinds: the start of a unit,
// then timeAdd steps.
var truncations = map[string]struct {
	unit string
	then []string
}{
	"first second of minute":  {"minute", nil},
	"first minute of hour":    {"hour", nil},
	"first hour of day":       {"day", nil},
	"first day of month":      {"month", nil},
	"first day of next month": {"month", []string{`1 "months"`}},
	"last day of month":       {"month", []string{`1 "months"`, `-1 "days"`}},
	"first day of year":       {"year", nil},
	"first day of next year":  {"year", []string{`1 "years"`}},
	"last day of year":        {"year", []string{`1 "years"`, `-1 "days"`}},
}

// intOperand is a parameter as a Go int: a literal as it is, another
// value through int.
func (t *hbTranslator) intOperand(c *hbCall, e hbExpr, what string) string {
	switch {
	case e.sub != nil || e.path != nil:
		return "(int " + t.operand(e) + ")"
	case e.isS:
		if _, err := strconv.Atoi(e.str); err != nil {
			t.fail("WireMock's %s wants %s as a whole number, got %q", c.name, what, e.str)
		}
		return e.str
	}
	if _, err := strconv.Atoi(e.lit); err != nil {
		t.fail("WireMock's %s wants %s as a whole number, got %s", c.name, what, e.lit)
	}
	return e.lit
}

// text is a parameter as a Go string: a quoted literal or a string field
// as it is, another value through toString.
func (t *hbTranslator) text(e hbExpr) string {
	if e.isS {
		return e.lit
	}
	v := t.arg(e)
	if v.fd != nil && v.raw == "" && v.fd.Kind() == protoreflect.StringKind && !v.fd.IsMap() {
		return paren(v.expr)
	}
	if strings.HasPrefix(v.expr, "header ") && strings.HasSuffix(v.expr, " -1") {
		return paren(v.expr)
	}
	return "(toString " + paren(v.expr) + ")"
}

// more translates the helpers beyond the first few.
func (t *hbTranslator) more(c *hbCall, args func(int) []string) hbOut {
	switch c.name {
	case "randomInt":
		// WireMock draws from [lower, upper), by default all of Java's int.
		h := t.hashOf(c, "lower", "upper")
		args(0)
		lo, hi := "-2147483648", "2147483647"
		if v, ok := h["lower"]; ok {
			lo = t.intOperand(c, v, "lower")
		}
		if v, ok := h["upper"]; ok {
			hi = t.intOperand(c, v, "upper")
		}
		if t.err != nil {
			return hbOut{}
		}
		if a, err1 := strconv.Atoi(lo); err1 == nil {
			if b, err2 := strconv.Atoi(hi); err2 == nil && a >= b {
				t.fail("WireMock's randomInt wants lower below upper, got %d and %d", a, b)
				return hbOut{}
			}
		}
		return hbOut{expr: "randInt " + lo + " " + hi, safe: true}
	case "randomDecimal":
		h := t.hashOf(c, "lower", "upper")
		args(0)
		lo, hi := "4.9e-324", "1.7976931348623157e308" // Java's Double.MIN_VALUE and MAX_VALUE
		for k, p := range map[string]*string{"lower": &lo, "upper": &hi} {
			if v, ok := h[k]; ok {
				*p = t.operand(v)
				if v.isS {
					*p = v.str
				}
				if v.sub == nil && v.path == nil {
					if _, err := strconv.ParseFloat(*p, 64); err != nil {
						t.fail("WireMock's randomDecimal wants %s as a number, got %s", k, *p)
					}
				}
			}
		}
		return hbOut{expr: fmt.Sprintf("addf %s (mulf (randFloat) (subf %s %s))", lo, hi, lo), safe: true}
	case "pickRandom":
		h := t.hashOf(c, "count")
		if len(c.params) == 0 {
			t.fail("WireMock's pickRandom takes a list or values to pick from")
			return hbOut{}
		}
		l, safe := t.pickList(c)
		if n, ok := h["count"]; ok {
			count := t.intOperand(c, n, "count")
			if k, err := strconv.Atoi(count); t.err == nil && (err != nil || k > 0) {
				// count= picks that many, distinct: a list, written as Java's.
				picks := "randPick " + l + " " + count
				return hbOut{expr: fmt.Sprintf(`printf "[%%s]" (join ", " (%s))`, picks), raw: picks, safe: safe}
			}
			// WireMock picks one without a count above 0.
		}
		return hbOut{expr: "randPick " + l, safe: safe}
	case "math":
		t.hashOf(c)
		a := args(3)
		if t.err != nil {
			return hbOut{}
		}
		op := t.str(c, c.params[1], "the operator")
		switch op {
		case "+", "-", "*", "x", "/", "%":
		default:
			t.fail("WireMock's math: %q is not an operator (want +, -, *, x, / or %%)", op)
			return hbOut{}
		}
		return hbOut{expr: "math " + a[0] + " " + strconv.Quote(op) + " " + a[2], safe: true}
	case "regexExtract":
		h := t.hashOf(c, "default")
		if len(c.params) == 3 {
			return t.regexGroups(c, h)
		}
		args(2)
		if t.err != nil {
			return hbOut{}
		}
		re := t.str(c, c.params[1], "the regular expression")
		if _, err := regexp.Compile(re); err != nil {
			t.fail("regexExtract: the regular expression %q is not one Go reads (RE2): %v", re, err)
			return hbOut{}
		}
		// What WireMock writes when nothing matches and there is no default.
		def := strconv.Quote("[ERROR: Nothing matched " + re + "]")
		if d, ok := h["default"]; ok {
			def = t.operand(d)
		}
		return hbOut{expr: fmt.Sprintf("or (regexFind %s %s) %s", strconv.Quote(re), t.text(c.params[0]), def)}
	case "substring":
		t.hashOf(c)
		if len(c.params) != 2 && len(c.params) != 3 {
			t.fail("WireMock's substring takes a value, a start and an optional end")
			return hbOut{}
		}
		s := t.text(c.params[0])
		start, end := t.intOperand(c, c.params[1], "the start"), "-1"
		if len(c.params) == 3 {
			end = t.intOperand(c, c.params[2], "the end")
		}
		return hbOut{expr: fmt.Sprintf("substr %s %s %s", start, end, s)}
	case "base64":
		h := t.hashOf(c, "decode", "padding")
		args(1)
		if t.err != nil {
			return hbOut{}
		}
		if d, ok := h["decode"]; ok && d.lit == "true" {
			return hbOut{expr: "b64dec " + t.text(c.params[0])}
		}
		enc := "b64enc " + t.text(c.params[0])
		if p, ok := h["padding"]; ok && p.lit == "false" {
			return hbOut{expr: `trimSuffix "=" (trimSuffix "=" (` + enc + `))`, safe: true}
		}
		return hbOut{expr: enc} // its = is escaped as &#x3D; in {{ }}, as Handlebars does
	case "formatJson":
		h := t.hashOf(c, "format")
		if len(c.params) != 1 {
			t.fail("WireMock's formatJson takes one text of JSON")
			return hbOut{}
		}
		if v := t.arg(c.params[0]); v.raw != "" {
			t.fail("WireMock's formatJson takes text; a message or list from jsonPath is an error there (format it with toJson, or jsonPath's own JSON)")
			return hbOut{}
		}
		fn := "formatJson"
		if f, ok := h["format"]; ok {
			switch t.str(c, f, "format") {
			case "pretty":
			case "compact":
				fn = "compactJson"
			default:
				t.fail("WireMock's formatJson format=%q: want pretty or compact", f.str)
				return hbOut{}
			}
		}
		return hbOut{expr: fn + " " + t.text(c.params[0])}
	case "val":
		h := t.hashOf(c, "default", "or")
		if len(c.params) != 1 {
			t.fail("WireMock's val takes one value")
			return hbOut{}
		}
		v := t.arg(c.params[0])
		d, ok := h["or"]
		if !ok {
			d, ok = h["default"]
		}
		if ok {
			dv := t.arg(d)
			return hbOut{expr: "default " + t.operand(d) + " " + paren(v.expr), safe: v.safe && dv.safe}
		}
		return v
	case "defaultIfEmpty":
		t.hashOf(c)
		a := args(2)
		if t.err != nil {
			return hbOut{}
		}
		v, d := t.arg(c.params[0]), t.arg(c.params[1])
		return hbOut{expr: "default " + a[1] + " " + a[0], safe: v.safe && d.safe}
	case "toJson":
		t.hashOf(c)
		if len(c.params) != 1 {
			t.fail("WireMock's toJson takes one value")
			return hbOut{}
		}
		return hbOut{expr: "toJson " + t.val(c.params[0])}
	case "arrayAdd", "arrayRemove":
		return t.arrayEdit(c)
	case "array", "range":
		t.hashOf(c)
		var l string
		safe := true
		if c.name == "range" {
			if len(c.params) != 2 {
				t.fail("WireMock's range takes a lower and an upper bound")
				return hbOut{}
			}
			l = "seq " + t.intOperand(c, c.params[0], "the lower bound") + " " + t.intOperand(c, c.params[1], "the upper bound")
		} else {
			vals := []string{"list"}
			for _, p := range c.params {
				vals = append(vals, t.val(p))
				safe = safe && t.arg(p).safe
			}
			l = strings.Join(vals, " ")
		}
		// Written as Java writes a list: [1, 2, 3].
		return hbOut{expr: fmt.Sprintf(`printf "[%%s]" (join ", " (%s))`, l), raw: l, safe: safe}
	case "arrayJoin", "join":
		h := t.hashOf(c, "prefix", "suffix")
		if len(c.params) < 2 {
			t.fail("WireMock's %s takes a separator and a list or values", c.name)
			return hbOut{}
		}
		sepAt, items := 0, c.params[1:]
		if c.name == "join" { // Handlebars' join: the values, then the separator
			sepAt, items = len(c.params)-1, c.params[:len(c.params)-1]
		}
		sep := strconv.Quote(t.str(c, c.params[sepAt], "the separator"))
		var l string
		if len(items) == 1 {
			l = t.val(items[0])
			if v := t.arg(items[0]); v.raw == "" {
				l = "(list " + l + ")"
			}
		} else {
			vals := []string{"(list"}
			for _, p := range items {
				vals = append(vals, t.val(p))
			}
			l = strings.Join(vals, " ") + ")"
		}
		joined := "join " + sep + " " + l
		pre, suf := `""`, `""`
		if p, ok := h["prefix"]; ok {
			pre = t.operand(p)
		}
		if s, ok := h["suffix"]; ok {
			suf = t.operand(s)
		}
		if pre == `""` && suf == `""` {
			return hbOut{expr: joined}
		}
		out := fmt.Sprintf("printf \"%%s%%s%%s\" %s (%s) %s", pre, joined, suf)
		if c.name == "arrayJoin" { // WireMock's writes nothing for an empty list, no prefix either
			out = fmt.Sprintf("ternary \"\" (%s) (empty %s)", out, l)
		}
		return hbOut{expr: out}
	case "truncateDate":
		t.hashOf(c)
		if len(c.params) != 2 {
			t.fail("WireMock's truncateDate takes a date and how to truncate it ('first day of month')")
			return hbOut{}
		}
		v := t.arg(c.params[0])
		if v.when == nil {
			t.fail("WireMock's truncateDate wants a date (now, parseDate or date)")
			return hbOut{}
		}
		how := strings.ToLower(strings.ReplaceAll(t.str(c, c.params[1], "how to truncate"), "_", " "))
		tr, ok := truncations[how]
		if !ok {
			t.fail("WireMock's truncateDate: unknown truncation %q (want first second of minute, first minute of hour, first hour of day, first day of month, first day of next month, last day of month, first day of year, first day of next year or last day of year)", how)
			return hbOut{}
		}
		tm := *v.when
		tm.format = ""
		// In the date's zone, as WireMock truncates it.
		x := tm.utc
		if tm.zone != "" {
			x = fmt.Sprintf("inZone %s %q", paren(x), tm.zone)
		}
		x = fmt.Sprintf("truncateTime %s %q", paren(x), tr.unit)
		for _, add := range tr.then {
			x = fmt.Sprintf("timeAdd %s %s", paren(x), add)
		}
		if tm.zone != "" {
			x = fmt.Sprintf("inZone %s \"UTC\"", paren(x))
		}
		tm.utc = x
		out := t.writeTime(tm)
		out.when = &tm
		return out
	case "urlEncode":
		h := t.hashOf(c, "decode", "encoding")
		args(1)
		if t.err != nil {
			return hbOut{}
		}
		if e, ok := h["encoding"]; ok && !strings.EqualFold(t.str(c, e, "encoding"), "utf-8") {
			t.fail("not supported yet: urlEncode encoding=%q (grpcdouble encodes UTF-8)", e.str)
			return hbOut{}
		}
		if d, ok := h["decode"]; ok && d.lit == "true" {
			return hbOut{expr: "urlDecode " + t.text(c.params[0])}
		}
		return hbOut{expr: "urlEncode " + t.text(c.params[0]), safe: true} // letters, digits, .-*_+%
	case "lookup":
		t.hashOf(c)
		if len(c.params) != 2 {
			t.fail("Handlebars' lookup takes a value and a key or index")
			return hbOut{}
		}
		return hbOut{expr: "index " + t.val(c.params[0]) + " " + t.operand(c.params[1])}
	case "capitalize", "capitalizeFirst", "abbreviate", "center", "ljust", "rjust", "stripTags", "wordWrap":
		return t.stringHelper(c)
	case "numberFormat":
		return t.numberFormat(c)
	case "dateFormat":
		return t.dateFormat(c)
	case "parseJson":
		return t.parseJSONInline(c)
	case "jsonMerge":
		t.hashOf(c)
		if len(c.params) != 2 {
			t.fail("WireMock's jsonMerge takes the base JSON and the JSON to merge into it, got %d values", len(c.params))
			return hbOut{}
		}
		base, other := t.mergeText(c.params[0], "the base JSON"), t.mergeText(c.params[1], "the JSON to merge")
		if t.err != nil {
			return hbOut{}
		}
		return hbOut{expr: "jsonMerge " + base + " " + other}
	case "replace":
		t.hashOf(c)
		a := args(3)
		if t.err != nil {
			return hbOut{}
		}
		return hbOut{expr: "replace " + a[1] + " " + a[2] + " " + t.text(c.params[0])}
	}
	t.fail("not supported yet: the WireMock template helper %s here", c.name)
	return hbOut{}
}

// arrayEdit is arrayAdd (a value put in at position=, by default the end)
// and arrayRemove (the element at position= taken out, by default the
// last), as sprig's list functions; the result is a list, written as
// Java writes one.
func (t *hbTranslator) arrayEdit(c *hbCall) hbOut {
	h := t.hashOf(c, "position")
	want := map[string]int{"arrayAdd": 2, "arrayRemove": 1}[c.name]
	if len(c.params) != want {
		t.fail("WireMock's %s takes a list%s, got %d values", c.name, map[bool]string{true: " and a value to add"}[want == 2], len(c.params))
		return hbOut{}
	}
	in := t.arg(c.params[0])
	if t.err != nil {
		return hbOut{}
	}
	if in.raw == "" {
		t.fail("WireMock's %s wants a list (a jsonPath, array or range)", c.name)
		return hbOut{}
	}
	l := paren(in.raw)
	pos := "end"
	if p, ok := h["position"]; ok {
		switch {
		case p.isS:
			pos = strings.ToLower(p.str)
		case p.sub == nil && p.path == nil:
			pos = p.lit
		default:
			t.fail("not supported yet: %s position= from a value of the request (give start, end or a number)", c.name)
			return hbOut{}
		}
	}
	n, err := strconv.Atoi(pos)
	if pos != "start" && pos != "end" && (err != nil || n < 0) {
		t.fail("WireMock's %s: position must be 'start', 'end' or a number from 0, got %q", c.name, pos)
		return hbOut{}
	}
	var out string
	safe := in.safe
	if c.name == "arrayAdd" {
		v := t.arg(c.params[1])
		safe = safe && v.safe
		val := t.val(c.params[1])
		switch {
		case pos == "end":
			out = "append " + l + " " + val
		case pos == "start" || n == 0:
			out = "prepend " + l + " " + val
		default:
			// Past the list's end it fails the call (WireMock writes an error).
			out = fmt.Sprintf("concat (slice %s 0 %d) (list %s) (slice %s %d)", l, n, val, l, n)
		}
	} else {
		switch {
		case pos == "end":
			out = "initial " + l
		case pos == "start" || n == 0:
			out = "rest " + l
		default:
			out = fmt.Sprintf("concat (slice %s 0 %d) (slice %s %d)", l, n, l, n+1)
		}
	}
	return hbOut{expr: fmt.Sprintf(`printf "[%%s]" (join ", " (%s))`, out), raw: out, safe: safe}
}
