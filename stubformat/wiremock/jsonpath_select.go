package wiremock

// JSON path steps finding several values: slices and unions of a list's
// elements, unions of names, and [*] on a message.

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

// pick is one element a slice or a union may find: the element at index
// (from the end when negative), there when the list has minLen elements.
type pick struct{ index, minLen int }

func pickAt(i int) pick {
	if i < 0 {
		return pick{i, -i}
	}
	return pick{i, i + 1}
}

// maxPicks bounds the elements a slice names.
const maxPicks = 64

// slice reads [a:b], [a:] or [:b] as Jayway 2.9 evaluates it: [a:b] is
// the indexes from a (taken as is, so a negative one counts from the end)
// to below b and below the list's length; [a:] from a (from the end when
// negative) to the end; [:b] from 0 to below b (b from the end when
// negative). The reader takes those naming at most 64 indexes fixed from
// one end of the list.
func slice(inner string) (pathSeg, error) {
	from, to, _ := strings.Cut(inner, ":")
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	num := func(t string) (int, bool, error) {
		if t == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(t)
		if err != nil || strings.Contains(t, "+") {
			return 0, false, fmt.Errorf("the slice [%s] (want [a:b], [a:] or [:b] with whole numbers)", inner)
		}
		return n, true, nil
	}
	a, hasA, err := num(from)
	if err != nil {
		return pathSeg{}, err
	}
	b, hasB, err := num(to)
	if err != nil {
		return pathSeg{}, err
	}
	var picks []pick
	switch {
	case !hasA && !hasB:
		return pathSeg{}, fmt.Errorf("the slice [%s] (Jayway wants a bound on one side at least)", inner)
	case hasA && !hasB && a == 0:
		return pathSeg{kind: segAll}, nil
	case hasA && !hasB && a > 0:
		return pathSeg{}, unsupported("the slice [%s] (every element from %d on: the reader takes [-n:], the last n)", inner, a)
	case hasA && !hasB:
		for i := -1; i >= a; i-- {
			picks = append(picks, pickAt(i))
		}
	case !hasA && b < 0:
		return pathSeg{}, unsupported("the slice [%s] (every element but the last %d: the reader takes [:n], the first n)", inner, -b)
	case !hasA:
		a = 0
		fallthrough
	default:
		if b-a > maxPicks {
			return pathSeg{}, unsupported("the slice [%s] of more than %d elements", inner, maxPicks)
		}
		for i := a; i < b; i++ {
			picks = append(picks, pickAt(i))
		}
	}
	if len(picks) > maxPicks {
		return pathSeg{}, unsupported("the slice [%s] of more than %d elements", inner, maxPicks)
	}
	return pathSeg{kind: segPicks, picks: picks, name: "[" + inner + "]"}, nil
}

// quotedName is the name in 'name' or "name", or "".
func quotedName(s string) string {
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return ""
	}
	if name := s[1 : len(s)-1]; identRe.FindString(name) == name {
		return name
	}
	return ""
}

