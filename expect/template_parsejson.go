package expect

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
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
		return javaDouble(f), nil
	case map[string]any, []any:
		return "", fmt.Errorf("jsonText: a whole JSON object or list (WireMock writes Java's {key=value} text for it); take its fields")
	}
	return fmt.Sprint(v), nil
}
