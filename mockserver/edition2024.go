package mockserver

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/bufbuild/protocompile"

	"github.com/grpcdouble/grpcdouble/internal/boundedfile"
)

// edition2024 lets protocompile, which knows editions up to 2023, compile
// files of edition 2024: on the wire and in JSON their features default as
// 2023's do (2024 adds only naming-style enforcement, symbol visibility and
// the Go API level, none of which a double serves), so such a file is
// compiled as 2023. Only the edition's digits change, so every position in
// an error stays the file's own; a file using what 2023 has no syntax for
// (export/local, import option, a 2024-only feature) fails naming it.
type edition2024 struct{ protocompile.Resolver }

func (e edition2024) FindFileByPath(path string) (protocompile.SearchResult, error) {
	res, err := e.Resolver.FindFileByPath(path)
	if err != nil || res.Source == nil {
		return res, err
	}
	data, err := io.ReadAll(io.LimitReader(res.Source, boundedfile.Limit+1))
	if c, ok := res.Source.(io.Closer); ok {
		_ = c.Close()
	}
	if err != nil {
		return protocompile.SearchResult{}, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > boundedfile.Limit {
		return protocompile.SearchResult{}, fmt.Errorf("%s: larger than %d bytes", path, boundedfile.Limit)
	}
	data, err = as2023(path, data)
	if err != nil {
		return protocompile.SearchResult{}, err
	}
	res.Source = bytes.NewReader(data)
	return res, nil
}

// as2023 returns src with `edition = "2024";` made 2023, or src itself when
// it declares another edition or a syntax.
func as2023(path string, src []byte) ([]byte, error) {
	toks := protoTokens(src)
	if len(toks) < 4 || toks[0].text != "edition" || toks[1].text != "=" || toks[3].text != ";" ||
		(toks[2].text != `"2024"` && toks[2].text != `'2024'`) {
		return src, nil
	}
	for i, t := range toks {
		var next, prev, prev2 string
		if i+1 < len(toks) {
			next = toks[i+1].text
		}
		if i > 0 {
			prev = toks[i-1].text
		}
		if i > 1 {
			prev2 = toks[i-2].text
		}
		var what string
		switch {
		case (t.text == "export" || t.text == "local") && (next == "message" || next == "enum"):
			what = fmt.Sprintf("%q: edition 2024 symbol visibility is not supported", t.text+" "+next)
		case t.text == "import" && next == "option":
			what = `"import option": edition 2024 option imports are not supported`
		case prev == "." && (prev2 == "features" || prev2 == ")") &&
			(t.text == "enforce_naming_style" || t.text == "default_symbol_visibility" || t.text == "strip_enum_prefix"):
			what = fmt.Sprintf("feature %s: an edition 2024 feature is not supported", t.text)
		default:
			continue
		}
		return nil, fmt.Errorf("%s:%d:%d: %s: grpcdouble compiles edition 2024 files as 2023 (the same on the wire and in JSON), which has none; remove it, or serve a descriptor set (protoc --include_imports --descriptor_set_out) instead", path, t.line, t.col, what)
	}
	out := bytes.Clone(src)
	out[toks[2].off+4] = '3' // "2024" -> "2023", in place
	return out, nil
}

type protoToken struct {
	text      string
	off       int // byte offset of the token's first byte
	line, col int // 1-based; columns as protocompile counts them (tabs to 8)
}

// protoTokens splits .proto source into identifiers, numbers, string
// literals (quotes kept) and single punctuation characters, skipping white
// space and comments. It is only as exact as as2023 needs: the compiler
// reports whatever it gets wrong.
func protoTokens(src []byte) []protoToken {
	var toks []protoToken
	line, lineStart := 1, 0
	col := func(off int) int {
		c := 0
		for i := lineStart; i < off; i++ {
			if src[i] == '\t' {
				c += 8 - c%8
			} else if utf8.RuneStart(src[i]) {
				c++
			}
		}
		return c + 1
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			i++
			line, lineStart = line+1, i
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			i += 2
			for i < len(src) && !(src[i] == '*' && i+1 < len(src) && src[i+1] == '/') {
				if src[i] == '\n' {
					line, lineStart = line+1, i+1
				}
				i++
			}
			i += 2
		case c == '"' || c == '\'':
			start := i
			for i++; i < len(src) && src[i] != c && src[i] != '\n'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
			i = min(i+1, len(src))
			toks = append(toks, protoToken{text: string(src[start:i]), off: start, line: line, col: col(start)})
		case isIdentByte(c):
			start := i
			for i < len(src) && isIdentByte(src[i]) {
				i++
			}
			toks = append(toks, protoToken{text: string(src[start:i]), off: start, line: line, col: col(start)})
		default:
			toks = append(toks, protoToken{text: string(src[i : i+1]), off: i, line: line, col: col(i)})
			i++
		}
	}
	return toks
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