// union reads [0,1] (elements) or ['a','b'] (fields, or a map's keys).
func union(inner string) (pathSeg, error) {
	parts := splitTop(inner, ",")
	if len(parts) > maxPicks {
		return pathSeg{}, unsupported("a union of more than %d", maxPicks)
	}
	var names []string
	var picks []pick
	for _, part := range parts {
		part = strings.TrimSpace(part)
		if name := quotedName(part); name != "" {
			names = append(names, name)
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || strings.Contains(part, "+") {
			return pathSeg{}, fmt.Errorf("the union [%s] (want indexes [0,1] or quoted names ['a','b'])", inner)
		}
		picks = append(picks, pickAt(n))
	}
	switch {
	case names != nil && picks != nil:
		return pathSeg{}, fmt.Errorf("the union [%s] mixes indexes and names", inner)
	case names != nil:
		return pathSeg{kind: segNames, names: names, name: "[" + inner + "]"}, nil
	}
	return pathSeg{kind: segPicks, picks: picks, name: "[" + inner + "]"}, nil
}

// picks translates a slice or a union of indexes: some element it finds
// passes the rest of the path, each an alternative.
func (t *pathTr) picks(s pathSeg, rest []pathSeg, p pos) ([]conj, error) {
	switch {
	case p.known && !p.list():
		return nil, never("%s is not a list, so %s finds nothing", nonEmpty(p.path), s.name)
	case p.path == "":
		return nil, unsupported("%s on the request", s.name)
	case len(s.picks) == 0:
		return nil, never("the slice %s finds no element (Jayway goes from the first bound up to below the second)", s.name)
	}
	t.indefinite = true
	var out []conj
	for _, pk := range s.picks {
		e := elemPos(p)
		e.path = fmt.Sprintf("%s[%d]", p.path, pk.index)
		more, err := t.walk(rest, e)
		if err != nil {
			return nil, err
		}
		there := native.Map(t.line)
		atLeast := native.Map(t.line)
		native.Set(atLeast, "gte", native.Int(t.line, pk.minLen))
		native.Set(there, "len", atLeast)
		alts, err := cross([]conj{{{path: p.path, op: there}}}, more)
		if err != nil {
			return nil, err
		}
		if out = append(out, alts...); len(out) > maxAlternatives {
			return nil, unsupported("%s making more than %d alternatives", s.name, maxAlternatives)
		}
	}
	return out, nil
}

// names translates a union of names: ending the path, Jayway merges the
// fields found into one object, found when it holds one; before more of
// the path, it goes on from each field in turn.
func (t *pathTr) names(s pathSeg, rest []pathSeg, p pos) ([]conj, error) {
	if len(rest) == 0 && t.lf != nil {
		return nil, unsupported("%s on %s, which Jayway merges into one object (WireMock compares its JSON text)", t.kind, s.name)
	}
	if len(rest) > 0 {
		t.indefinite = true
	}
	var out []conj
	var first error
	for _, name := range s.names {
		alts, nv, err := t.walkField(name, rest, p)
		switch {
		case err != nil:
			return nil, err
		case nv != nil:
			// That field is never there: the others may be.
			first = cmp.Or(first, nv)
			continue
		}
		if out = append(out, alts...); len(out) > maxAlternatives {
			return nil, unsupported("%s making more than %d alternatives", s.name, maxAlternatives)
		}
	}
	if out == nil {
		return nil, first
	}
	return out, nil
}

// walkField translates rest after the field name of p. never, not err,
// is the error when the path never matches there: a union or [*] on a
// message goes on with its other fields then.
func (t *pathTr) walkField(name string, rest []pathSeg, p pos) (alts []conj, never, err error) {
	alts, err = t.walk(append([]pathSeg{{kind: segField, name: name}}, rest...), p)
	if pe := (*pathErr)(nil); errors.As(err, &pe) && pe.never {
		return nil, err, nil
	}
	return alts, nil, err
}

// fieldValues translates [*] on a message, a JSON object: Jayway finds
// the values of its fields set, one of which must pass the rest of the
// path, each field an alternative.
func (t *pathTr) fieldValues(p pos, rest []pathSeg) ([]conj, error) {
	fields := p.md.Fields()
	var out []conj
	var first error
	for i := range fields.Len() {
		fd := fields.Get(i)
		if len(rest) == 0 && t.lf != nil && t.kind != "absent" {
			fits, err := t.valueFits(fd, join(p.path, fd.JSONName()))
			if err != nil {
				return nil, err
			}
			if !fits {
				continue
			}
		}
		alts, nv, err := t.walkField(fd.JSONName(), rest, p)
		switch {
		case err != nil:
			return nil, err
		case nv != nil:
			first = cmp.Or(first, nv)
			continue
		}
		if len(rest) == 0 && t.lf != nil && t.kind != "absent" {
			// Only the fields the JSON holds are found: not one left
			// out as zero, which equalTo "0" or matches ".*" would pass.
			there := native.Map(t.line)
			native.Set(there, "present", native.Bool(t.line, true))
			for i := range alts {
				alts[i] = append(alts[i], fieldTest{path: join(p.path, fd.JSONName()), op: there})
			}
		}
		if out = append(out, alts...); len(out) > maxAlternatives {
			return nil, unsupported("[*] on %s making more than %d alternatives", nonEmpty(p.path), maxAlternatives)
		}
	}
	switch {
	case out != nil:
		return out, nil
	case first != nil:
		return nil, first
	}
	return nil, never("no field of %s can be %s %q", nonEmpty(p.path), t.kind, t.lf.Value)
}

// valueFits reports whether the object form's equalTo may hold for the
// value of fd that [*] on a message finds, as WireMock compares its text:
// a list's or a message's is JSON text, which the reader does not test.
func (t *pathTr) valueFits(fd protoreflect.FieldDescriptor, path string) (bool, error) {
	v := t.lf.Value
	composite := fd.IsList() || fd.IsMap() || fd.Message() != nil
	switch {
	case !fd.IsList() && !fd.IsMap() && fd.Message() != nil && wellKnown(fd.Message()):
		return false, unsupported("%s on [*], which finds %s, a %s", t.kind, path, fd.Message().FullName())
	case composite && t.kind == "equalTo" && !strings.HasPrefix(v, "[") && !strings.HasPrefix(v, "{"):
		return false, nil // JSON text starts so
	case composite:
		return false, unsupported("%s on [*], which finds %s, a %s (WireMock compares its JSON text)", t.kind, path, fieldKindText(fd))
	case t.kind != "equalTo":
		return true, nil
	}
	var err error
	switch fd.Kind() {
	case protoreflect.StringKind:
	case protoreflect.BoolKind:
		if v != "true" && v != "false" {
			return false, nil
		}
	case protoreflect.EnumKind:
		return fd.Enum().Values().ByName(protoreflect.Name(v)) != nil, nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		_, err = strconv.ParseInt(v, 10, 32)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		_, err = strconv.ParseInt(v, 10, 64)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		_, err = strconv.ParseUint(v, 10, 32)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		_, err = strconv.ParseUint(v, 10, 64)
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		_, err = strconv.ParseFloat(v, 64)
	case protoreflect.BytesKind:
		_, err = base64.StdEncoding.DecodeString(v)
	}
	return err == nil, nil
}
