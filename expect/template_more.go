package expect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // inZone knows every zone, whatever the machine has installed

	"github.com/grpcdouble/grpcdouble/internal/javatext"
)

// Functions WireMock's templates need (stubformat/wiremock translates its
// helpers into them), written as general functions of the native engine.

// RandPick is an element of a list drawn at random, seeded as randInt is;
// with n, a list of n distinct elements of it (all of them, shuffled,
// when it has fewer), drawn as WireMock's pickRandom count= draws them.
func (d *tmplData) RandPick(list any, n ...int) (any, error) {
	v := reflect.ValueOf(list)
	if !v.IsValid() || (v.Kind() != reflect.Slice && v.Kind() != reflect.Array) {
		return nil, fmt.Errorf("randPick: want a list, got %T", list)
	}
	if v.Len() == 0 {
		return nil, fmt.Errorf("randPick: an empty list")
	}
	switch {
	case len(n) > 1:
		return nil, fmt.Errorf("randPick wants a list and at most one count")
	case len(n) == 1 && n[0] <= 0:
		return nil, fmt.Errorf("randPick: a count of %d", n[0])
	case len(n) == 1:
		vals := make([]any, v.Len())
		for i := range vals {
			vals[i] = v.Index(i).Interface()
		}
		k := min(n[0], len(vals))
		for i := range k {
			j := i + d.rand().IntN(len(vals)-i)
			vals[i], vals[j] = vals[j], vals[i]
		}
		return vals[:k], nil
	}
	return v.Index(d.rand().IntN(v.Len())).Interface(), nil
}

// decimalNum is a decimal number as Java's BigDecimal holds it: digits and
// a scale (how many of them follow the point), which the result of math
// keeps: 10 / 4 is 3 (rounded half up), 10.0 / 4 is 2.5.
type decimalNum struct {
	unscaled *big.Int
	scale    int
}

// maxDecimalDigits bounds the numbers math reads, so that a scale cannot
// make it compute with a power of ten of a million digits.
const maxDecimalDigits = 400

func parseDecimal(v any) decimalNum {
	var s string
	switch x := v.(type) {
	case float64:
		// A number's text as Java's BigDecimal.valueOf(double) reads it:
		// a float read from the request is 3.0 there (scale 1), not 3.
		s = javatext.Double(x)
	case float32:
		s = javatext.Double(float64(x))
	case nil:
		s = ""
	default:
		s = fmt.Sprint(x)
	}
	s = strings.TrimSpace(s)
	r, ok := new(big.Rat).SetString(s)
	if !ok || len(s) > maxDecimalDigits {
		return decimalNum{unscaled: new(big.Int)} // WireMock reads what is not a number as 0
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > maxDecimalDigits || e < -maxDecimalDigits {
			return decimalNum{unscaled: new(big.Int)}
		}
		exp = e
	}
	scale := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = len(mant) - i - 1
	}
	scale -= exp
	// unscaled = r * 10^scale, exactly.
	r.Mul(r, ratPow10(scale))
	if !r.IsInt() {
		return decimalNum{unscaled: new(big.Int)}
	}
	return decimalNum{unscaled: new(big.Int).Set(r.Num()), scale: scale}
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

func ratPow10(n int) *big.Rat {
	if n >= 0 {
		return new(big.Rat).SetInt(pow10(n))
	}
	return new(big.Rat).SetFrac(big.NewInt(1), pow10(-n))
}

// rescale is d's digits at a larger scale.
func (d decimalNum) rescale(scale int) *big.Int {
	return new(big.Int).Mul(d.unscaled, pow10(scale-d.scale))
}

