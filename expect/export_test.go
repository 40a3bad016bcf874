package expect

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// StubFields lists the fields of each part of the stub format, by the name
// stub.schema.json gives the part under $defs.
func StubFields() map[string][]string {
	out := map[string][]string{}
	for name, v := range map[string]any{
		"stub": stubDoc{}, "match": matchDoc{}, "messages": listDoc{},
		"status": statusDoc{}, "step": stepDoc{}, "metadataMatch": mdMatchDoc{},
		"abort": abortDoc{}, "oversized": oversizeDoc{},
	} {
		t := reflect.TypeOf(v)
		var fields []string
		for i := range t.NumField() {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			fields = append(fields, tag)
		}
		slices.Sort(fields)
		out[name] = fields
	}
	return out
}

// PickBoth returns the ID of the expectation a request would use, found
// through the method's index and by trying every expectation, and whether
// the method has an index.
func PickBoth(m *Mock, method string, req proto.Message) (indexed, scanned string, hasIndex bool) {
	m.mu.RLock()
	set := m.byMethod[method]
	m.mu.RUnlock()
	set.mu.Lock()
	defer set.mu.Unlock()
	got := []proto.Message{req}
	id := func(e *expectation) string {
		if e == nil {
			return ""
		}
		return e.id
	}
	wire, _ := proto.Marshal(req) // as a client sends it
	indexed = id(set.pick(nil, got, wire, false))
	return indexed, id(set.pickScan(nil, got, wire, false)), set.idx != nil
}

// RenderBoth renders a template for a request the fast way (when the
// template is simple enough for it) and through text/template.
func RenderBoth(text string, req proto.Message) (fast, slow string, isFast bool, err error) {
	in := req.ProtoReflect().Descriptor()
	t, err := parseTemplate("t", text, tmplEnv{in: in, method: "/a.B/C"})
	if err != nil {
		return "", "", false, err
	}
	d := &tmplData{in: in, got: []proto.Message{req}, method: "/a.B/C", hit: 3, index: 2}
	slow, err = (&tmpl{t: t.t, where: t.where}).render(d)
	if t.fast != nil {
		fast = renderFast(t.fast, d)
	}
	return fast, slow, t.fast != nil, err
}

// MatchWire is m's answer for got, a message that arrived as wire, and
// whether the bytes alone answered it (Equal's fast path).
func MatchWire(m Matcher, got proto.Message, wire []byte) (match, byBytes bool) {
	if e, ok := m.(equalMatcher); ok {
		w, name := e.wire()
		byBytes = w != nil && wire != nil && string(w) == string(wire) &&
			got.ProtoReflect().Descriptor().FullName() == name
		e.fast.uses.Add(1) // past the first use, so matchWith takes the fast path
	}
	return matchWith(m, got, wire), byBytes
}

// NodeJSON is the JSON appendNodeJSON writes for a YAML value, and the JSON
// yaml's decoder and encoding/json make of it; ok says appendNodeJSON wrote
// it.
func NodeJSON(src string) (fast, slow []byte, ok bool, err error) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(src), &root); err != nil || len(root.Content) == 0 {
		return nil, nil, false, err
	}
	n := root.Content[0]
	fast, ok = appendNodeJSON(nil, n, 0)
	var v any
	if err := n.Decode(&v); err != nil {
		return fast, nil, ok, err
	}
	slow, err = json.Marshal(v)
	return fast, slow, ok, err
}

// EqualWireMade reports whether an Equal matcher has made its fast path.
func EqualWireMade(m Matcher) bool {
	e, ok := m.(equalMatcher)
	return ok && e.fast.made.Load()
}

// BindField binds one field test to md, as an expectation does when it
// learns its method.
func BindField(path string, op Op, md protoreflect.MessageDescriptor) error {
	_, err := bindCheck(fieldCheck{path, op.spec()}, md)
	return err
}
