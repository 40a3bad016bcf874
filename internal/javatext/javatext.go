package javatext

import (
	"math"
	"strconv"
	"strings"
)

// Double writes f as Java's Double.toString does (Java 19 and later: the
// shortest text that reads back as f, in at least two digits): a decimal
// with a digit after the point from 10^-3 up to 10^7, else d.dddEn; NaN,
// Infinity and -Infinity by name.
func Double(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
	if !strings.Contains(mant, ".") {
		// One digit: Java writes two, the nearer of them (4.9E-324, not 5.0E-324).
		mant, exp, _ = strings.Cut(strconv.FormatFloat(f, 'e', 1, 64), "e")
	}
	x, _ := strconv.Atoi(exp)
	sign := ""
	if f < 0 {
		sign, mant = "-", mant[1:]
	}
	if a := math.Abs(f); a < 1e-3 || a >= 1e7 {
		return sign + mant + "E" + strconv.Itoa(x)
	}
	digits := strings.Replace(mant, ".", "", 1)
	var whole, frac string
	if x >= 0 {
		for len(digits) < x+2 {
			digits += "0"
		}
		whole, frac = digits[:x+1], digits[x+1:]
	} else {
		whole, frac = "0", strings.Repeat("0", -x-1)+digits
	}
	if frac = strings.TrimRight(frac, "0"); frac == "" {
		frac = "0"
	}
	return sign + whole + "." + frac
}
