package expect_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"

	_ "github.com/grpcdouble/grpcdouble/examples/routeguide" // routeguide methods resolve from the compiled types
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Fuzz the parsers for longer with, one target at a time:
//
//	go test -run XXX -fuzz FuzzParseStubs -fuzztime 10m ./expect/
//	go test -run XXX -fuzz FuzzRequestJSON -fuzztime 10m ./expect/
//
// The seeds under testdata/fuzz/ run with every plain go test.

const echoMethod = "/echo.v1.EchoService/Echo"

// echoMethods resolves the echo.v1 service, parsed from its .proto at run
// time (dynamic messages with a oneof, a map, an enum, bytes and a
// Timestamp), once per process.
var echoMethods = sync.OnceValues(func() (methodMap, error) {
	sds, err := mockserver.ProtoFiles([]string{"../testdata/protos"}, "echo/v1/echo.proto").Services(context.Background())
	if err != nil {
		return nil, err
	}
	mm := methodMap{}
	for _, sd := range sds {
		for i := range sd.Methods().Len() {
			md := sd.Methods().Get(i)
			mm["/"+string(sd.FullName())+"/"+string(md.Name())] = md
		}
	}
	return mm, nil
})

type methodMap map[string]protoreflect.MethodDescriptor

func (m methodMap) Method(name string) (protoreflect.MethodDescriptor, error) {
	full, err := mockserver.NormalizeMethod(name)
	if err != nil {
		return nil, err
	}
	if md, ok := m[full]; ok {
		return md, nil
	}
	return nil, mockserver.ErrUnknownMethod
}

func fuzzResolver(f *testing.F) methodMap {
	f.Helper()
	res, err := echoMethods()
	if err != nil {
		f.Fatal(err)
	}
	return res
}

