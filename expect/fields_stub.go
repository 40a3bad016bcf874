package expect

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// opKeys are the operators a stub's field test may use.
var opKeys = map[string]opKind{
	"equal": opEq, "regex": opRegex, "contains": opContains, "prefix": opPrefix, "suffix": opSuffix,
	"gt": opGt, "gte": opGte, "lt": opLt, "lte": opLte, "len": opLen,
	"present": opPresent, "absent": opAbsent, "anyOf": opAnyOf, "allOf": opAll, "unordered": opUnordered,
	"fields": opFields, "entries": opEntries, "someElement": opSome, "includes": opIncludes,
	"not": opNot, "sum": opSum, "min": opMin, "max": opMax, "avg": opAvg, "stddev": opStddev,
}

const opList = "equal, regex, contains, prefix, suffix, gt, gte, lt, lte, len, present, absent, anyOf, allOf, unordered, includes, someElement, not, fields, entries, sum, min, max, avg or stddev"

// fieldsMatcher reads a stub's "fields": a mapping from a field path to an
// operator (a scalar or a list is shorthand for equal), bound to md now so
// a bad path or operand names its line.
func (s Stub) fieldsMatcher(n *yaml.Node, field string, md protoreflect.MessageDescriptor) (*fieldsMatcher, error) {
	if n.Kind != yaml.MappingNode {
		return nil, s.errf(n, field, "want a mapping from a field path to an operator (%s)", opList)
	}
	f := &fieldsMatcher{}
	var p problems
	for i := 0; i+1 < len(n.Content); i += 2 {
		path, on := n.Content[i].Value, n.Content[i+1]
		where := field + "." + path
		op, err := s.op(on, where)
		if err != nil {
			// The operator is wrong; the path may be too.
			p.add(err)
			if _, _, perr := resolvePath(md, path); perr != nil {
				p.add(s.errf(n.Content[i], where, "%v", perr))
			}
			continue
		}
		c := fieldCheck{path: path, op: op}
		if _, err := bindCheck(c, md); err != nil {
			at := n.Content[i]
			if _, _, perr := resolvePath(md, path); perr == nil {
				at = on // the path is fine: the operand is wrong
			}
			p.add(s.errf(at, where, "%v", err))
			continue
		}
		f.checks = append(f.checks, c)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if len(f.checks) == 0 {
		return nil, s.errf(n, field, "no field tests: want a mapping from a field path to an operator (%s)", opList)
	}
	if err := f.bind(md); err != nil {
		return nil, s.errf(n, field, "%v", err)
	}
	return f, nil
}

// op reads one operator: a mapping of one or more operators (all must
// hold), or a scalar or list meaning equal.
func (s Stub) op(n *yaml.Node, field string) (*opSpec, error) {
	if n.Kind != yaml.MappingNode {
		raw, err := s.operand(n, field)
		if err != nil {
			return nil, err
		}
		return &opSpec{kind: opEq, operand: raw, text: string(raw)}, nil
	}
	var ops []*opSpec
	var p problems
	for i := 0; i+1 < len(n.Content); i += 2 {
		o, err := s.op1(n.Content[i], n.Content[i+1], field)
		if !p.add(err) {
			ops = append(ops, o)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	switch len(ops) {
	case 0:
		return nil, s.errf(n, field, "want an operator (%s)", opList)
	case 1:
		return ops[0], nil
	}
	return &opSpec{kind: opAll, subs: ops}, nil
}

// op1 reads one operator of a mapping: its key and its value.
func (s Stub) op1(kn, vn *yaml.Node, field string) (*opSpec, error) {
	key := kn.Value
	kind, ok := opKeys[key]
	if !ok {
		return nil, s.errf(kn, field, "unknown operator %q (want %s)", key, opList)
	}
	where := field + "." + key
	o := &opSpec{kind: kind}
	switch kind {
	case opPresent, opAbsent:
		if vn.Kind != yaml.ScalarNode || vn.Value != "true" {
			return nil, s.errf(vn, where, "want true")
		}
	case opRegex:
		if vn.Kind != yaml.ScalarNode {
			return nil, s.errf(vn, where, "want a regular expression")
		}
		re, err := regexp.Compile(vn.Value)
		if err != nil {
			return nil, s.errf(vn, where, "%v", err)
		}
		o.re, o.text = re, strconv.Quote(vn.Value)
	case opLen:
		if vn.Kind == yaml.MappingNode {
			// Operators on the count: {len: {gte: 2}}.
			sub, err := s.op(vn, where)
			if err != nil {
				return nil, err
			}
			o.n, o.subs = -1, []*opSpec{sub}
			break
		}
		k, err := strconv.Atoi(vn.Value)
		if vn.Kind != yaml.ScalarNode || err != nil || k < 0 {
			return nil, s.errf(vn, where, "want a count (0 or more), got %q", vn.Value)
		}
		o.n, o.text = k, vn.Value
	case opAnyOf, opAll:
		if vn.Kind != yaml.SequenceNode || len(vn.Content) == 0 {
			return nil, s.errf(vn, where, "want a list of operators")
		}
		var p problems
		for j, c := range vn.Content {
			if sub, err := s.op(c, fmt.Sprintf("%s[%d]", where, j)); !p.add(err) {
				o.subs = append(o.subs, sub)
			}
		}
		if err := p.err(); err != nil {
			return nil, err
		}
	case opSome, opNot, opSum, opMin, opMax, opAvg, opStddev:
		sub, err := s.op(vn, where)
		if err != nil {
			return nil, err
		}
		o.n, o.subs = -1, []*opSpec{sub}
	case opUnordered, opIncludes:
		// Each element's test, by the rule of a field's: a value means
		// equal, a mapping holds operators.
		if vn.Kind != yaml.SequenceNode {
			return nil, s.errf(vn, where, "want a list: one value or operator per element, in any order")
		}
		var p problems
		for j, c := range vn.Content {
			if sub, err := s.op(c, fmt.Sprintf("%s[%d]", where, j)); !p.add(err) {
				o.subs = append(o.subs, sub)
			}
		}
		if err := p.err(); err != nil {
			return nil, err
		}
	case opFields:
		// Field tests of a message value, bound with the field it tests.
		if vn.Kind != yaml.MappingNode {
			return nil, s.errf(vn, where, "want a mapping from a field path of the message to an operator (%s)", opList)
		}
		if len(vn.Content) == 0 {
			o.match = Anything() // no tests: any message, as an element of a list
			break
		}
		f := &fieldsMatcher{}
		var p problems
		for i := 0; i+1 < len(vn.Content); i += 2 {
			path := vn.Content[i].Value
			if sub, err := s.op(vn.Content[i+1], where+"."+path); !p.add(err) {
				f.checks = append(f.checks, fieldCheck{path: path, op: sub})
			}
		}
		if err := p.err(); err != nil {
			return nil, err
		}
		o.match = f
	case opEntries:
		// A test per key, by the rule of a field's: a value means equal,
		// a mapping holds operators.
		if vn.Kind != yaml.MappingNode || len(vn.Content) == 0 {
			return nil, s.errf(vn, where, "want a mapping from a map key to a value or operators")
		}
		var p problems
		for i := 0; i+1 < len(vn.Content); i += 2 {
			key := vn.Content[i].Value
			if sub, err := s.op(vn.Content[i+1], where+"."+key); !p.add(err) {
				o.keys, o.subs = append(o.keys, key), append(o.subs, sub)
			}
		}
		if err := p.err(); err != nil {
			return nil, err
		}
	default:
		raw, err := s.operand(vn, where)
		if err != nil {
			return nil, err
		}
		o.operand, o.text = raw, string(raw)
	}
	return o, nil
}

// operand is a YAML value as JSON.
func (s Stub) operand(n *yaml.Node, field string) (json.RawMessage, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, s.errf(n, field, "%v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, s.errf(n, field, "%v", err)
	}
	return b, nil
}

// listFields reads "fields" of a client stream or recvAll: one mapping of
// field tests per message, in order, alone or beside an equal or partial
// list of the same length.
func (s Stub) listFields(n *yaml.Node, field string, l *listDoc, md protoreflect.MessageDescriptor) (ListMatcher, error) {
	if l.Count != nil {
		return nil, s.errf(n, field, "fields already says how many messages: drop count")
	}
	others := l.Equal
	kind := "equal"
	if l.Partial != nil {
		if l.Equal != nil {
			return nil, s.errf(n, field, "give one of equal, partial or count")
		}
		others, kind = l.Partial, "partial"
	}
	if others != nil && len(others) != len(l.Fields) {
		return nil, s.errf(n, field, "fields has %d entries and %s %d: want one of each per message", len(l.Fields), kind, len(others))
	}
	ms := make([]Matcher, len(l.Fields))
	var p problems
	for i := range l.Fields {
		f, err := s.fieldsMatcher(&l.Fields[i], fmt.Sprintf("%s.fields[%d]", field, i), md)
		p.add(err)
		ms[i] = f
		if others != nil {
			msg, merr := s.message(&others[i], fmt.Sprintf("%s.%s[%d]", field, kind, i), md)
			if p.add(merr) || err != nil {
				continue
			}
			if kind == "equal" {
				ms[i] = and(Equal(msg), f)
			} else {
				ms[i] = and(Partial(msg), f)
			}
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return Messages(ms...), nil
}

// compileDyn reads priority and the scenario keys.
func (s Stub) compileDyn(e *expectation) error {
	d, n := s.src.doc, s.src.node
	var probs problems
	if present(d.Priority) {
		p, err := strconv.Atoi(d.Priority.Value)
		if d.Priority.Kind != yaml.ScalarNode || err != nil {
			probs.add(s.errf(&d.Priority, "priority", "want an integer (higher is tried first), got %q", d.Priority.Value))
		}
		e.priority = p
	}
	if d.Scenario == "" {
		for _, k := range []string{"whenState", "setState"} {
			if c := mapChild(n, k); c != nil {
				probs.add(s.errf(c, k, "needs scenario: the name of the state machine it belongs to"))
			}
		}
		return probs.err()
	}
	e.scenario, e.whenState, e.setState = d.Scenario, d.WhenState, d.SetState
	return probs.err()
}