// mathOp is WireMock's math helper: a op b over decimals (+, -, * or x, /
// rounding half up to a's scale, %), written as an integer when its scale
// is 0 and as Java writes a double otherwise. A value that is not a number
// counts as 0, as in WireMock.
func mathOp(a any, op string, b any) (string, error) {
	x, y := parseDecimal(a), parseDecimal(b)
	var out decimalNum
	switch op {
	case "+", "-":
		s := max(x.scale, y.scale)
		u := x.rescale(s)
		if op == "+" {
			u.Add(u, y.rescale(s))
		} else {
			u.Sub(u, y.rescale(s))
		}
		out = decimalNum{u, s}
	case "*", "x":
		out = decimalNum{new(big.Int).Mul(x.unscaled, y.unscaled), x.scale + y.scale}
	case "/":
		if y.unscaled.Sign() == 0 {
			return "", fmt.Errorf("math: division by zero")
		}
		// x / y at x's scale: x.u * 10^y.s / y.u, rounded half up (away
		// from zero at the half).
		num := new(big.Int).Mul(x.unscaled, pow10(max(y.scale, 0)))
		den := new(big.Int).Set(y.unscaled)
		if y.scale < 0 {
			den.Mul(den, pow10(-y.scale))
		}
		q, r := new(big.Int).QuoRem(num, den, new(big.Int))
		if new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2)).Cmp(new(big.Int).Abs(den)) >= 0 {
			if (num.Sign() < 0) != (den.Sign() < 0) {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
		out = decimalNum{q, x.scale}
	case "%":
		if y.unscaled.Sign() == 0 {
			return "", fmt.Errorf("math: division by zero")
		}
		s := max(x.scale, y.scale)
		u := new(big.Int).Rem(x.rescale(s), y.rescale(s)) // truncated: the sign of x, as Java's
		out = decimalNum{u, s}
	default:
		return "", fmt.Errorf("math: %q is not an operator (want +, -, *, x, / or %%)", op)
	}
	if out.scale <= 0 {
		return out.rescale(0).String(), nil
	}
	f, _ := new(big.Rat).SetFrac(out.unscaled, pow10(out.scale)).Float64()
	return javatext.Double(f), nil
}

// formatJSON writes JSON text again, its keys in their order: laid out as
// Jackson's default pretty printer does (WireMock's formatJson), or
// compact.
func formatJSON(text string, pretty bool) (string, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var b bytes.Buffer
	if err := writeJSON(&b, dec, pretty, 0); err != nil {
		return "", fmt.Errorf("formatJson: not JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", fmt.Errorf("formatJson: not JSON: more after the value")
	}
	return b.String(), nil
}

func writeJSON(b *bytes.Buffer, dec *json.Decoder, pretty bool, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if depth > 1000 {
		return fmt.Errorf("nested too deep")
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			b.WriteByte('{')
			n, err := jsonEntries(b, dec, func() error {
				if pretty {
					b.WriteString("\n" + strings.Repeat("  ", depth+1))
				}
				key, err := dec.Token()
				if err != nil {
					return err
				}
				writeJSONString(b, key.(string))
				if pretty {
					b.WriteString(" : ")
				} else {
					b.WriteByte(':')
				}
				return writeJSON(b, dec, pretty, depth+1)
			})
			switch {
			case err != nil:
				return err
			case pretty && n == 0:
				b.WriteString(" }")
			case pretty:
				b.WriteString("\n" + strings.Repeat("  ", depth) + "}")
			default:
				b.WriteByte('}')
			}
			return nil
		}
		b.WriteByte('[')
		_, err := jsonEntries(b, dec, func() error {
			if pretty {
				b.WriteByte(' ')
			}
			// Jackson does not indent for a list: its elements' fields
			// stay at the depth of the object holding it.
			return writeJSON(b, dec, pretty, depth)
		})
		if err != nil {
			return err
		}
		if pretty {
			b.WriteByte(' ')
		}
		b.WriteByte(']')
	case string:
		writeJSONString(b, t)
	case json.Number:
		b.WriteString(t.String())
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case nil:
		b.WriteString("null")
	}
	return nil
}

// jsonEntries writes the entries of an object or list, each by one and
// a comma between, and reads its end; it returns how many there were.
func jsonEntries(b *bytes.Buffer, dec *json.Decoder, one func() error) (int, error) {
	n := 0
	for dec.More() {
		if n > 0 {
			b.WriteByte(',')
		}
		if err := one(); err != nil {
			return n, err
		}
		n++
	}
	_, err := dec.Token()
	return n, err
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode's newline
}

// timeUnits are the units of timeAdd, as WireMock's offsets name them.
var timeUnits = map[string]time.Duration{
	"seconds": time.Second, "minutes": time.Minute, "hours": time.Hour,
}

