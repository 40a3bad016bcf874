package expect

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text functions Handlebars.java's string helpers need (WireMock's
// capitalize, abbreviate, center, ljust, rjust), written as general
// functions of the native engine. They count characters (runes), as Java
// counts its chars, never bytes: sprig's abbrev cuts inside a UTF-8
// character and ignores a width it cannot honour.

// capFirst is s with its first character in title case, the rest as it
// is (commons-lang's StringUtils.capitalize).
func capFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r == utf8.RuneError {
		return s
	}
	return string(unicode.ToTitle(r)) + s[n:]
}

// capWords is s with the first character of each word in title case,
// words being split at Java's whitespace (commons-lang's
// WordUtils.capitalize): "hello-world foo" is "Hello-world Foo".
func capWords(s string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		switch {
		case javaSpace(r):
			start = true
		case start:
			r, start = unicode.ToTitle(r), false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// javaSpace is Java's Character.isWhitespace: Unicode spaces but the
// no-break ones, and the ASCII separators \t \n \v \f \r and 0x1C-0x1F.
func javaSpace(r rune) bool {
	switch r {
	case '\u00a0', '\u2007', '\u202f':
		return false
	case '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f:
		return true
	}
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}

// abbreviate cuts s to width characters, the last three of them "...",
// when it is longer (commons-lang's StringUtils.abbreviate); a width
// below 4 is an error, as there.
func abbreviate(width int, s string) (string, error) {
	if width < 4 {
		return "", fmt.Errorf("abbreviate: a width of %d (the least is 4)", width)
	}
	if utf8.RuneCountInString(s) <= width {
		return s, nil
	}
	return string([]rune(s)[:width-3]) + "...", nil
}

// padLeft writes pad (a space when empty) before s, repeated and cut to
// make size characters (commons-lang's StringUtils.leftPad); s when it has
// as many already.
func padLeft(size int, pad, s string) (string, error) {
	p, err := padding("padLeft", size-utf8.RuneCountInString(s), pad)
	return p + s, err
}

// padRight is padLeft's padding after s (StringUtils.rightPad).
func padRight(size int, pad, s string) (string, error) {
	p, err := padding("padRight", size-utf8.RuneCountInString(s), pad)
	return s + p, err
}

// center pads s on both sides to size characters, the odd one on the
// right (StringUtils.center): each side's padding starts from pad's start.
func center(size int, pad, s string) (string, error) {
	n := size - utf8.RuneCountInString(s)
	if n <= 0 {
		return s, nil
	}
	left, err := padding("center", n/2, pad)
	if err != nil {
		return "", err
	}
	right, err := padding("center", n-n/2, pad)
	return left + s + right, err
}

// padding is n characters of pad repeated (a space when pad is empty).
func padding(name string, n int, pad string) (string, error) {
	if n <= 0 {
		return "", nil
	}
	if pad == "" {
		pad = " "
	}
	if n > maxTemplateOutput {
		return "", fmt.Errorf("%s: %d characters of padding would pass %d bytes", name, n, maxTemplateOutput)
	}
	rs := []rune(pad)
	out := make([]rune, n)
	for i := range out {
		out[i] = rs[i%len(rs)]
	}
	return string(out), nil
}
