package wiremock

// Jayway's functions ending a JSON path or a filter's @.path: length()
// (size()), the aggregations of a list of numbers, first() and last().

import (
	"fmt"
	"math"
	"strconv"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/internal/javatext"
	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

// numberFuncs are Jayway's functions giving a number, which the reader
// translates into native len and the aggregations on a list of numbers.
var numberFuncs = map[string]bool{"length": true, "size": true, "min": true, "max": true, "avg": true, "sum": true, "stddev": true}

// function is the step a function without arguments makes: first() and
// last() pick an element as [0] and [-1] do.
func function(name string) (pathSeg, error) {
	switch {
	case numberFuncs[name]:
		return pathSeg{kind: segFunc, name: name}, nil
	case name == "first":
		return pathSeg{kind: segIndex}, nil
	case name == "last":
		return pathSeg{kind: segIndex, index: -1, last: true}, nil
	}
	return pathSeg{}, fmt.Errorf("the function %s() (the reader takes length(), size(), min(), max(), avg(), sum(), stddev(), first() and last())", name)
}

// function translates a function ending the path at p: the string form
// holds when it gives a value, equalTo when that value's text is the one
// given (a count as 2, an aggregation as the Java double 2.0).
func (t *pathTr) function(name string, p pos) ([]conj, error) {
	if t.kind != "" && t.kind != "equalTo" {
		return nil, unsupported("%s on %s()", t.kind, name)
	}
	lit := ""
	if t.lf != nil {
		lit = t.lf.Value
	}
	if isLength(name) && !countable(p) {
		// Jayway's length() of a string, number or bool is null: a path
		// finding one fails, one finding several gives a list of nulls,
		// which WireMock takes for found (and equalTo "null" passes).
		if !t.indefinite {
			return nil, never("%s() of %s, a %s, is null (Jayway counts a list's elements or an object's keys)", name, p.path, kind(p))
		}
		if t.lf != nil && lit != "null" {
			return nil, never("%s() of each %s found is null, never %q (Jayway counts a list's elements or an object's keys)", name, kind(p), lit)
		}
		return (&pathTr{line: t.line}).leaf(p)
	}
	op, err := t.funcOp(name, p, "", lit, t.lf != nil)
	switch {
	case err != nil:
		return nil, err
	case op == nil:
		return []conj{{}}, nil // the element found has a length
	}
	return []conj{{{path: p.path, op: op}}}, nil
}

// isLength reports whether the function is length() or its other name.
func isLength(name string) bool { return name == "length" || name == "size" }

// countable reports whether Jayway's length() of the value at p is a
// number: a list's, a map's or a message's (its JSON object's keys).
func countable(p pos) bool {
	return !p.known || p.fd == nil || p.list() || p.isMap() || p.md != nil
}

// funcOp is the operator on the value at p that holds when the function
// name gives a value (cmp and lit ""), one whose text is lit (text), or
// one that compares so (cmp, a filter's) with the number lit; nil when
// it always holds (the element tested has a length).
func (t *pathTr) funcOp(name string, p pos, cmp, lit string, text bool) (*yaml.Node, error) {
	if isLength(name) {
		return t.countOp(name, p, cmp, lit, text)
	}
	if p.known {
		if !p.list() {
			return nil, never("%s() of %s, a %s (Jayway's %s() takes a list of numbers)", name, nonEmpty(p.path), kind(p), name)
		}
		switch p.fd.Kind() {
		case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind, protoreflect.Uint32Kind,
			protoreflect.Fixed32Kind, protoreflect.FloatKind, protoreflect.DoubleKind:
		case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
			return nil, never("%s() of %s, a %s, whose JSON holds strings (Jayway's %s() takes numbers only)", name, p.path, kind(p), name)
		default:
			return nil, never("%s() of %s, a %s (Jayway's %s() takes a list of numbers)", name, p.path, kind(p), name)
		}
	}
	op := native.Map(t.line)
	if cmp == "" && !text {
		native.Set(op, "present", native.Bool(t.line, true))
		return op, nil
	}
	inner := native.Map(t.line)
	var bound float64
	if cmp == "" {
		f, err := strconv.ParseFloat(lit, 64)
		switch {
		case err != nil:
			return nil, never("%s() is a number, never %q", name, lit)
		case math.IsInf(f, 0) || math.IsNaN(f):
			return nil, unsupported("%s() equalTo %q (the reader takes a finite number)", name, lit)
		case javatext.Double(f) != lit:
			return nil, never("%s() gives a double, which WireMock writes as %s: equalTo %q never matches", name, javatext.Double(f), lit)
		}
		bound = f
		native.Set(inner, "equal", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: lit, Line: t.line})
	} else {
		v, err := operand(lit, t.line)
		if err != nil || (v.Tag != "!!int" && v.Tag != "!!float") {
			return nil, unsupported("%s() %s %s (the reader compares %s() with a number)", name, cmp, lit, name)
		}
		bound, _ = strconv.ParseFloat(lit, 64)
		native.Set(inner, map[string]string{"==": "equal", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[cmp], v)
	}
	if name == "max" && bound <= math.SmallestNonzeroFloat64 {
		// Jayway's max() starts from Double.MIN_VALUE, so is never less.
		return nil, unsupported("max() tested with %s: Jayway's max() starts from Double.MIN_VALUE (4.9E-324), the least positive double, so it is never below it; the reader takes a bound above it", lit)
	}
	native.Set(op, name, inner)
	return op, nil
}

// countOp is funcOp's for length(): native len, of a list's elements, a
// map's entries or a message's fields set. Jayway finds no length where
// the JSON has no value, and the extension's JSON leaves out an empty
// list or map (not a message set to its zero value: {}).
func (t *pathTr) countOp(name string, p pos, cmp, lit string, text bool) (*yaml.Node, error) {
	switch {
	case p.known && p.fd == nil:
		return nil, unsupported("%s() of the request", name)
	case p.known && p.md != nil && wellKnown(p.md) && !p.list() && !p.isMap():
		return nil, unsupported("%s() of %s, a %s", name, nonEmpty(p.path), p.md.FullName())
	}
	self := p.path == "" // the element tested: there
	op := native.Map(t.line)
	if !self {
		native.Set(op, "present", native.Bool(t.line, true))
	}
	if cmp == "" && !text {
		if self {
			return nil, nil
		}
		return op, nil
	}
	word := "equalTo " + strconv.Quote(lit)
	if cmp != "" {
		word = cmp + " " + lit
	}
	n, err := strconv.Atoi(lit)
	switch {
	case cmp != "" && err != nil:
		return nil, unsupported("%s() %s (the reader compares %s() with a whole number)", name, word, name)
	case cmp == "" && (err != nil || n < 0):
		return nil, never("%s() is a count, never %q", name, lit)
	case (cmp == "" || cmp == "==") && n == 0 && (!p.known || p.list() || p.isMap()):
		return nil, never("%s() of a value the extension's JSON holds is never 0 (it leaves out empty ones)", name)
	case cmp == "" || cmp == "==":
		if n > 0 {
			op = native.Map(t.line) // a count above 0 is there
		}
		native.Set(op, "len", native.Int(t.line, n))
		return op, nil
	}
	c := native.Map(t.line)
	native.Set(c, map[string]string{">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[cmp], native.Int(t.line, n))
	native.Set(op, "len", c)
	return op, nil
}
