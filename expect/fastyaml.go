package expect

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// A chunk of a big stub file is mostly lines like "  key: value": block
// mappings of plain words, numbers and simply quoted strings. fastList
// builds the nodes yaml.Unmarshal builds for such text, line by line,
// several times faster: yaml's scanner, parser and composer were a third
// of the time of loading 10,000 stubs, and the larger part of what a
// gripmock file (deeper, with more keys) cost more than the same native
// stubs. Anything else (flow collections, lists as values, comments,
// anchors, tags, block scalars, escapes, words YAML reads as booleans or
// nulls, a key without a value, a key twice, tabs) is left to yaml: ok is
// false, and the caller parses the chunk as it did. TestFastListIsYAMLs
// and FuzzFastList hold it to give exactly yaml's nodes.

// fastList parses data, a block list of mappings at the indentation of its
// first line, into the sequence node yaml.Unmarshal gives for it (the
// document's content); ok is false for text outside what it reads.
func fastList(data []byte) (seq *yaml.Node, ok bool) {
	// open is the mappings being filled, innermost last, with their
	// indentation; pending is a key whose value, a mapping, starts on
	// the next line.
	type open struct {
		m      *yaml.Node
		indent int
	}
	var stack []open
	var pending *yaml.Node // the mapping a key without a value on its line holds
	listIndent := -1
	line := 0
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end < 0 {
			end = len(data)
		} else {
			end += off
			next = end + 1
		}
		text := data[off:end]
		off = next
		line++
		ind := 0
		for ind < len(text) && text[ind] == ' ' {
			ind++
		}
		if ind == len(text) {
			continue // blank
		}
		col := ind
		if text[ind] == '-' && ind+1 < len(text) && text[ind+1] == ' ' {
			// An item of the list: its mapping starts after "- ".
			if listIndent < 0 {
				if pending != nil || len(stack) > 0 {
					return nil, false
				}
				listIndent = ind
				seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: line, Column: ind + 1}
			}
			if ind != listIndent || pending != nil {
				return nil, false
			}
			col = ind + 2
			for col < len(text) && text[col] == ' ' {
				col++
			}
			if col == len(text) {
				return nil, false
			}
			m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line, Column: col + 1}
			seq.Content = append(seq.Content, m)
			stack = append(stack[:0], open{m, col})
		} else {
			if seq == nil {
				return nil, false
			}
			if pending != nil {
				// The first key of a key's mapping, deeper than the key.
				if ind <= stack[len(stack)-1].indent {
					return nil, false
				}
				pending.Line, pending.Column = line, ind+1
				stack = append(stack, open{pending, ind})
				pending = nil
			}
			for len(stack) > 0 && ind < stack[len(stack)-1].indent {
				stack = stack[:len(stack)-1]
			}
			if len(stack) == 0 || ind != stack[len(stack)-1].indent {
				return nil, false
			}
		}
		// A "key: value" or "key:" line, from col.
		m := stack[len(stack)-1].m
		rest := text[col:]
		colon := bytes.IndexByte(rest, ':')
		if colon <= 0 {
			return nil, false
		}
		// YAML takes a key of 1024 characters or more for no key.
		key, ok := plainScalar(rest[:colon])
		if !ok || key.Tag != "!!str" || colon >= 1000 {
			return nil, false
		}
		for i := 0; i < len(m.Content); i += 2 {
			if m.Content[i].Value == key.Value {
				return nil, false // a key twice: yaml says what
			}
		}
		key.Line, key.Column = line, col+1
		after := rest[colon+1:]
		if len(after) == 0 {
			pending = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			m.Content = append(m.Content, key, pending)
			continue
		}
		if after[0] != ' ' {
			return nil, false
		}
		vcol := col + colon + 1
		for vcol < len(text) && text[vcol] == ' ' {
			vcol++
		}
		value, ok := scalar(text[vcol:])
		if !ok {
			return nil, false
		}
		value.Line, value.Column = line, vcol+1
		m.Content = append(m.Content, key, value)
	}
	if seq == nil || pending != nil {
		return nil, false
	}
	return seq, true
}

// scalar reads a value: a plain scalar, or a quoted one without escapes.
func scalar(s []byte) (*yaml.Node, bool) {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') {
		q := s[0]
		if s[len(s)-1] != q {
			return nil, false
		}
		inner := s[1 : len(s)-1]
		for _, c := range inner {
			if c < 0x20 || c > 0x7e || c == q || c == '\\' {
				return nil, false
			}
		}
		style := yaml.DoubleQuotedStyle
		if q == '\'' {
			style = yaml.SingleQuotedStyle
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Style: style, Tag: "!!str", Value: string(inner)}, true
	}
	return plainScalar(s)
}

// plainScalar reads an unquoted word (a letter or /, then letters, digits,
// spaces and _ . - /, not ending in a space; not one YAML reads as a
// boolean or a null) or a decimal integer.
func plainScalar(s []byte) (*yaml.Node, bool) {
	if len(s) == 0 {
		return nil, false
	}
	if c := s[0]; c == '-' || c >= '0' && c <= '9' {
		digits := s
		if c == '-' {
			digits = s[1:]
		}
		if len(digits) == 0 || len(digits) > 18 || digits[0] == '0' && len(s) > 1 {
			return nil, false
		}
		for _, d := range digits {
			if d < '0' || d > '9' {
				return nil, false
			}
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: string(s)}, true
	}
	if !letter(s[0]) && s[0] != '/' || s[len(s)-1] == ' ' {
		return nil, false
	}
	for _, c := range s[1:] {
		if !letter(c) && (c < '0' || c > '9') && c != ' ' && c != '_' && c != '.' && c != '-' && c != '/' {
			return nil, false
		}
	}
	if len(s) <= 5 {
		switch string(bytes.ToLower(s)) {
		case "true", "false", "null", "yes", "no", "on", "off", "y", "n":
			return nil, false
		}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(s)}, true
}

func letter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
