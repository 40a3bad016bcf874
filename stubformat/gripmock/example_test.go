package gripmock_test

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/stubformat/gripmock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Read turns a gripmock stub into a native one, naming its source line.
func ExampleRead() {
	src := `
- service: helloworld.Greeter
  method: SayHello
  input:
    equals: {name: gripmock}
  output:
    data: {message: Hello GripMock}
`
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		panic(err)
	}
	res := gripmock.Read("greeter.yaml", &root, nil)
	out, err := yaml.Marshal(res.Stubs[0].Node)
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output:
	// # from greeter.yaml:2
	// method: /helloworld.Greeter/SayHello
	// request:
	//     fields:
	//         name: gripmock
	// response: {message: Hello GripMock}
}

func TestProblemsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"- service: S\n  method: M\n  input:\n    glob:\n      items: [{name: a}, {name: b}]\n  output: {data: {}}\n", "f.yaml:5: input.glob.items: a glob on a list never matches (gripmock's glob tests text and the fields of messages, not lists): use matches, with a pattern per element"},
		{"- service: S\n  method: M\n  input:\n    matches:\n      items: [{name: a}, b]\n  output: {data: {}}\n", "f.yaml:5: input.matches.items[1]: a pattern on a message never matches (gripmock tests patterns against text): name the fields inside, matches: {items: [{field: pattern}]}"},
		{"- service: S\n  method: M\n  input:\n    matches: {ids: [\"a\", \"(\"]}\n  output: {data: {}}\n", "f.yaml:4: input.matches.ids[1]: invalid regular expression \"(\": error parsing regexp: missing closing ): `(`"},
		{"- service: S\n  method: M\n  input:\n    ignoreArrayOrder: true\n    equals:\n      items:\n        - {tags: [a, b]}\n  output: {data: {}}\n", "f.yaml:7: input.equals.items[0]: not supported yet: ignoreArrayOrder on a list whose elements hold lists, without the method's descriptors (give --proto or --protoset)"},
		{"- service: S\n  method: M\n  input:\n    glob: {name: \"[a\"}\n  output: {data: {}}\n", "f.yaml:4: input.glob.name: invalid glob pattern \"[a\": unclosed ["},
		{"- service: S\n  method: M\n  input:\n    matches: {name: \"(\"}\n  output: {data: {}}\n", "f.yaml:4: input.matches.name: invalid regular expression \"(\": error parsing regexp: missing closing ): `(`"},
		{"- service: S\n  method: M\n  input:\n    anyOf:\n      - anyOf: []\n  output: {data: {}}\n", "f.yaml:5: input.anyOf[0].anyOf: unknown matcher (want equals, contains, matches, glob, ignoreArrayOrder (anyOf does not nest))"},
		{"- service: S\n  method: M\n  input:\n    equals:\n      ids: [{{ .Request.id }}]\n  output: {data: {}}\n", "f.yaml:5: input.equals.ids: holds a template YAML reads as a mapping ({{ ... }} unquoted): quote it, as gripmock compares a matcher's template as text"},
		{"- service: S\n  method: M\n  output: {data: {name: \"{{ .Request.name | shout }}\"}}\n", "f.yaml:3: output.data.name: unknown gripmock template function \"shout\""},
		{"- service: S\n  method: M\n  output: {data: {name: \"{{ .MaxAttempts.n }}\"}}\n", "f.yaml:3: output.data.name: gripmock's .MaxAttempts is a number: it has no field n"},
		{"- service: S\n  method: M\n  output: {delay: \"{{ backof 1 }}\", data: {}}\n", "f.yaml:3: output.delay: unknown gripmock template function \"backof\""},
		{"- service: S\n  method: M\n  output: {data: {name: \"{{ \\\"-\\\" | join .Request.tags }}\"}}\n", "f.yaml:3: output.data.name: not supported yet: gripmock's join other than join LIST SEP"},
		{"- service: S\n  method: M\n  output: {data: {name: \"{{ .Stub }}\"}}\n", "f.yaml:3: output.data.name: gripmock's templates have no data .Stub (they have Request, Requests, Headers, MessageIndex, RequestTime, Timestamp, State, AttemptNumber, AttemptIndex, MaxAttempts, TotalAttempts, StubID and RequestID)"},
		{"- service: S\n  method: M\n  output: {data: {name: \"{{ round 1.5 2 }}\"}}\n", "f.yaml:3: output.data.name: gripmock's round takes one number: round NUMBER or NUMBER | round"},
		{"- service: S\n  method: M\n  session: [a]\n  output: {data: {}}\n", "f.yaml:3: session: want a session name"},
		{"- service: S\n  method: M\n  options: {times: -1}\n  output: {data: {}}\n", "f.yaml:3: options.times: want a count, 0 or more, got \"-1\""},
		{"- service: S\n  method: M\n  output: {code: 99}\n", "f.yaml:3: output.code: want a gRPC status code 0-16, got \"99\""},
		{"- service: S\n  method: M\n  output: {delay: soon, data: {}}\n", "f.yaml:3: output.delay: want a duration like 100ms or 2.5s, or a template giving one, got \"soon\""},
		{"- service: S\n  method: M\n  output: {details: [{reason: x}], code: 3}\n", "f.yaml:3: output.details[0]: want a type, e.g. type.googleapis.com/google.rpc.ErrorInfo"},
		{"- method: M\n  output: {data: {}}\n", "f.yaml:1: service: is required: the gRPC service, e.g. helloworld.Greeter"},
	} {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(tc.src), &root); err != nil {
			t.Fatal(err)
		}
		res := gripmock.Read("f.yaml", &root, nil)
		if len(res.Problems) == 0 || res.Problems[0].Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.src, res.Problems, tc.want)
		}
		if len(res.Stubs) != 0 {
			t.Errorf("%q: a stub with a problem was kept", tc.src)
		}
	}
}

// .MaxAttempts and .TotalAttempts are the stub's options.times, written in
// as text where they stand alone; a value that would be no template any
// more stays one.
func TestMaxAttemptsIsTheStubsTimes(t *testing.T) {
	for _, tc := range []struct{ times, tmpl, want string }{
		{"4", "{{ .AttemptNumber }} of {{ .TotalAttempts }}", "{{.Hit}} of 4"},
		{"4", "{{ if lt .AttemptNumber .MaxAttempts }}more{{ else }}last of {{ .MaxAttempts }}{{ end }}", "{{if ltf .Hit 4}}more{{else}}last of 4{{end}}"},
		{"0", "{{ .MaxAttempts }}", "{{0}}"},
		{"2", "{{ .MaxAttempts }}s", "{{2}}s"},
	} {
		src := "- service: S\n  method: M\n  options: {times: " + tc.times + "}\n  output: {data: {name: '" + tc.tmpl + "'}}\n"
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(src), &root); err != nil {
			t.Fatal(err)
		}
		res := gripmock.Read("f.yaml", &root, nil)
		if len(res.Problems) != 0 || len(res.Stubs) != 1 {
			t.Fatalf("%s: %v", tc.tmpl, res.Problems)
		}
		var got struct {
			Response struct{ Name string }
		}
		if err := res.Stubs[0].Node.Decode(&got); err != nil {
			t.Fatal(err)
		}
		if got.Response.Name != tc.want {
			t.Errorf("%s with times %s: got %q, want %q", tc.tmpl, tc.times, got.Response.Name, tc.want)
		}
	}
}
