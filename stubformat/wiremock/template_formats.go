package wiremock

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/expect"
)

// numberFormat and dateFormat, Handlebars.java's, in en_US.

// numberStyles are the named formats of Handlebars.java's numberFormat
// (NumberStyle), as DecimalFormat patterns in en_US (Java 11's CLDR data:
// a negative amount of money is -$1.50).
var numberStyles = map[string]string{
	"DEFAULT": "#,##0.###", "INTEGER": "#,##0", "PERCENT": "#,##0%", "CURRENCY": "$#,##0.00",
}

// numberFormat is Handlebars.java's {{numberFormat number [format] [locale]}}:
// a style or a DecimalFormat pattern, in en_US, the only locale the native
// numberFormat writes.
func (t *hbTranslator) numberFormat(c *hbCall) hbOut {
	t.hashOf(c)
	if len(c.params) == 0 || len(c.params) > 3 {
		t.fail("WireMock's numberFormat takes a number, a format and a locale ({{numberFormat n '#.##'}}), got %d values", len(c.params))
		return hbOut{}
	}
	pattern, named := numberStyles["DEFAULT"], "default"
	if len(c.params) > 1 {
		f := c.params[1]
		if !f.isS {
			t.fail("WireMock's numberFormat wants its format as a quoted string (a pattern such as '#.##', or 'integer', 'percent' or 'currency')")
			return hbOut{}
		}
		if p, ok := numberStyles[strings.ToUpper(strings.TrimSpace(f.str))]; ok {
			pattern, named = p, strings.ToLower(strings.TrimSpace(f.str))
		} else {
			pattern, named = f.str, ""
		}
	}
	if len(c.params) == 3 {
		l := c.params[2]
		if !l.isS {
			t.fail("WireMock's numberFormat wants its locale as a quoted string ('en_US')")
			return hbOut{}
		}
		if l.str != "en_US" {
			what := "the pattern " + strconv.Quote(pattern)
			if named != "" {
				what = "the " + named + " style"
			}
			t.fail("not supported yet: numberFormat's locale %q (grpcdouble writes %s in en_US only, the JVM's default WireMock is taken to run with)", l.str, what)
			return hbOut{}
		}
	}
	if _, err := expect.RenderTemplate("{{ numberFormat " + strconv.Quote(pattern) + " 1 }}"); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, strconv.Quote(pattern)+": "); i >= 0 {
			msg = msg[i+len(strconv.Quote(pattern))+2:]
		}
		if strings.Contains(msg, "is not supported") { // Java takes it; the native numberFormat does not yet
			t.fail("not supported yet: numberFormat's pattern %q: %s", pattern, msg)
		} else {
			t.fail("WireMock's numberFormat: the pattern %q: %s", pattern, msg)
		}
		return hbOut{}
	}
	v := c.params[0]
	if why := notNumber(t, v); why != "" {
		// Handlebars.java's numberFormat writes its format for any value
		// but a Number: never what the mapping meant.
		t.fail("WireMock's numberFormat wants a number; %s, so WireMock writes the format %q instead", why, pattern)
		return hbOut{}
	}
	safe := !strings.ContainsAny(pattern, "&<>\"'`=")
	return hbOut{expr: "numberFormat " + strconv.Quote(pattern) + " " + t.val(v), safe: safe}
}

// notNumber says why a value is not a Java Number in WireMock's templates,
// where that is known ("" when it is one, or may be).
func notNumber(t *hbTranslator, e hbExpr) string {
	switch {
	case e.isS:
		return fmt.Sprintf("the string %q is text", e.str)
	case e.lit == "true" || e.lit == "false" || e.lit == "nil":
		return e.lit + " is no number"
	case e.sub == nil && e.path == nil:
		return ""
	}
	v := t.arg(e)
	switch {
	case t.err != nil:
		return ""
	case v.when != nil:
		return "a date is none"
	case v.raw != "":
		return "a list or message is none"
	case strings.HasPrefix(v.expr, "header ") || strings.HasPrefix(v.expr, "and (header "):
		return "a header is text"
	case v.fd == nil:
		return ""
	}
	kind := v.fd.Kind()
	if v.fd.IsMap() {
		kind = v.fd.MapValue().Kind()
	}
	switch kind {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind, protoreflect.Uint32Kind,
		protoreflect.Fixed32Kind, protoreflect.FloatKind, protoreflect.DoubleKind:
		return ""
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return fmt.Sprintf("the %s field %s is text in the extension's JSON (protobuf-java quotes 64-bit integers)", kind, v.fd.Name())
	}
	return fmt.Sprintf("the %s field %s is none", kind, v.fd.Name())
}

// dateStyles are Handlebars.java's dateFormat styles, as Go layouts of
// what DateFormat.getDateInstance writes in en_US (Java 11's CLDR data).
var dateStyles = map[string]string{
	"full": "Monday, January 2, 2006", "long": "January 2, 2006", "medium": "Jan 2, 2006", "short": "1/2/06",
}

// dateFormat is Handlebars.java's {{dateFormat date [format] [locale]
// format= tz=}}: a style (full, long, medium, short; medium without one)
// or a Java date pattern, of the date's instant in tz= (UTC without it,
// where WireMock takes the JVM's zone): the date's own zone and format are
// not read.
func (t *hbTranslator) dateFormat(c *hbCall) hbOut {
	h := t.hashOf(c, "format", "tz")
	if len(c.params) == 0 || len(c.params) > 3 {
		t.fail("WireMock's dateFormat takes a date, a format and a locale ({{dateFormat (parseDate s) 'yyyy-MM-dd'}}), got %d values", len(c.params))
		return hbOut{}
	}
	v := t.arg(c.params[0])
	if t.err != nil {
		return hbOut{}
	}
	if v.when == nil {
		t.fail("WireMock's dateFormat wants a date (now, parseDate or date)")
		return hbOut{}
	}
	format := "medium"
	f, ok := h["format"]
	if len(c.params) > 1 {
		f, ok = c.params[1], true
	}
	if ok {
		format = t.str(c, f, "the format")
	}
	if len(c.params) == 3 {
		if l := t.str(c, c.params[2], "the locale"); t.err == nil && l != "en_US" {
			t.fail("not supported yet: dateFormat's locale %q (grpcdouble writes dates in en_US only, the JVM's default WireMock is taken to run with)", l)
		}
	}
	x := v.when.utc
	if tz, ok := h["tz"]; ok {
		zone := t.str(c, tz, "tz")
		if t.err != nil {
			return hbOut{}
		}
		if _, err := time.LoadLocation(zone); err != nil {
			t.fail("WireMock's dateFormat tz=%q: not a time zone of the IANA database", zone)
			return hbOut{}
		}
		x = fmt.Sprintf("inZone %s %q", paren(x), zone)
	}
	if t.err != nil {
		return hbOut{}
	}
	gl, ok := dateStyles[format]
	if !ok {
		var err error
		if gl, err = javaLayout(format); err != nil {
			t.fail("not supported yet: dateFormat format=%q: %v", format, err)
			return hbOut{}
		}
	}
	return hbOut{expr: "format " + paren(x) + " " + strconv.Quote(gl), safe: !strings.ContainsAny(gl, "&<>\"'`=")}
}