// timeAdd is t moved by n units: seconds, minutes, hours, days, months or
// years. A month or a year that lands past the end of a month keeps to
// its last day (January 31 plus a month is February 28 or 29), as Java's
// (WireMock's offset=); Go's AddDate would go on into March.
func timeAdd(t time.Time, n int, unit string) (time.Time, error) {
	u := strings.ToLower(unit)
	if d, ok := timeUnits[u]; ok {
		return t.Add(time.Duration(n) * d), nil
	}
	months := 0
	switch u {
	case "days":
		return t.AddDate(0, 0, n), nil
	case "months":
		months = n
	case "years":
		months = 12 * n
	default:
		return time.Time{}, fmt.Errorf("timeAdd: unknown unit %q (want seconds, minutes, hours, days, months or years)", unit)
	}
	y, m, day := t.Date()
	first := time.Date(y, m+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(day, last)-1), nil
}

// inZone is t in a time zone of the IANA database ("Europe/Paris", "UTC").
func inZone(t time.Time, zone string) (time.Time, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("inZone: unknown time zone %q", zone)
	}
	return t.In(loc), nil
}

// internetTimes are the layouts parseTime tries when given none: RFC 3339
// (ISO 8601), then the three of HTTP dates (RFC 1123, RFC 850, asctime).
var internetTimes = []string{time.RFC3339Nano, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 MST", time.RFC1123Z, time.RFC850, time.ANSIC}

// parseTime reads a time in a Go layout, or, with layout "", in one of
// internetTimes; "epoch" and "unix" read milliseconds and seconds since
// 1970, in UTC, as WireMock's parseDate does.
func parseTime(layout, text string) (time.Time, error) {
	if layout == "epoch" || layout == "unix" {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("parseTime %s: %q is not a whole number", layout, text)
		}
		if layout == "unix" {
			return time.Unix(n, 0).UTC(), nil
		}
		return time.UnixMilli(n).UTC(), nil
	}
	if layout != "" {
		t, err := time.Parse(layout, text)
		if err != nil {
			return time.Time{}, fmt.Errorf("parseTime: %v", err)
		}
		return t, nil
	}
	for _, l := range internetTimes {
		if t, err := time.Parse(l, text); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("parseTime: %q is not an RFC 3339 or HTTP date", text)
}

// signedBytes writes the bytes of s as Java writes a byte array
// (Arrays.toString): signed numbers, [104, -61, 0]. WireMock's gRPC
// extension shows a binary (-bin) header so.
func signedBytes(s string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(int(int8(s[i]))))
	}
	b.WriteByte(']')
	return b.String()
}

// truncateTime is the start of t's minute, hour, day, month or year, in
// t's time zone.
func truncateTime(t time.Time, unit string) (time.Time, error) {
	y, mo, d := t.Date()
	h, mi, _ := t.Clock()
	switch strings.ToLower(unit) {
	case "minute":
		return time.Date(y, mo, d, h, mi, 0, 0, t.Location()), nil
	case "hour":
		return time.Date(y, mo, d, h, 0, 0, 0, t.Location()), nil
	case "day":
		return time.Date(y, mo, d, 0, 0, 0, 0, t.Location()), nil
	case "month":
		return time.Date(y, mo, 1, 0, 0, 0, 0, t.Location()), nil
	case "year":
		return time.Date(y, 1, 1, 0, 0, 0, 0, t.Location()), nil
	}
	return time.Time{}, fmt.Errorf("truncateTime: unknown unit %q (want minute, hour, day, month or year)", unit)
}

// urlEncode encodes s as an HTML form does (Java's URLEncoder, WireMock's
// urlEncode): letters, digits and . - * _ as they are, a space as +, every
// other byte of its UTF-8 as %XX.
func urlEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// urlDecode is urlEncode undone: + is a space, %XX a byte.
func urlDecode(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b.WriteByte(' ')
		case '%':
			if i+2 >= len(s) {
				return "", fmt.Errorf("urlDecode: %q ends inside an escape", s)
			}
			n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf("urlDecode: %q: bad escape %q", s, s[i:i+3])
			}
			b.WriteByte(byte(n))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// regexGroups is every group of every match of re in s, in order (as
// WireMock's regexExtract into a variable gathers them).
func regexGroups(re, s string) ([]string, error) {
	r, err := regexp.Compile(re)
	if err != nil {
		return nil, fmt.Errorf("regexGroups: %v", err)
	}
	var out []string
	for _, m := range r.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1:]...)
	}
	return out, nil
}