// Any stub file (YAML or JSON) parses into stubs or fails with an
// ErrStubFile error naming the file; never a panic. Stubs that parse can be
// added to a Mock, and Explain answers for their methods.
func FuzzParseStubs(f *testing.F) {
	res := fuzzResolver(f)
	f.Add([]byte("- method: routeguide.RouteGuide/GetFeature\n  response: {name: x}\n"))
	// Templates and field matchers (issue 15).
	f.Add([]byte("- method: routeguide.RouteGuide/GetFeature\n  request: {fields: {latitude: {gt: 0, lt: 9}, longitude: {anyOf: [1, {gte: 5}]}}}\n" +
		"  headers: {x-t: '{{ header \"x-t\" | upper }}'}\n  response: {name: '{{ .Request.latitude }}', location: {latitude: '{{ add .Hit 1 }}'}}\n"))
	f.Add([]byte("- method: routeguide.RouteGuide/ListFeatures\n  priority: 3\n  scenario: s\n  whenState: A\n  setState: B\n" +
		"  responses: {template: '[{{ range until 3 }}{\"name\": \"{{ . }}\"},{{ end }}{}]'}\n"))
	f.Add([]byte("- method: echo.v1.EchoService/Echo\n  request: {partial: {note: \"\"}, fields: {envelope.labels: {contains: a}, mood: MOOD_HAPPY, payload: {absent: true}}}\n" +
		"  response: {template: '{\"message\": \"{{ .Request.message }}\", \"seen\": [{{ range $k, $v := .Request.envelope.labels }}\"{{ $k }}\",{{ end }}\"x\"]}'}\n"))
	f.Add([]byte("- method: echo.v1.EchoService/Chat\n  steps:\n    - recv: {fields: {message: {regex: \"^a\", len: 3}}}\n    - send: {message: '{{ .Message.message }} {{ .Index }}'}\n" +
		"    - status: {code: NOT_FOUND, message: '{{ .Method }}'}\n"))
	f.Add([]byte("- method: echo.v1.EchoService/Collect\n  requests: {fields: [{message: {prefix: a}}, {envelope.sentAt: {gt: \"2024-01-01T00:00:00Z\"}}]}\n" +
		"  response: {index: '{{ len .Requests }}'}\n"))
	f.Add([]byte("- method: echo.v1.EchoService/Echo\n  response: {}\n  then:\n    - putStubs:\n        - template: {id: 'e-{{ .Request.message }}', method: echo.v1.EchoService/Echo, request: {partial: {message: '{{ .Request.message }}'}}, response: {message: '{{ `{{ .Request.message }}` }}'}}\n" +
		"    - deleteStubs: ['d-{{ .Request.message }}']\n"))
	f.Add([]byte("- method: echo.v1.EchoService/Chat\n  steps:\n    - forEach:\n        - recv: {any: true}\n          send: {message: '{{ .Message.message }}'}\n          then: [{deleteStubs: ['x{{ .Index }}']}]\n"))
	f.Add([]byte("- method: echo.v1.EchoService/Chat\n  steps:\n    - forEach:\n        - recv: {any: true}\n          steps: [{send: {message: a}}, {delay: 1ms}, {status: {code: ABORTED}}, {recv: {any: true}}]\n"))
	f.Add([]byte("- method: echo.v1.EchoService/Chat\n  steps:\n    - forEach:\n        - recv: {any: true}\n          answers: [{send: {message: a}}, {steps: [{delay: 1ms}]}, {status: {code: 5}, recv: {}}, {}]\n          status: {code: NOT_FOUND, message: '{{ add .MessageIndex 1 }}'}\n"))
	// fields and entries on message values, regex on bytes.
	f.Add([]byte("- method: echo.v1.EchoService/Echo\n  request: {fields: {envelope: {fields: {labels: {entries: {a: {regex: \"^x\"}, b: c}}}}, payload: {regex: \"^AA\"}}}\n  response: {}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		stubs, err := expect.ParseStubs(name, data, res)
		if err != nil {
			if !errors.Is(err, expect.ErrStubFile) {
				t.Fatalf("error does not wrap ErrStubFile: %v", err)
			}
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		m := expect.NewMock(expect.WithResolver(res))
		if _, err := m.AddStubs(stubs...); err != nil {
			if !errors.Is(err, expect.ErrStubFile) {
				t.Fatalf("AddStubs error does not wrap ErrStubFile: %v", err)
			}
			return
		}
		for _, s := range stubs {
			if !strings.HasPrefix(s.Source(), name+":") {
				t.Fatalf("stub source %q does not name the file", s.Source())
			}
			_, _ = m.Explain(s.Method, nil, nil)
		}
		_ = m.Verify()
	})
}

// WithRequestJSON accepts a protojson object or reports a setup error; a
// request it accepts always matches itself (a message has every field it
// has), and any request JSON gets an answer or an error, never a panic. For
// a compiled type (routeguide.Point) and a dynamic one (echo.v1.EchoRequest).
func FuzzRequestJSON(f *testing.F) {
	res := fuzzResolver(f)
	f.Add(`{"message": "hi", "envelope": {"labels": {"a": "b"}}}`, `{"message": "hi", "mood": "MOOD_HAPPY"}`)
	f.Fuzz(func(t *testing.T, matcher, request string) {
		for _, method := range []string{echoMethod, "/routeguide.RouteGuide/GetFeature"} {
			m := expect.NewMock(expect.WithResolver(res))
			m.Unary(method).WithRequestJSON(matcher).ReturnError(codes.NotFound, "fuzz")
			setupErr := m.Err()
			x, err := m.Explain(method, []byte(request), nil)
			if err == nil && setupErr != nil && x.Match != "" {
				t.Fatalf("%s: an expectation with a setup error matched: %v", method, setupErr)
			}
			if setupErr != nil {
				continue
			}
			if strings.HasPrefix(strings.TrimSpace(matcher), "[") {
				t.Fatalf("%s: WithRequestJSON accepted a list: %s", method, matcher)
			}
			self, err := m.Explain(method, []byte(matcher), nil)
			if err != nil {
				t.Fatalf("%s: WithRequestJSON accepted %q but Explain cannot parse it: %v", method, matcher, err)
			}
			if self.Match == "" {
				t.Fatalf("%s: request %s does not match itself: %v", method, matcher, self)
			}
		}
	})
}

// Messages in stub files are turned into JSON straight from their YAML
// nodes where that is plain; whenever it is, the JSON means what yaml's
// decoder and encoding/json make of the same value.
func FuzzNodeJSON(f *testing.F) {
	for _, s := range []string{
		"{name: a, location: {latitude: 1, longitude: -2}}", "[1, -0, 01, 0x1f, 1.5, 1e3, .inf]",
		"{a: 'quoted \"x\"', b: \"tab\\t\\u0001\", c: |\n  block\n  text\n}", "{a: ~, b: null, c: true, d: True, e: yes}",
		"{a: 1, a: 2}", "{? [x] : 1}", "{<<: {a: 1}, b: 2}", "- &x {a: 1}\n- *x\n", "{a: !!str 12, b: !!binary aGk=}",
		"{a: 123456789012345678, b: 1234567890123456789, c: -9}", "{a: 2024-05-01T12:00:00Z, b: '2024-05-01'}",
		"{\"@type\": type.googleapis.com/x, ü: \"\\xff\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		fast, slow, ok, err := expect.NodeJSON(src)
		if !ok || err != nil {
			return // the longer way is taken
		}
		var a, b any
		if err := json.Unmarshal(fast, &a); err != nil {
			t.Fatalf("%q: wrote %s, not JSON: %v", src, fast, err)
		}
		if err := json.Unmarshal(slow, &b); err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%q: wrote %s, yaml and encoding/json make %s", src, fast, slow)
		}
	})
}
