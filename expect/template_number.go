package expect

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// numberFormat writes a number with a Java DecimalFormat pattern (what
// Handlebars.java's numberFormat helper, and so WireMock's, takes), in
// en_US symbols: "#,##0.00" writes 1234.5 as 1,234.50. It takes 0 # , .
// in the number, a prefix and suffix of literal text ('quoted' where it
// holds a pattern character), % (times 100) and ‰ (times 1000), and a
// negative subpattern after ;. It rounds half to even on the number's
// exact value, as DecimalFormat does: 0.125 is 0.12 and 1.015 (a binary
// 1.01499...) is 1.01.
func numberFormat(pattern string, v any) (string, error) {
	p, err := parseNumberPattern(pattern)
	if err != nil {
		return "", fmt.Errorf("numberFormat %q: %w", pattern, err)
	}
	r, special, err := exactNumber(v)
	if err != nil {
		return "", fmt.Errorf("numberFormat: %w", err)
	}
	if special != "" {
		if special == "NaN" {
			return "NaN", nil
		}
		if special == "-" {
			return p.negPrefix + "∞" + p.negSuffix, nil
		}
		return p.prefix + "∞" + p.suffix, nil
	}
	neg := r.Sign() < 0
	r.Abs(r)
	if p.multiplier != 1 {
		r.Mul(r, new(big.Rat).SetInt64(int64(p.multiplier)))
	}
	intPart, frac := roundHalfEven(r, p.maxFrac)
	frac = strings.TrimRight(frac, "0")
	for len(frac) < p.minFrac {
		frac += "0"
	}
	if intPart == "0" {
		intPart = ""
	}
	for len(intPart) < p.minInt {
		intPart = "0" + intPart
	}
	if p.grouping > 0 {
		var b strings.Builder
		for i, c := range intPart {
			if i > 0 && (len(intPart)-i)%p.grouping == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		intPart = b.String()
	}
	num := intPart
	if frac != "" || p.alwaysDot {
		num += "." + frac
	}
	if intPart == "" && frac == "" {
		num = "0" + num // DecimalFormat writes a zero rather than nothing
	}
	if neg {
		return p.negPrefix + num + p.negSuffix, nil
	}
	return p.prefix + num + p.suffix, nil
}

type numberPattern struct {
	prefix, suffix, negPrefix, negSuffix string
	minInt, minFrac, maxFrac, grouping   int
	multiplier                           int
	alwaysDot                            bool
}

// parseNumberPattern reads a DecimalFormat pattern: prefix, number, suffix,
// and an optional ;negative whose number part only its affixes count.
func parseNumberPattern(s string) (numberPattern, error) {
	p := numberPattern{multiplier: 1}
	pos, rest, err := p.sub(s, true)
	if err != nil {
		return p, err
	}
	p.prefix, p.suffix = pos[0], pos[1]
	p.negPrefix, p.negSuffix = "-"+p.prefix, p.suffix
	if rest != "" {
		var q numberPattern
		q.multiplier = 1
		neg, _, err := q.sub(rest, false)
		if err != nil {
			return p, err
		}
		p.negPrefix, p.negSuffix = neg[0], neg[1]
	}
	return p, nil
}

// sub reads one subpattern: its prefix and suffix, and (main) the number
// part's digits; what follows a ; is returned.
func (p *numberPattern) sub(s string, main bool) ([2]string, string, error) {
	var affix [2]string
	part := 0 // 0 prefix, 1 number, 2 suffix
	var num strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return affix, "", fmt.Errorf("an unclosed quote")
			}
			lit := s[i+1 : i+1+end]
			if end == 0 {
				lit = "'" // '' is a quote
			}
			if part == 1 {
				part = 2
			}
			affix[part/2] += lit
			i += end + 2
			continue
		case strings.IndexByte("#0,.", c) >= 0 && part < 2:
			part = 1
			num.WriteByte(c)
		case c == ';':
			if !main {
				return affix, "", fmt.Errorf("more than one ; in the pattern")
			}
			if part == 0 {
				return affix, "", fmt.Errorf("no digits (# or 0) before ;")
			}
			return affix, s[i+1:], p.digits(num.String())
		case strings.IndexByte("#0,.", c) >= 0:
			return affix, "", fmt.Errorf("%q after the suffix began", c)
		case c == 'E':
			return affix, "", fmt.Errorf("scientific notation (E) is not supported")
		case strings.HasPrefix(s[i:], "¤"):
			return affix, "", fmt.Errorf("the currency sign ¤ is not supported (write the symbol, '$')")
		default:
			if part == 1 {
				part = 2
			}
			switch {
			case c == '%':
				p.multiplier = 100
			case strings.HasPrefix(s[i:], "‰"):
				p.multiplier = 1000
			}
			_, n := utf8.DecodeRuneInString(s[i:])
			affix[part/2] += s[i : i+n]
			i += n
			continue
		}
		i++
	}
	if part == 0 && main {
		return affix, "", fmt.Errorf("no digits (# or 0)")
	}
	if main {
		if err := p.digits(num.String()); err != nil {
			return affix, "", err
		}
	}
	return affix, "", nil
}

