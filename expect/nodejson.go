package expect

import (
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// appendNodeJSON writes a YAML value as JSON, straight from its nodes, for
// the values where that is plainly the JSON yaml's decoder and
// encoding/json make of them (through an any): mappings with string keys,
// lists, strings, decimal integers, true, false and null. ok is false for
// anything else (floats, other integer forms, aliases, merge keys, other
// tags), which then takes that longer way: decoding every message of
// 100,000 stubs through an any was a quarter of loading them.
//
// Keys keep the file's order where encoding/json sorts them; protojson,
// which reads it, answers the same either way, and on an error the caller
// asks the longer way for its words.
func appendNodeJSON(b []byte, n *yaml.Node, depth int) ([]byte, bool) {
	if depth > 100 {
		return b, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		b = append(b, '{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" || k.Value == "<<" {
				return b, false
			}
			for j := 0; j < i; j += 2 {
				if n.Content[j].Value == k.Value {
					return b, false // a duplicate key: yaml's decoder says so
				}
			}
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendJSONString(b, k.Value); !ok {
				return b, false
			}
			b = append(b, ':')
			if b, ok = appendNodeJSON(b, n.Content[i+1], depth+1); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	case yaml.SequenceNode:
		b = append(b, '[')
		for i, c := range n.Content {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendNodeJSON(b, c, depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return appendJSONString(b, n.Value)
		case "!!null":
			return append(b, "null"...), true
		case "!!bool":
			if n.Value == "true" || n.Value == "false" {
				return append(b, n.Value...), true
			}
		case "!!int":
			if plainInt(n.Value) {
				return append(b, n.Value...), true
			}
		}
	}
	return b, false
}

// plainInt is an integer written in decimal, as encoding/json writes it
// back: no sign but a minus, no leading zero, no "-0", at most 18 digits.
func plainInt(v string) bool {
	d := v
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 || (d[0] == '0' && (len(d) > 1 || len(v) > 1)) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// appendJSONString quotes s as a JSON string; ok is false for text that is
// not UTF-8 (which encoding/json would have changed).
func appendJSONString(b []byte, s string) ([]byte, bool) {
	if !utf8.ValidString(s) {
		return b, false
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"'), true
}
