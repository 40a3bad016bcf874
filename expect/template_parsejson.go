package expect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/grpcdouble/grpcdouble/internal/javatext"
)

// JSON text read into values a template walks, as WireMock's parseJson
// helper reads it (Jackson): parseJson, jsonAt and jsonText.

// parseJson reads JSON text, trimmed of the characters Java's
// String.trim takes: an object, or a list when it is in [ ]; empty text
// (or {}) is an empty object. Numbers keep their text (json.Number).
func parseJson(s string) (any, error) {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if strings.Join(strings.Fields(s), "") == "{}" || s == "" {
		return map[string]any{}, nil
	}
	list := strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]")
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("parseJson: not JSON: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("parseJson: text after the JSON value")
	}
	if _, ok := v.(map[string]any); !ok && !list {
		return nil, fmt.Errorf("parseJson: want an object or a list, got %s", abbreviateText(s))
	}
	return v, nil
}

func abbreviateText(s string) string {
	if r := []rune(s); len(r) > 40 {
		return strconv.Quote(string(r[:37]) + "...")
	}
	return strconv.Quote(s)
}

// jsonAt is the value at a path of keys (an object's) and indexes (a
// list's, as numbers or their text) in a value parseJson read; nil where
// there is none, as a missing value is in Handlebars.
func jsonAt(v any, path ...any) any {
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[fmt.Sprint(k)]
		case []any:
			i, err := strconv.Atoi(fmt.Sprint(k))
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// jsonText writes a value parseJson read as Java writes what Jackson
// makes of it: text as it is, an integer as its digits, a decimal as
// Java's Double.toString (javaDouble: 1.50 is 1.5, 1e2 is 100.0),
// nothing for null or nothing. An object or a list is an error: Java
// writes a map as {key=value}, in an order Go's maps do not keep.
func jsonText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil || !strings.ContainsAny(string(x), ".eE") {
			return string(x), nil // Integer, Long or BigInteger: the digits
		}
		f, err := x.Float64()
		if err != nil && !math.IsInf(f, 0) {
			return "", fmt.Errorf("jsonText: %v", err)
		}
		return javatext.Double(f), nil
	case map[string]any, []any:
		return "", fmt.Errorf("jsonText: a whole JSON object or list (WireMock writes Java's {key=value} text for it); take its fields")
	}
	return fmt.Sprint(v), nil
}

// jsonMerge merges the JSON object other into the object base, as
// WireMock's jsonMerge does (Jackson's ObjectNode.replace): an object
// into an object field by field, any other value in place of base's, a
// key base lacks added at the end. It writes the result compact, keys in
// their order, numbers as written.
func jsonMerge(base, other string) (string, error) {
	b, err := readObject("the base JSON", base)
	if err != nil {
		return "", err
	}
	o, err := readObject("the JSON to merge", other)
	if err != nil {
		return "", err
	}
	b.merge(o)
	var out bytes.Buffer
	writeOrdered(&out, b)
	return out.String(), nil
}

// orderedObject is a JSON object that keeps its keys' order.
type orderedObject struct {
	keys []string
	vals map[string]any
}

func (b *orderedObject) merge(o *orderedObject) {
	for _, k := range o.keys {
		ov := o.vals[k]
		if oo, ok := ov.(*orderedObject); ok {
			if bo, ok := b.vals[k].(*orderedObject); ok {
				bo.merge(oo)
				continue
			}
		}
		b.set(k, ov)
	}
}

func (b *orderedObject) set(k string, v any) {
	if _, ok := b.vals[k]; !ok {
		b.keys = append(b.keys, k)
	}
	b.vals[k] = v
}

func readObject(what, s string) (*orderedObject, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := readOrdered(dec)
	if err == nil {
		if _, end := dec.Token(); end != io.EOF {
			err = fmt.Errorf("more after the value")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("jsonMerge: %s is not JSON (%s): %v", what, abbreviateText(s), err)
	}
	obj, ok := v.(*orderedObject)
	if !ok {
		return nil, fmt.Errorf("jsonMerge: %s is not a JSON object (%s)", what, abbreviateText(s))
	}
	return obj, nil
}

// readOrdered reads one JSON value: objects as *orderedObject, lists as
// []any, numbers as json.Number.
func readOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch d := tok.(type) {
	case json.Delim:
		switch d {
		case '{':
			obj := &orderedObject{vals: map[string]any{}}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := readOrdered(dec)
				if err != nil {
					return nil, err
				}
				obj.set(k.(string), v)
			}
			_, err := dec.Token()
			return obj, err
		case '[':
			list := []any{}
			for dec.More() {
				v, err := readOrdered(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", d)
	}
	return tok, nil
}

func writeOrdered(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case *orderedObject:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeOrdered(b, x.vals[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeOrdered(b, e)
		}
		b.WriteByte(']')
	case string:
		writeJSONString(b, x)
	case json.Number:
		b.WriteString(string(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	default:
		b.WriteString("null")
	}
}