// digits reads the number part: 0s are digits always written, #s digits
// written when not zero; the last , sets the grouping size.
func (p *numberPattern) digits(n string) error {
	intPart, fracPart, dot := strings.Cut(n, ".")
	if strings.Contains(fracPart, ".") {
		return fmt.Errorf("more than one decimal point")
	}
	if strings.Contains(fracPart, ",") {
		return fmt.Errorf("a grouping comma after the decimal point")
	}
	p.alwaysDot = dot && fracPart == ""
	if i := strings.LastIndexByte(intPart, ','); i >= 0 {
		p.grouping = len(intPart) - i - 1
		if p.grouping == 0 {
			return fmt.Errorf("a grouping comma at the end of the integer part")
		}
	}
	seenZero := false
	for _, c := range strings.ReplaceAll(intPart, ",", "") {
		if c == '0' {
			seenZero = true
			p.minInt++
		} else if seenZero {
			return fmt.Errorf("a # after a 0 in the integer part")
		}
	}
	seenHash := false
	for _, c := range fracPart {
		if c == '#' {
			seenHash = true
		} else if seenHash {
			return fmt.Errorf("a 0 after a # in the fraction")
		} else {
			p.minFrac++
		}
		p.maxFrac++
	}
	if p.minInt == 0 && p.maxFrac == 0 && !strings.Contains(intPart, "#") {
		return fmt.Errorf("no digits (# or 0)")
	}
	return nil
}

// exactNumber is v's exact value; special is "NaN", "+" or "-" for a
// float that has none (NaN, infinities).
func exactNumber(v any) (*big.Rat, string, error) {
	switch x := v.(type) {
	case float64, float32:
		f, _ := toFloat(x)
		switch {
		case math.IsNaN(f):
			return nil, "NaN", nil
		case math.IsInf(f, 1):
			return nil, "+", nil
		case math.IsInf(f, -1):
			return nil, "-", nil
		}
		return new(big.Rat).SetFloat64(f), "", nil
	case int, int64, int32, uint32, uint64:
		r, _ := new(big.Rat).SetString(fmt.Sprint(x))
		return r, "", nil
	case json.Number:
		return exactNumber(string(x))
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return exactNumber(f)
		}
		if r, ok := new(big.Rat).SetString(strings.TrimSpace(x)); ok && !strings.ContainsAny(x, "/") {
			return r, "", nil
		}
	}
	return nil, "", fmt.Errorf("want a number, got %T %v", v, v)
}

// roundHalfEven is r (not negative) rounded to n decimal places, half to
// even: its integer digits and its n fraction digits.
func roundHalfEven(r *big.Rat, n int) (string, string) {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	num := new(big.Int).Mul(r.Num(), scale)
	q, m := new(big.Int).QuoRem(num, r.Denom(), new(big.Int))
	switch new(big.Int).Lsh(m, 1).Cmp(r.Denom()) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	digits := q.String()
	for len(digits) <= n {
		digits = "0" + digits
	}
	return digits[:len(digits)-n], digits[len(digits)-n:]
}
