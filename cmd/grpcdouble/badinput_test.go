package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grpcdouble/grpcdouble/admin"
	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/internal/boundedfile"
	"github.com/grpcdouble/grpcdouble/internal/verifytest"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
)

// catalogTimeout bounds each row that runs the command (an admin request
// is bounded by adminHTTP's callTimeout).
const catalogTimeout = 20 * time.Second

// badInputRow is one bad input, what consumes it, and the exact error it
// gets. Exactly one of args, act and admin is set.
type badInputRow struct {
	name string

	// args: run(ctx, args, ...) must fail (or, with serves, serve and log).
	args   []string
	exit   int  // exitCode(err) for args rows: 2 usage, 1 otherwise
	serves bool // the input is tolerated: run serves, and logs want

	// act: a library call that must fail.
	act func(t *testing.T) error

	// admin: a request to the admin API of a running "grpcdouble serve".
	admin  *adminCall
	status int // the admin answer's HTTP status

	wantIs []error  // sentinels the error wraps
	want   []string // substrings of the error (admin: of the JSON "error"; serves: of the log)
}

type adminCall struct {
	// header is set on the request after Content-Type: application/yaml
	// (for a body); "" removes a header, and "Host" sets the Host.
	header             map[string]string
	method, path, body string
}

// recordingTB is the expect.TB a Mock reports to: it records, so a row can
// assert on the report without failing the test.
type recordingTB struct {
	mu       sync.Mutex
	errs     []string
	fatals   []string
	cleanups []func()
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// reported checks the Mock reported err on the fake test, with Errorf and
// never Fatalf, and returns err for the row to assert on.
func (r *recordingTB) reported(t *testing.T, err error) error {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fatals) > 0 {
		t.Errorf("the Mock called Fatalf: %q", r.fatals)
	}
	if err == nil {
		return nil
	}
	got := strings.Join(r.errs, "\n")
	if !strings.Contains(got, err.Error()) {
		t.Errorf("the Mock did not report its error on the test:\nreported: %q\nerror:    %q", got, err)
	}
	return err
}

// TestBadInputCatalog: every bad input a user can give grpcdouble (files,
// flags, expectations, cassettes, admin API bodies, TLS material) gets an
// error naming the file, line, field, flag or method at fault, and never a
// panic.
func TestBadInputCatalog(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	dir := t.TempDir()
	protoDir := filepath.Join(root, "testdata/protos")
	routeProtos := filepath.Join(root, "testdata/standalone/protos")
	inventoryCassette := filepath.Join(root, "testdata/cassettes/inventory.cassette")
	inventoryAddr := verifytest.Start(t, verifytest.New())
	echoProtoset := filepath.Join(root, "testdata/protosets/echo.protoset")
	serve := func(extra ...string) []string {
		return append([]string{"serve", "--listen", "127.0.0.1:0", "--proto", routeProtos}, extra...)
	}
	file := func(name, data string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, data)
		return p
	}

	// Stub files.
	stubBadYAML := file("bad-yaml.yaml", `- method: /routeguide.RouteGuide/GetFeature
  response:
    name: x
   location: {latitude: 1}
`)
	stubBadJSON := file("bad-json.json", `[
  {"method": "/routeguide.RouteGuide/GetFeature",
   "response": {"name": "x"}
]
`)
	stubUnknownField := file("unknown-field.yaml", `- method: /routeguide.RouteGuide/GetFeature
  response:
    name: x
    colour: red
`)
	stubUnknownKey := file("unknown-key.yaml", `- method: /routeguide.RouteGuide/GetFeature
  respnse: {name: x}
`)
	stubManyProblems := file("many-problems.yaml", `- method: /routeguide.RouteGuide/GetFeature
  respnse: {name: x}
  delay: soon
  request:
    equal: {latitude: north, altitude: 3}
  status: {code: NOPE}
`)
	stubRenamedKey := file("renamed-key.yaml", `- method: /routeguide.RouteGuide/RouteChat
  steps:
    - send: {message: hi}
    - sendHeaders: true
`)
	stubWrongType := file("wrong-type.yaml", `- method: /routeguide.RouteGuide/GetFeature
  response:
    name: x
    location: {latitude: north}
`)
	stubUnknownMethod := file("unknown-method.yaml", `# a typo in the method
- method: /routeguide.RouteGuide/GetFeatur
  response: {name: x}
`)
	stubUnknownService := file("unknown-service.yaml", `- method: /nope.v1.Nope/Do
  response: {}
`)
	stubBadFieldPath := file("bad-field-path.yaml", `- method: /routeguide.RouteGuide/GetFeature
  request:
    fields:
      location.latitude: {gt: 0}
  response: {}
`)
	stubBadOperand := file("bad-operand.yaml", `- method: /routeguide.RouteGuide/GetFeature
  request:
    fields:
      latitude: {gte: [1, 2]}
  response: {}
`)
	stubBadFieldRegex := file("bad-field-regex.yaml", `- method: /routeguide.RouteGuide/RouteChat
  steps:
    - recv: {fields: {message: {regex: "[a-"}}}
`)
	stubUnorderedScalar := file("unordered-scalar.yaml", `- method: /routeguide.RouteGuide/GetFeature
  request:
    fields:
      latitude: {unordered: [1, 2]}
  response: {}
`)
	stubFieldsOnScalar := file("fields-on-scalar.yaml", `- method: /routeguide.RouteGuide/GetFeature
  request:
    fields:
      latitude: {fields: {x: 1}}
  response: {}
`)
	stubEntriesOnScalar := file("entries-on-scalar.yaml", `- method: /routeguide.RouteGuide/GetFeature
  request:
    fields:
      latitude: {entries: {a: 1}}
  response: {}
`)
	stubEmptyMetadataAnyOf := file("empty-metadata-anyof.yaml", `- method: /routeguide.RouteGuide/GetFeature
  metadata:
    anyOf: []
  response: {}
`)
	stubEmptyAnyOf := file("empty-anyof.yaml", `- method: /routeguide.RouteGuide/GetFeature
  request:
    anyOf: []
  response: {}
`)
	stubTmplSyntax := file("tmpl-syntax.yaml", `- method: /routeguide.RouteGuide/GetFeature
  response:
    name: '{{ .Request.latitude '
`)
	stubTmplField := file("tmpl-field.yaml", `- method: /routeguide.RouteGuide/GetFeature
  response:
    name: '{{ .Request.lattitude }}'
`)
	stubTmplFunc := file("tmpl-func.yaml", `- method: /routeguide.RouteGuide/GetFeature
  response:
    name: '{{ env "HOME" }}'
`)
	stubTmplOutput := file("tmpl-output.yaml", `- method: /routeguide.RouteGuide/GetFeature
  response:
    template: '{"name": "x", "location": "{{ .Method }}"}'
`)
	stubStuckState := file("stuck-state.yaml", `- method: /routeguide.RouteGuide/GetFeature
  scenario: login
  setState: LoggedIn
  response: {}
`)
	stubBadPriority := file("bad-priority.yaml", `- method: /routeguide.RouteGuide/GetFeature
  priority: first
  response: {}
`)
	stubBadScenarioKey := file("bad-scenario-key.yaml", `- method: /routeguide.RouteGuide/GetFeature
  scenario: login
  whenstate: Started
  response: {}
`)
	stubStepAfterEnd := file("step-after-end.yaml", `- method: /routeguide.RouteGuide/ListFeatures
  steps:
    - status: {code: UNAVAILABLE}
    - send: {name: never}
`)
	stubHugePad := file("huge-pad.yaml", `- method: /routeguide.RouteGuide/GetFeature
  response: {name: a}
  padTo: 100000000000
`)
	stubHugeOversized := file("huge-oversized.yaml", `- method: /routeguide.RouteGuide/ListFeatures
  steps:
    - send: {name: a}
    - sendOversized:
        message: {name: b}
        size: 67108866
`)

	// Cassettes.
	const header = `{"format": "grpcdouble-cassette", "version": 1}` + "\n"
	interaction := func(method, response string) string {
		return `{
  "method": "` + method + `",
  "events": [
    {"type": "client_message", "message": {"latitude": 1}},
    {"type": "half_close"},
    {"type": "server_message", "message": ` + response + `}
  ],
  "status": {"code": "OK"}
}
`
	}
	whole := interaction("/routeguide.RouteGuide/GetFeature", `{"name": "whole"}`)
	casMalformed := file("malformed.cassette", header+`{
  "method": "/routeguide.RouteGuide/GetFeature",
  "events": [
    {"type": "client_message", "message": {"latitude": 1}},
  ],
  "status": {"code": "OK"}
}
`)
	casManyMalformed := file("many-malformed.cassette", header+`{
  "method": "/routeguide.RouteGuide/GetFeature",
  "events": [
    {"type": "client_message", "message": {"latitude": 1}},
  ],
  "status": {"code": "OK"}
}
{
  "method": "/routeguide.RouteGuide/GetFeature",
  "events": [],
  "status": {"code": "MOSTLY_OK"}
}
`)
	casNotOne := file("not-one.cassette", "method: /routeguide.RouteGuide/GetFeature\n")
	casBadCode := file("bad-code.cassette", header+strings.Replace(whole, `"code": "OK"`, `"code": "MOSTLY_OK"`, 1))
	casTorn := file("torn.cassette", header+whole+whole[:len(whole)/2])
	casTornHeader := file("torn-header.cassette", `{"format": "grpcdouble-cassette", "vers`)
	casUnknownMethod := file("unknown-method.cassette", header+interaction("/routeguide.RouteGuide/GetFeatur", `{"name": "x"}`))
	casUnknownService := file("unknown-service.cassette", header+interaction("/nope.v1.Nope/Do", `{}`))
	casUnknownField := file("unknown-field.cassette", header+interaction("/routeguide.RouteGuide/GetFeature", `{"name": "x", "colour": "red"}`))

	// Special files: read for ever, they took the process to 2.9 GB.
	fifoDir := mkdir(t, dir, "fifo-stubs")
	if err := syscall.Mkfifo(filepath.Join(fifoDir, "a.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	bigCassette := file("big.cassette", header+whole)
	recTarget := file("target.cassette", header)
	recLink := filepath.Join(dir, "link.cassette")
	if err := os.Symlink(recTarget, recLink); err != nil {
		t.Fatal(err)
	}
	recReadOnly := file("read-only.cassette", header)
	if err := os.Chmod(recReadOnly, 0o444); err != nil {
		t.Fatal(err)
	}
	recHeld := filepath.Join(dir, "held.cassette")
	recordTo := func(path string, extra ...string) []string {
		return append([]string{"record", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--proto", routeProtos, "--cassette", path}, extra...)
	}
	casTwoHeaders := file("two-headers.cassette", header+strings.Replace(whole, `{"type": "half_close"},`, `{"type": "half_close"},
    {"type": "header", "metadata": {"x-a": ["1"]}},
    {"type": "header", "metadata": {"x-b": ["2"]}},`, 1))
	casTwoResponses := file("two-responses.cassette", header+strings.Replace(whole, `{"type": "half_close"},`, `{"type": "half_close"},
    {"type": "server_message", "message": {"name": "first"}},`, 1))

	// TLS material: a key that is not the certificate's, and files that
	// are not PEM.
	_, filesA := writeCerts(t, mkdir(t, dir, "a"))
	_, filesB := writeCerts(t, mkdir(t, dir, "b"))
	notPEM := file("not-pem.pem", "this is not PEM\n")
	nowhere := filepath.Join(dir, "nowhere", "server.pem")
	// Nothing listens on port 1: every TLS row fails before dialling.
	record := func(extra ...string) []string {
		return append([]string{"record", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--cassette", filepath.Join(dir, "out.cassette")}, extra...)
	}
	reflectFrom := func(extra ...string) []string {
		return append([]string{"serve", "--listen", "127.0.0.1:0", "--reflect", "127.0.0.1:1"}, extra...)
	}

	rows := []badInputRow{
		// Descriptors.
		{
			name: "malformed .proto",
			args: []string{"serve", "--listen", "127.0.0.1:0", "--proto", filepath.Join(protoDir, "bad/syntax_error.proto"), "--import-path", protoDir},
			exit: 1,
			want: []string{"parse .proto (import paths " + protoDir + "): bad/syntax_error.proto:8:27: syntax error: unexpected ';', expecting int literal"},
		},
		{
			name: "edition 2024 .proto with symbol visibility",
			args: []string{"serve", "--listen", "127.0.0.1:0", "--proto", filepath.Join(protoDir, "bad/edition2024_export.proto"), "--import-path", protoDir},
			exit: 1,
			want: []string{"parse .proto (import paths " + protoDir + "): bad/edition2024_export.proto:7:1: \"export message\": edition 2024 symbol visibility is not supported: grpcdouble compiles edition 2024 files as 2023"},
		},
		{
			name: "edition 2024 .proto with a syntax error, at its own position",
			args: []string{"serve", "--listen", "127.0.0.1:0", "--proto", filepath.Join(protoDir, "bad/edition2024_syntax.proto"), "--import-path", protoDir},
			exit: 1,
			want: []string{"bad/edition2024_syntax.proto:7:29: syntax error: unexpected ';', expecting int literal"},
		},
		{
			name: "missing import",
			args: []string{"serve", "--listen", "127.0.0.1:0", "--proto", filepath.Join(protoDir, "bad/missing_import.proto"), "--import-path", protoDir},
			exit: 1,
			want: []string{"bad/missing_import.proto:6:8: open " + filepath.Join(protoDir, "nowhere/missing.proto") + ": no such file or directory"},
		},
		{
			name: ".proto file that does not exist",
			args: []string{"serve", "--listen", "127.0.0.1:0", "--proto", "echo/v1/nope.proto", "--import-path", protoDir},
			exit: 1,
			want: []string{"parse .proto (import paths " + protoDir + "): open " + filepath.Join(protoDir, "echo/v1/nope.proto") + ": no such file or directory"},
		},
		{
			name: "protoset that is not one",
			args: []string{"serve", "--listen", "127.0.0.1:0", "--protoset", filepath.Join(root, "testdata/protosets/not-a-protoset.txt")},
			exit: 1,
			want: []string{"protoset " + filepath.Join(root, "testdata/protosets/not-a-protoset.txt") + ": not a FileDescriptorSet (write one with protoc --include_imports --descriptor_set_out)"},
		},
		{
			name: "protoset that is a .proto file",
			args: []string{"serve", "--listen", "127.0.0.1:0", "--protoset", filepath.Join(protoDir, "bad/syntax_error.proto")},
			exit: 1,
			want: []string{"protoset " + filepath.Join(protoDir, "bad/syntax_error.proto") + ": not a FileDescriptorSet (write one with protoc --include_imports --descriptor_set_out)"},
		},
		{
			name:   "protoset that does not exist",
			args:   []string{"serve", "--listen", "127.0.0.1:0", "--protoset", filepath.Join(dir, "nope.protoset")},
			exit:   2,
			wantIs: []error{fs.ErrNotExist},
			want:   []string{"serve: --protoset " + filepath.Join(dir, "nope.protoset") + ": no such file or directory"},
		},
		{
			name: "service name no source has",
			act: func(t *testing.T) error {
				srv, err := mockserver.New(expect.NewMock(), mockserver.WithProtoset(echoProtoset), mockserver.WithServices("echo.v1.EchoServce"))
				if srv != nil {
					_ = srv.Close()
				}
				return err
			},
			wantIs: []error{mockserver.ErrServiceNotFound},
			want:   []string{`service not found: "echo.v1.EchoServce" is not among the compiled Go types (is its generated package imported?); the sources offer: echo.v1.EchoService`},
		},

		// Expectations in Go.
		{
			name: "unknown method in an expectation (expect.New)",
			act: func(t *testing.T) error {
				ft := &recordingTB{}
				m := expect.New(ft)
				m.Unary("/routeguide.RouteGuide/GetFeatur").Return(&pb.Feature{})
				return ft.reported(t, m.Err())
			},
			wantIs: []error{expect.ErrSetup},
			want:   []string{"bad expectation: badinput_test.go:", ": service routeguide.RouteGuide has no method GetFeatur (it has GetFeature, ListFeatures, RecordRoute, RouteChat)"},
		},
		{
			name: "unknown method in an expectation (NewMock, Bind at start)",
			act: func(t *testing.T) error {
				m := expect.NewMock()
				m.Unary("/echo.v1.EchoService/Ech")
				srv, err := mockserver.New(m, mockserver.WithProtoset(echoProtoset))
				if srv != nil {
					_ = srv.Close()
				}
				return err
			},
			wantIs: []error{expect.ErrSetup, mockserver.ErrUnknownMethod},
			want:   []string{"bad expectation: badinput_test.go:", ": /echo.v1.EchoService/Ech: unknown method /echo.v1.EchoService/Ech; closest served methods: /echo.v1.EchoService/Echo"},
		},
		{
			name: "wrong message type for a method (Return)",
			act: func(t *testing.T) error {
				ft := &recordingTB{}
				m := expect.New(ft)
				m.Unary("/routeguide.RouteGuide/GetFeature").Return(&pb.Point{})
				return ft.reported(t, m.Err())
			},
			wantIs: []error{expect.ErrSetup},
			want:   []string{"bad expectation: badinput_test.go:", ": Return: /routeguide.RouteGuide/GetFeature returns: got a routeguide.Point, want a routeguide.Feature"},
		},
		{
			name: "wrong message type for a method (WithRequest)",
			act: func(t *testing.T) error {
				ft := &recordingTB{}
				m := expect.New(ft)
				m.Unary("/routeguide.RouteGuide/GetFeature").WithRequest(&pb.Feature{}).Return(&pb.Feature{})
				return ft.reported(t, m.Err())
			},
			wantIs: []error{expect.ErrSetup},
			want:   []string{"bad expectation: badinput_test.go:", ": WithRequest: /routeguide.RouteGuide/GetFeature takes: got a routeguide.Feature, want a routeguide.Point"},
		},

		// Stub files.
		{
			name:   "malformed stub YAML",
			args:   serve("--stubs", stubBadYAML),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"--stubs: bad stub file: " + stubBadYAML + ":3: did not find expected key"},
		},
		{
			name:   "malformed stub JSON",
			args:   serve("--stubs", stubBadJSON),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"--stubs: bad stub file: " + stubBadJSON + ":4: invalid character ']' after object key:value pair"},
		},
		{
			name:   "unknown field in a stub message",
			args:   serve("--stubs", stubUnknownField),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"--stubs: bad stub file: " + stubUnknownField + `:4: response: not a routeguide.Feature: unknown field "colour"`},
		},
		{
			name:   "unknown key in a stub",
			args:   serve("--stubs", stubUnknownKey),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"--stubs: bad stub file: " + stubUnknownKey + ":2: field respnse not found in type stub"},
		},
		{
			name:   "several problems in one stub",
			args:   serve("--stubs", stubManyProblems),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want: []string{
				"--stubs: bad stub file: " + stubManyProblems + ":2: field respnse not found in type stub\n",
				"bad stub file: " + stubManyProblems + `:3: delay: want a duration like 250ms or 2s, got "soon"` + "\n",
				"bad stub file: " + stubManyProblems + `:5: request.equal: not a routeguide.Point: invalid value for int32 field latitude: "north"` + "\n",
				"bad stub file: " + stubManyProblems + `:5: request.equal: not a routeguide.Point: unknown field "altitude"` + "\n",
				"bad stub file: " + stubManyProblems + `:6: status.code: unknown status code "NOPE"`,
			},
		},
		{
			name:   "key the stub format renamed",
			args:   serve("--stubs", stubRenamedKey),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"--stubs: bad stub file: " + stubRenamedKey + `:4: steps[1].sendHeaders: unknown field; write "sendHeader" instead`},
		},
		{
			name:   "wrong type in a stub message",
			args:   serve("--stubs", stubWrongType),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"--stubs: bad stub file: " + stubWrongType + `:4: response: not a routeguide.Feature: invalid value for int32 field latitude: "north"`},
		},
		{
			name:   "unknown method in a stub",
			args:   serve("--stubs", stubUnknownMethod),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"--stubs: bad stub file: " + stubUnknownMethod + ":2: method: service routeguide.RouteGuide has no method GetFeatur (it has GetFeature, ListFeatures, RecordRoute, RouteChat)"},
		},
		{
			name:   "stub for a service no source has",
			args:   serve("--stubs", stubUnknownService),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"--stubs: bad stub file: " + stubUnknownService + ":1: method: unknown method /nope.v1.Nope/Do; closest served methods: "},
		},
		{
			name:   "bad field path in a stub's field matcher",
			args:   serve("--stubs", stubBadFieldPath),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubBadFieldPath + `:4: request.fields.location.latitude: field location.latitude: routeguide.Point has no field "location"`},
		},
		{
			name:   "operand of the wrong type in a stub's field matcher",
			args:   serve("--stubs", stubBadOperand),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubBadOperand + `:4: request.fields.latitude: field latitude (int32): gte: operand [1,2] is not a int32`},
		},
		{
			name:   "regex that does not compile in a stub's field matcher",
			args:   serve("--stubs", stubBadFieldRegex),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubBadFieldRegex + ":3: steps[0].recv.fields.message.regex: error parsing regexp: missing closing ]"},
		},
		{
			name:   "unordered on a field that is no list",
			args:   serve("--stubs", stubUnorderedScalar),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubUnorderedScalar + ":4: request.fields.latitude: field latitude (int32): unordered works on repeated fields, not a int32"},
		},
		{
			name:   "fields on a field that is no message",
			args:   serve("--stubs", stubFieldsOnScalar),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubFieldsOnScalar + ":4: request.fields.latitude: field latitude (int32): fields works on message fields, lists of messages and a map's message values (in entries), not a int32"},
		},
		{
			name:   "entries on a field that is no map",
			args:   serve("--stubs", stubEntriesOnScalar),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubEntriesOnScalar + ":4: request.fields.latitude: field latitude (int32): entries works on map fields, not a int32"},
		},
		{
			name:   "a metadata anyOf with no alternatives",
			args:   serve("--stubs", stubEmptyMetadataAnyOf),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubEmptyMetadataAnyOf + ":3: metadata.anyOf: want a list of one or more metadata matches, one of which must hold"},
		},
		{
			name:   "a request anyOf with no alternatives",
			args:   serve("--stubs", stubEmptyAnyOf),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubEmptyAnyOf + ":3: request.anyOf: want a list of one or more message matches (equal, partial, fields)"},
		},
		{
			name:   "template syntax error in a stub",
			args:   serve("--stubs", stubTmplSyntax),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubTmplSyntax + ":3: response.name: template: line 1: unclosed action"},
		},
		{
			name:   "unknown field in a stub template",
			args:   serve("--stubs", stubTmplField),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubTmplField + `:3: response.name: template: .Request.lattitude: routeguide.Point has no field "lattitude" (did you mean latitude?)`},
		},
		{
			name:   "unknown function in a stub template",
			args:   serve("--stubs", stubTmplFunc),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubTmplFunc + `:3: response.name: template: line 1: function "env" not defined`},
		},
		{
			name:   "stub template output that is not the message type",
			args:   serve("--stubs", stubTmplOutput),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubTmplOutput + ":3: response.template: for a request with every field zero, the template's output is not a routeguide.Feature"},
		},
		{
			name:   "setState that no stub waits on",
			args:   serve("--stubs", stubStuckState),
			serves: true,
			want:   []string{`level=WARN msg="stub file warning" warning="` + stubStuckState + `:1: setState: scenario \"login\" moves to state \"LoggedIn\", which no expectation waits on (whenState)"`},
		},
		{
			name:   "priority that is not an integer",
			args:   serve("--stubs", stubBadPriority),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubBadPriority + `:2: priority: want an integer (higher is tried first), got "first"`},
		},
		{
			name:   "unknown scenario key in a stub",
			args:   serve("--stubs", stubBadScenarioKey),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubBadScenarioKey + ":3: field whenstate not found in type stub"},
		},
		{
			name:   "stub step after the step that ends the stream",
			args:   serve("--stubs", stubStepAfterEnd),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{stubStepAfterEnd + ":1: steps: step 1 (end with Unavailable) ends the call, so step 2 (send routeguide.Feature {\"name\":\"never\"}) would never run"},
		},
		{
			name:   "stub padTo above the server's maximum send size",
			args:   serve("--stubs", stubHugePad),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"--stubs: bad stub file: " + stubHugePad + ":3: padTo: 100000000000 bytes is above the server's maximum send size plus one (67108865 bytes): nothing larger can be tested"},
		},
		{
			name:   "stub sendOversized size above the server's maximum send size",
			args:   serve("--stubs", stubHugeOversized),
			exit:   1,
			wantIs: []error{expect.ErrStubFile},
			want:   []string{"--stubs: bad stub file: " + stubHugeOversized + ":6: steps[1].sendOversized.size: 67108866 bytes is above the server's maximum send size plus one (67108865 bytes)"},
		},
		{
			name:   "stubs that are a device",
			args:   serve("--stubs", "/dev/zero"),
			exit:   2,
			wantIs: []error{boundedfile.ErrNotRegular},
			want:   []string{"serve: --stubs /dev/zero: not a regular file (it is a character device)"},
		},
		{
			name:   "stub folder holding a named pipe",
			args:   serve("--stubs", fifoDir),
			exit:   2,
			wantIs: []error{boundedfile.ErrNotRegular},
			want:   []string{"serve: --stubs " + filepath.Join(fifoDir, "a.yaml") + ": not a regular file (it is a named pipe)"},
		},
		{
			name:   "protoset that is a device",
			args:   []string{"serve", "--listen", "127.0.0.1:0", "--protoset", "/dev/zero"},
			exit:   2,
			wantIs: []error{boundedfile.ErrNotRegular},
			want:   []string{"serve: --protoset /dev/zero: not a regular file (it is a character device)"},
		},
		{
			name:   "cassette with two headers in one call",
			args:   serve("--cassette", casTwoHeaders),
			exit:   1,
			wantIs: []error{cassette.ErrFormat},
			want:   []string{"--cassette: replay: malformed cassette: " + casTwoHeaders + ":2: interaction #1: events[3].type: a second header event: a call sends its headers once"},
		},
		{
			name: "cassette with two responses to a unary call",
			args: serve("--cassette", casTwoResponses),
			exit: 1,
			want: []string{casTwoResponses + ":2 (interaction #1): events[3].type: a second server_message in a unary call, which answers with one"},
		},
		{
			name:   "record onto a symbolic link",
			args:   recordTo(recLink),
			exit:   1,
			wantIs: []error{cassette.ErrTarget},
			want:   []string{"--cassette " + recLink + ": cassette: " + recLink + ": not a cassette file to write: it is a symbolic link to " + recTarget + "; give the file itself"},
		},
		{
			name:   "record onto a read-only cassette",
			args:   recordTo(recReadOnly),
			exit:   1,
			wantIs: []error{cassette.ErrTarget},
			want:   []string{"not a cassette file to write: it is read-only"},
		},
		{
			name:   "record --append onto a read-only cassette",
			args:   recordTo(recReadOnly, "--append"),
			exit:   1,
			wantIs: []error{cassette.ErrTarget},
			want:   []string{"not a cassette file to write: it is read-only"},
		},
		{
			name: "record onto a cassette another recorder holds",
			act: func(t *testing.T) error {
				w, err := cassette.Create(recHeld)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
				defer cancel()
				stderr, listened, err := runUntilReady(ctx, t, recordTo(recHeld, "--append"))
				if listened {
					t.Errorf("a second recorder served; stderr:\n%s", stderr)
				}
				return err
			},
			wantIs: []error{cassette.ErrLocked},
			want:   []string{"cassette is being written by another recorder (holder: pid " + fmt.Sprint(os.Getpid()) + "; lock file " + recHeld + ".lock)"},
		},
		{
			name:   "cassette that is a device",
			args:   serve("--cassette", "/dev/zero"),
			exit:   2,
			wantIs: []error{boundedfile.ErrNotRegular},
			want:   []string{"serve: --cassette /dev/zero: not a regular file (it is a character device)"},
		},
		{
			name:   "cassette over --max-file-size",
			args:   serve("--cassette", bigCassette, "--max-file-size", "100"),
			exit:   2,
			wantIs: []error{boundedfile.ErrTooLarge},
			want:   []string{"serve: --cassette " + bigCassette + ": file too large: " + fmt.Sprint(len(header+whole)) + " bytes, over the limit of 100 (raise --max-file-size, at most 1073741824)"},
		},
		{
			name: "--max-file-size above 1 GiB",
			args: serve("--max-file-size", "2000000000"),
			exit: 2,
			want: []string{"serve: --max-file-size: 2000000000: want 1 to 1073741824 bytes"},
		},
		{
			name: "admin token with surrounding spaces",
			args: serve("--admin", "127.0.0.1:0", "--admin-token", " s3cret "),
			exit: 2,
			want: []string{"serve: --admin-token (or $GRPCDOUBLE_ADMIN_TOKEN): the token starts or ends with white space, which no client sends; remove it"},
		},
		{
			name:   "stub path that does not exist",
			args:   serve("--stubs", filepath.Join(dir, "no-stubs")),
			exit:   2,
			wantIs: []error{fs.ErrNotExist},
			want:   []string{"serve: --stubs " + filepath.Join(dir, "no-stubs") + ": no such file or directory"},
		},

		{
			name: "templated deleteStubs id that renders no stub ID, at call time",
			act: func(t *testing.T) error {
				stubs, err := expect.ParseStubs("then-call.yaml", []byte(`
- id: drop
  method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 1}}
  response: {name: x}
  then:
    - putStubs: [{id: kept, method: routeguide.RouteGuide/GetFeature, request: {partial: {latitude: 2}}, response: {name: kept}}]
    - deleteStubs: ['drop {{ .Request.longitude }}']
`), nil)
				if err != nil {
					return err
				}
				m := expect.NewMock()
				if _, err := m.AddStubs(stubs...); err != nil {
					return err
				}
				srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
				ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
				defer cancel()
				_, err = pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 5})
				if len(m.Stubs()) != 1 {
					t.Errorf("stubs after the failed effects: %v, want drop alone (the put did not run)", m.Stubs())
				}
				return err
			},
			want: []string{"code = Internal", "then-call.yaml:2 (stub drop): then[1]: effect failed, nothing changed: ",
				`then-call.yaml:8: then[1].deleteStubs[0]: the ID rendered, "drop 5", is not a stub ID`},
		},

		// Cassettes.
		{
			name:   "cassette with two malformed interactions",
			args:   serve("--cassette", casManyMalformed),
			exit:   1,
			wantIs: []error{cassette.ErrFormat},
			want: []string{
				"--cassette: replay: malformed cassette: " + casManyMalformed + ":6: interaction #1 (from line 2): invalid character ']'",
				"\nmalformed cassette: " + casManyMalformed + `:9: interaction #2: status.code: unknown status code "MOSTLY_OK"`,
			},
		},
		{
			name:   "malformed cassette",
			args:   serve("--cassette", casMalformed),
			exit:   1,
			wantIs: []error{cassette.ErrFormat},
			want:   []string{"--cassette: replay: malformed cassette: " + casMalformed + ":6: interaction #1 (from line 2): invalid character ']'"},
		},
		{
			name:   "file that is not a cassette",
			args:   serve("--cassette", casNotOne),
			exit:   1,
			wantIs: []error{cassette.ErrFormat},
			want:   []string{"--cassette: replay: malformed cassette: " + casNotOne + ":1: header: invalid character 'm' looking for beginning of value"},
		},
		{
			name:   "cassette with an unknown status code",
			args:   serve("--cassette", casBadCode),
			exit:   1,
			wantIs: []error{cassette.ErrFormat},
			want:   []string{"--cassette: replay: malformed cassette: " + casBadCode + `:2: interaction #1: status.code: unknown status code "MOSTLY_OK" (want a name such as NOT_FOUND)`},
		},
		{
			name:   "truncated cassette: torn last record",
			args:   serve("--cassette", casTorn),
			serves: true,
			want: []string{`level=WARN msg="cassette ends in a cut-short interaction; serving the whole ones before it" cassette=` + casTorn +
				fmt.Sprintf(` torn="torn last interaction at line 11 (%d bytes, ignored)" interactions=1`, len(whole)/2)},
		},
		{
			name:   "truncated cassette: torn header",
			args:   serve("--cassette", casTornHeader),
			exit:   1,
			wantIs: []error{cassette.ErrFormat},
			want:   []string{"--cassette: replay: malformed cassette: " + casTornHeader + ":1: header: unexpected EOF"},
		},
		{
			name: "truncated cassette: torn header (cassette.Load)",
			act: func(t *testing.T) error {
				_, err := cassette.Load(casTornHeader)
				return err
			},
			wantIs: []error{cassette.ErrFormat},
			want:   []string{casTornHeader + ":1: header: unexpected EOF"},
		},
		{
			name:   "cassette for an unknown method",
			args:   serve("--cassette", casUnknownMethod),
			exit:   1,
			wantIs: []error{mockserver.ErrUnknownMethod},
			want:   []string{"descriptors: --cassette: replay: " + casUnknownMethod + ":2 (interaction #1): method: unknown method /routeguide.RouteGuide/GetFeatur; closest served methods: /routeguide.RouteGuide/GetFeature"},
		},
		{
			name: "cassette for an unknown method (replay Bind)",
			act: func(t *testing.T) error {
				h, err := replay.Open(casUnknownMethod)
				if err != nil {
					return err
				}
				m := expect.NewMock()
				m.Unary("/routeguide.RouteGuide/GetFeature").Return(&pb.Feature{})
				srv, err := mockserver.New(m)
				if err != nil {
					return err
				}
				defer srv.Close()
				return h.Bind(srv)
			},
			wantIs: []error{mockserver.ErrUnknownMethod},
			want:   []string{"replay: " + casUnknownMethod + ":2 (interaction #1): method: unknown method /routeguide.RouteGuide/GetFeatur"},
		},
		{
			name:   "cassette for a service no source has",
			args:   serve("--cassette", casUnknownService),
			exit:   1,
			wantIs: []error{mockserver.ErrServiceNotFound},
			want:   []string{`descriptors: service not found: "nope.v1.Nope" is not among the compiled Go types (is its generated package imported?); the sources offer: routeguide.RouteGuide`},
		},
		{
			name: "cassette message with an unknown field",
			args: serve("--cassette", casUnknownField),
			exit: 1,
			want: []string{"--cassette: replay: " + casUnknownField + ":2 (interaction #1): events[2].message: as routeguide.Feature: ", `unknown field "colour"`},
		},
		{
			name:   "cassette that does not exist",
			args:   serve("--cassette", filepath.Join(dir, "nope.cassette")),
			exit:   2,
			wantIs: []error{fs.ErrNotExist},
			want:   []string{"serve: --cassette " + filepath.Join(dir, "nope.cassette") + ": no such file or directory"},
		},

		// Sessions.
		{
			name: "record cassette path under a file",
			args: serve("--upstream", "127.0.0.1:1", "--record", filepath.Join(notPEM, "x.cassette")),
			exit: 1,
			want: []string{"--record " + filepath.Join(notPEM, "x.cassette") + ": cassette: ", "not a directory"},
		},
		{
			name: "record cassette path that is a folder",
			args: serve("--upstream", "127.0.0.1:1", "--record", dir),
			exit: 2,
			want: []string{"serve: --record " + dir + ": is a directory, want a file"},
		},
		{
			name: "record without an upstream",
			args: serve("--record", filepath.Join(dir, "x.cassette")),
			exit: 2,
			want: []string{"serve: --record: only the calls sent to --upstream are recorded; give --upstream ADDR"},
		},
		{
			name:   "watch on a missing folder",
			args:   serve("--stubs", filepath.Join(dir, "no-such-folder"), "--watch"),
			exit:   2,
			wantIs: []error{fs.ErrNotExist},
			want:   []string{"serve: --stubs " + filepath.Join(dir, "no-such-folder") + ": no such file or directory"},
		},
		{
			name: "watch with nothing to watch",
			args: serve("--watch"),
			exit: 2,
			want: []string{"serve: --watch: there is nothing to watch; give --stubs PATH"},
		},
		{
			name: "--cors-origin without --http",
			args: serve("--cors-origin", "http://localhost:3000"),
			exit: 2,
			want: []string{"serve: --cors-origin is for the --http port, and no --http was given"},
		},
		{
			name: "--cors-origin that is not an origin",
			args: serve("--http", "127.0.0.1:0", "--cors-origin", "localhost:3000/app"),
			exit: 2,
			want: []string{`serve: --cors-origin "localhost:3000/app": want * or an origin such as http://localhost:3000 (scheme and host, no path)`},
		},
		{
			name: "--http address that cannot be listened on",
			args: []string{"serve", "--listen", "127.0.0.1:0", "--proto", routeProtos, "--http", "256.0.0.1:1"},
			exit: 1,
			want: []string{"--http 256.0.0.1:1: listen tcp"},
		},
		{
			name: "session TTL of zero",
			args: serve("--session-ttl", "0s"),
			exit: 2,
			want: []string{"serve: --session-ttl 0s: want a positive duration such as 30m"},
		},
		{
			name: "--miss-code OK",
			args: serve("--miss-code", "OK"),
			exit: 2,
			want: []string{`serve: --miss-code "OK": want the name of a gRPC status code other than OK: CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND,`, "DATA_LOSS or UNAUTHENTICATED"},
		},
		{
			name: "--miss-code that names no status code",
			args: serve("--miss-code", "NOTFOUND"),
			exit: 2,
			want: []string{`serve: --miss-code "NOTFOUND": want the name of a gRPC status code other than OK: CANCELLED,`},
		},
		{
			name: "--miss-code as a number",
			args: serve("--miss-code", "5"),
			exit: 2,
			want: []string{`serve: --miss-code "5": want the name of a gRPC status code other than OK:`},
		},

		// TLS.
		{
			name:   "missing TLS certificate",
			args:   serve("--tls-cert", nowhere, "--tls-key", filesA.ServerKey),
			exit:   2,
			wantIs: []error{fs.ErrNotExist},
			want:   []string{"serve: --tls-cert " + nowhere + ": no such file or directory"},
		},
		{
			name:   "missing TLS key",
			args:   serve("--tls-cert", filesA.ServerCert, "--tls-key", nowhere),
			exit:   2,
			wantIs: []error{fs.ErrNotExist},
			want:   []string{"serve: --tls-key " + nowhere + ": no such file or directory"},
		},
		{
			name: "TLS certificate without its key",
			args: serve("--tls-cert", filesA.ServerCert),
			exit: 2,
			want: []string{"serve: --tls-cert and --tls-key go together; give both or neither"},
		},
		{
			name: "mismatched TLS certificate and key",
			args: serve("--tls-cert", filesA.ServerCert, "--tls-key", filesB.ServerKey),
			exit: 1,
			want: []string{"--tls-cert " + filesA.ServerCert + " / --tls-key " + filesB.ServerKey + ": tls: private key does not match public key"},
		},
		{
			name: "TLS certificate that is not PEM",
			args: serve("--tls-cert", notPEM, "--tls-key", filesA.ServerKey),
			exit: 1,
			want: []string{"--tls-cert " + notPEM + " / --tls-key " + filesA.ServerKey + ": tls: failed to find any PEM data in certificate input"},
		},
		{
			name: "client CA that is not PEM",
			args: serve("--tls-cert", filesA.ServerCert, "--tls-key", filesA.ServerKey, "--tls-client-ca", notPEM),
			exit: 1,
			want: []string{"--tls-client-ca " + notPEM + ": no PEM certificate found"},
		},
		{
			name: "reflection CA that is not PEM",
			args: []string{"serve", "--listen", "127.0.0.1:0", "--reflect", "127.0.0.1:1", "--reflect-ca", notPEM},
			exit: 1,
			want: []string{"--reflect-ca " + notPEM + ": no PEM certificate found"},
		},
		{
			name: "upstream CA that is not PEM",
			args: []string{"record", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--cassette", filepath.Join(dir, "out.cassette"), "--upstream-ca", notPEM},
			exit: 1,
			want: []string{"--upstream-ca " + notPEM + ": no PEM certificate found"},
		},
		{
			name: "upstream client certificate without its key",
			args: record("--upstream-cert", filesA.ClientCert),
			exit: 2,
			want: []string{"record: --upstream-cert and --upstream-key go together; give both or neither"},
		},
		{
			name: "upstream client key without its certificate",
			args: record("--upstream-key", filesA.ClientKey),
			exit: 2,
			want: []string{"record: --upstream-cert and --upstream-key go together; give both or neither"},
		},
		{
			name:   "missing upstream client certificate",
			args:   record("--upstream-cert", nowhere, "--upstream-key", filesA.ClientKey),
			exit:   2,
			wantIs: []error{fs.ErrNotExist},
			want:   []string{"record: --upstream-cert " + nowhere + ": no such file or directory"},
		},
		{
			name: "upstream client certificate that is not PEM",
			args: record("--upstream-cert", notPEM, "--upstream-key", filesA.ClientKey),
			exit: 1,
			want: []string{"--upstream-cert " + notPEM + " / --upstream-key " + filesA.ClientKey + ": tls: failed to find any PEM data in certificate input"},
		},
		{
			name: "upstream client key that does not match the certificate",
			args: record("--upstream-cert", filesA.ClientCert, "--upstream-key", filesB.ClientKey),
			exit: 1,
			want: []string{"--upstream-cert " + filesA.ClientCert + " / --upstream-key " + filesB.ClientKey + ": tls: private key does not match public key"},
		},
		{
			name: "reflect client certificate without its key",
			args: reflectFrom("--reflect-cert", filesA.ClientCert),
			exit: 2,
			want: []string{"serve: --reflect-cert and --reflect-key go together; give both or neither"},
		},
		{
			name: "reflect client key without its certificate",
			args: reflectFrom("--reflect-key", filesA.ClientKey),
			exit: 2,
			want: []string{"serve: --reflect-cert and --reflect-key go together; give both or neither"},
		},
		{
			name:   "missing reflect client certificate",
			args:   reflectFrom("--reflect-cert", nowhere, "--reflect-key", filesA.ClientKey),
			exit:   2,
			wantIs: []error{fs.ErrNotExist},
			want:   []string{"serve: --reflect-cert " + nowhere + ": no such file or directory"},
		},
		{
			name: "reflect client certificate that is not PEM",
			args: reflectFrom("--reflect-cert", notPEM, "--reflect-key", filesA.ClientKey),
			exit: 1,
			want: []string{"--reflect-cert " + notPEM + " / --reflect-key " + filesA.ClientKey + ": tls: failed to find any PEM data in certificate input"},
		},
		{
			name: "reflect client key that does not match the certificate",
			args: reflectFrom("--reflect-cert", filesA.ClientCert, "--reflect-key", filesB.ClientKey),
			exit: 1,
			want: []string{"--reflect-cert " + filesA.ClientCert + " / --reflect-key " + filesB.ClientKey + ": tls: private key does not match public key"},
		},
		{
			name: "reflect client certificate without --reflect",
			args: serve("--reflect-cert", filesA.ClientCert, "--reflect-key", filesA.ClientKey),
			exit: 2,
			want: []string{"serve: --reflect-tls, --reflect-ca, --reflect-server-name, --reflect-cert and --reflect-key need --reflect ADDR"},
		},

		// Admin API bodies.
		{
			name:   "admin: empty stub body",
			admin:  &adminCall{nil, "POST", "/stubs", " \n"},
			status: http.StatusBadRequest,
			want:   []string{"empty request body"},
		},
		{
			name:   "admin: malformed stub YAML",
			admin:  &adminCall{nil, "POST", "/stubs", "method: /routeguide.RouteGuide/GetFeature\nresponse: [unclosed\n"},
			status: http.StatusBadRequest,
			want:   []string{"stub: bad stub file: admin POST /stubs:1: did not find expected ',' or ']'"},
		},
		{
			name:   "admin: malformed stub JSON",
			admin:  &adminCall{nil, "POST", "/stubs", "{\"method\": \"/routeguide.RouteGuide/GetFeature\",\n \"response\": {\"name\": \"x\"}\n"},
			status: http.StatusBadRequest,
			want:   []string{"stub: bad stub file: admin POST /stubs:2: unexpected end of JSON input"},
		},
		{
			name:   "admin: unknown field in a stub message",
			admin:  &adminCall{nil, "POST", "/stubs", "{\"method\": \"/routeguide.RouteGuide/GetFeature\",\n \"response\": {\"name\": \"x\",\n  \"colour\": \"red\"}}\n"},
			status: http.StatusBadRequest,
			want:   []string{`stub: bad stub file: admin POST /stubs:3: response: not a routeguide.Feature: unknown field "colour"`},
		},
		{
			name:   "admin: wrong type in a stub message",
			admin:  &adminCall{nil, "POST", "/stubs", "{\"method\": \"/routeguide.RouteGuide/GetFeature\",\n \"response\": {\"location\": {\"latitude\": \"north\"}}}\n"},
			status: http.StatusBadRequest,
			want:   []string{`stub: bad stub file: admin POST /stubs:2: response: not a routeguide.Feature: invalid value for int32 field latitude: "north"`},
		},
		{
			name:   "admin: wrong type for a stub field",
			admin:  &adminCall{nil, "POST", "/stubs", "{\"method\": \"/routeguide.RouteGuide/GetFeature\", \"response\": {}, \"times\": \"often\"}"},
			status: http.StatusBadRequest,
			want:   []string{`stub: bad stub file: admin POST /stubs:1: times: want a count, "any", or {min, max}; got "often"`},
		},
		{
			name:   "admin: stub for an unknown method",
			admin:  &adminCall{nil, "POST", "/stubs", `{"method": "/routeguide.RouteGuide/GetFeatur", "response": {}}`},
			status: http.StatusBadRequest,
			want:   []string{"stub: bad stub file: admin POST /stubs:1: method: service routeguide.RouteGuide has no method GetFeatur (it has GetFeature, ListFeatures, RecordRoute, RouteChat)"},
		},
		{
			name:   "admin: stub padTo above the server's maximum send size",
			admin:  &adminCall{nil, "POST", "/stubs", "{method: /routeguide.RouteGuide/GetFeature, response: {name: a}, padTo: 100000000000}\n"},
			status: http.StatusBadRequest,
			want:   []string{"admin POST /stubs:1: padTo: 100000000000 bytes is above the server's maximum send size plus one (67108865 bytes)"},
		},
		{
			name:   "admin: stub body of the wrong shape",
			admin:  &adminCall{nil, "POST", "/stubs", `"just a string"`},
			status: http.StatusBadRequest,
			want:   []string{`stub: bad stub file: admin POST /stubs:1: want a list of stubs, a mapping with "stubs", or one stub`},
		},
		{
			name:   "admin: unknown session",
			admin:  &adminCall{nil, "GET", "/calls?session=nobody", ""},
			status: http.StatusNotFound,
			want:   []string{`session: no such session "nobody" (GET /sessions lists the sessions; adding a stub with POST /stubs?session=nobody starts one)`},
		},
		{
			name:   "admin: verify in an unknown session",
			admin:  &adminCall{nil, "POST", "/verify?session=nobody", `{"id": "feature-1-2"}`},
			status: http.StatusNotFound,
			want:   []string{`session: no such session "nobody"`},
		},
		{
			name:   "admin: dropping an unknown session",
			admin:  &adminCall{nil, "DELETE", "/sessions/nobody", ""},
			status: http.StatusNotFound,
			want:   []string{`session: no such session "nobody"`},
		},
		{
			name:   "admin: session name with odd characters",
			admin:  &adminCall{nil, "POST", "/stubs?session=a%20b%2F..", "{method: /routeguide.RouteGuide/GetFeature, response: {}}"},
			status: http.StatusBadRequest,
			want:   []string{`session: bad session name "a b/..": want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`},
		},
		{
			name:   "admin: session name too long",
			admin:  &adminCall{nil, "GET", "/stubs?session=" + strings.Repeat("s", 65), ""},
			status: http.StatusBadRequest,
			want:   []string{`session: bad session name "` + strings.Repeat("s", 65) + `": want 1 to 64 letters`},
		},
		{
			name:   "admin: oversized stub body",
			admin:  &adminCall{nil, "POST", "/stubs", "# " + strings.Repeat("x", admin.MaxBodyBytes) + "\n"},
			status: http.StatusRequestEntityTooLarge,
			want:   []string{fmt.Sprintf("request body too large: the limit is %d bytes", admin.MaxBodyBytes)},
		},
		{
			name:   "admin: oversized verify body",
			admin:  &adminCall{nil, "POST", "/verify", `{"id": "` + strings.Repeat("x", admin.MaxBodyBytes) + `"}`},
			status: http.StatusRequestEntityTooLarge,
			want:   []string{fmt.Sprintf("request body too large: the limit is %d bytes", admin.MaxBodyBytes)},
		},
		{
			name:   "admin: oversized explain body",
			admin:  &adminCall{nil, "POST", "/explain", `{"method": "` + strings.Repeat("x", admin.MaxBodyBytes) + `"}`},
			status: http.StatusRequestEntityTooLarge,
			want:   []string{fmt.Sprintf("request body too large: the limit is %d bytes", admin.MaxBodyBytes)},
		},
		{
			name:   "admin: malformed verify body",
			admin:  &adminCall{nil, "POST", "/verify", `{"id": `},
			status: http.StatusBadRequest,
			want:   []string{`verify: body: unexpected EOF (want {"id": ...} or {"method": ...}, with "times", "atLeast" or "atMost")`},
		},
		{
			name:   "admin: verify body of the wrong types",
			admin:  &adminCall{nil, "POST", "/verify", `{"id": "feature-1-2", "times": "two"}`},
			status: http.StatusBadRequest,
			want:   []string{"verify: body: json: cannot unmarshal string into Go struct field verifyRequest.times of type int"},
		},
		{
			name:   "admin: verify body with an unknown field",
			admin:  &adminCall{nil, "POST", "/verify", `{"idd": "feature-1-2"}`},
			status: http.StatusBadRequest,
			want:   []string{`verify: body: json: unknown field "idd"`},
		},
		{
			name:   "admin: verify of an unknown method",
			admin:  &adminCall{nil, "POST", "/verify", `{"method": "/routeguide.RouteGuide/GetFeatur"}`},
			status: http.StatusNotFound,
			want:   []string{"verify: not found: unknown method /routeguide.RouteGuide/GetFeatur; closest served methods: /routeguide.RouteGuide/GetFeature"},
		},
		{
			name:   "admin: malformed explain body",
			admin:  &adminCall{nil, "POST", "/explain", `{"method": "/routeguide.RouteGuide/GetFeature",`},
			status: http.StatusBadRequest,
			want:   []string{`explain: body: unexpected EOF (want {"method": ..., "request": {...}, "metadata": {...}})`},
		},
		{
			name:   "admin: explain body of the wrong types",
			admin:  &adminCall{nil, "POST", "/explain", `{"method": 7}`},
			status: http.StatusBadRequest,
			want:   []string{"explain: body: json: cannot unmarshal number into Go struct field explainRequest.method of type string"},
		},
		{
			name:   "admin: explain metadata of the wrong type",
			admin:  &adminCall{nil, "POST", "/explain", `{"method": "/routeguide.RouteGuide/GetFeature", "metadata": {"x-k": 1}}`},
			status: http.StatusBadRequest,
			want:   []string{`explain: body: metadata "x-k": want a string or a list of strings`},
		},
		{
			name:   "admin: explain request of the wrong type",
			admin:  &adminCall{nil, "POST", "/explain", `{"method": "/routeguide.RouteGuide/GetFeature", "request": {"latitude": "north"}}`},
			status: http.StatusBadRequest,
			want:   []string{"explain: request message 1: not a routeguide.Point: ", `invalid value for int32 field latitude: "north"`},
		},
		{
			name:   "admin: explain of an unknown method",
			admin:  &adminCall{nil, "POST", "/explain", `{"method": "/routeguide.RouteGuide/GetFeatur"}`},
			status: http.StatusBadRequest,
			want:   []string{"explain: unknown method /routeguide.RouteGuide/GetFeatur; closest served methods: /routeguide.RouteGuide/GetFeature"},
		},
		{
			name:   "admin: malformed method in a query",
			admin:  &adminCall{nil, "GET", "/calls?method=GetFeature", ""},
			status: http.StatusBadRequest,
			want:   []string{`query parameter method: method "GetFeature": want the form /package.Service/Method`},
		},
		{
			name: "verify: an unreachable upstream",
			args: []string{"verify", "--cassette", inventoryCassette, "--upstream", "127.0.0.1:1", "--connect-timeout", "5s"},
			exit: 2,
			want: []string{"verify: --upstream 127.0.0.1:1: unreachable:", "connection refused"},
		},
		{
			name: "verify: a cassette from another service",
			args: []string{"verify", "--cassette", filepath.Join(root, "testdata/cassettes/routeguide.cassette"), "--upstream", inventoryAddr},
			exit: 2,
			want: []string{"verify: 5 interaction(s) could not be checked; the first, " + filepath.Join(root, "testdata/cassettes/routeguide.cassette") + ":5 (interaction #1): error /routeguide.RouteGuide/GetFeature: the live service's descriptors have no such method: unknown method: /routeguide.RouteGuide/GetFeature: no service routeguide.RouteGuide among the descriptors (they have verifytest.v1.Inventory)"},
		},
		{
			name: "verify: an --ignore-field that names no field",
			args: []string{"verify", "--cassette", inventoryCassette, "--upstream", inventoryAddr, "--ignore-field", "verifytest.v1.Item.nmae"},
			exit: 2,
			want: []string{`verify: replay: bad check option: --ignore-field "verifytest.v1.Item.nmae": message verifytest.v1.Item has no field "nmae" (it has id, name, price_cents, etag, color)`},
		},
		{
			name: "verify: a --method that does not exist",
			args: []string{"verify", "--cassette", inventoryCassette, "--upstream", inventoryAddr, "--method", "/verifytest.v1.Inventory/Delete"},
			exit: 2,
			want: []string{"verify: --method /verifytest.v1.Inventory/Delete: unknown method: /verifytest.v1.Inventory/Delete: service verifytest.v1.Inventory has no method Delete (it has GetItem, ListItems, PriceTotal, Lookup, Reserve)"},
		},
		{
			name: "verify: a --method the cassette does not call",
			args: []string{"verify", "--cassette", filepath.Join(root, "testdata/cassettes/routeguide.cassette"), "--upstream", inventoryAddr, "--method", "/verifytest.v1.Inventory/Reserve"},
			exit: 2,
			want: []string{"verify: --method /verifytest.v1.Inventory/Reserve: no cassette given holds a call to /verifytest.v1.Inventory/Reserve"},
		},
		{
			name: "verify: a cassette that does not load",
			args: []string{"verify", "--cassette", filepath.Join(root, "testdata/stubs/routeguide.yaml"), "--upstream", inventoryAddr},
			exit: 2,
			want: []string{"verify: --cassette: malformed cassette: " + filepath.Join(root, "testdata/stubs/routeguide.yaml") + ":1: header:"},
		},
		{
			name: "verify: --header without a value",
			args: []string{"verify", "--cassette", inventoryCassette, "--upstream", inventoryAddr, "--header", "authorization"},
			exit: 2,
			want: []string{`verify: --header "authorization": want KEY=VALUE`},
		},
		{
			name: "verify: --header-env naming an unset variable",
			args: []string{"verify", "--cassette", inventoryCassette, "--upstream", inventoryAddr, "--header-env", "authorization=GRPCDOUBLE_TEST_UNSET_TOKEN"},
			exit: 2,
			want: []string{"verify: --header-env authorization=GRPCDOUBLE_TEST_UNSET_TOKEN: the environment variable GRPCDOUBLE_TEST_UNSET_TOKEN is not set"},
		},
		{
			name: "lint: no descriptors",
			args: []string{"lint", "--stubs", filepath.Join(root, "testdata/lint/stubs.yaml")},
			exit: 2,
			want: []string{"lint: no descriptors to check against: give --proto FILE (with --import-path DIR), --protoset FILE or --reflect ADDR"},
		},
		{
			name: "lint: nothing to check",
			args: []string{"lint", "--proto", filepath.Join(root, "testdata/lint/v2")},
			exit: 2,
			want: []string{"lint: nothing to check: give --stubs PATH or --cassette FILE"},
		},
		{
			name: "lint: a stub folder that does not exist",
			args: []string{"lint", "--proto", filepath.Join(root, "testdata/lint/v2"), "--stubs", filepath.Join(dir, "no-such-stubs")},
			exit: 2,
			want: []string{"lint: --stubs " + filepath.Join(dir, "no-such-stubs") + ": no such file or directory"},
		},
		{
			name: "lint: a cassette that does not parse",
			args: []string{"lint", "--proto", filepath.Join(root, "testdata/lint/v2"), "--cassette", filepath.Join(root, "testdata/lint/stubs.yaml")},
			exit: 1,
			want: []string{"lint: 1 problem(s), checked against lintdemo.v1.Shop"},
		},
		{
			name: "verify: no --upstream",
			args: []string{"verify", "--cassette", inventoryCassette},
			exit: 2,
			want: []string{"verify: --upstream ADDR is required"},
		},
		{
			name:   "admin: a body sent as text/plain (a cross-site form could)",
			admin:  &adminCall{map[string]string{"Content-Type": "text/plain"}, "POST", "/stubs", "{method: /routeguide.RouteGuide/GetFeature, response: {}}"},
			status: http.StatusUnsupportedMediaType,
			want:   []string{`Content-Type "text/plain": the request body must be JSON or YAML, sent as one of application/json, application/yaml, application/x-yaml, text/yaml`},
		},
		{
			name:   "admin: a body without a content type",
			admin:  &adminCall{map[string]string{"Content-Type": ""}, "POST", "/verify", `{"id": "feature-1-2"}`},
			status: http.StatusUnsupportedMediaType,
			want:   []string{`the request body has no Content-Type: send it as one of application/json, application/yaml, application/x-yaml, text/yaml`},
		},
		{
			name:   "admin: a request for another host (DNS rebinding)",
			admin:  &adminCall{map[string]string{"Host": "rebind.example:80"}, "GET", "/calls", ""},
			status: http.StatusForbidden,
			want:   []string{`GET /calls for host "rebind.example:80": the admin API listens at 127.0.0.1:`, "--admin-allow-host NAME"},
		},
		{
			name: "--admin-allow-host without --admin or --metrics",
			args: serve("--admin-allow-host", "mock.internal"),
			exit: 2,
			want: []string{"--admin-allow-host is for the admin API and --metrics, and neither --admin nor --metrics was given"},
		},
		{
			name: "--admin-allow-host with a scheme",
			args: serve("--admin", "127.0.0.1:0", "--admin-allow-host", "http://mock.internal/"),
			exit: 2,
			want: []string{`--admin-allow-host "http://mock.internal/": want a host NAME or NAME:PORT as a Host header carries it`},
		},
		{
			name: "--admin-allow-host with a bad port",
			args: serve("--admin", "127.0.0.1:0", "--admin-allow-host", "mock.internal:99999"),
			exit: 2,
			want: []string{`--admin-allow-host "mock.internal:99999": port "99999": want a number from 1 to 65535`},
		},
		{
			name: "--admin-show-secrets without --admin",
			args: serve("--admin-show-secrets"),
			exit: 2,
			want: []string{"--admin-show-secrets is for the admin API, and no --admin was given"},
		},
		{
			name: "admin: reset while a --stubs file has a typo",
			act: func(t *testing.T) error {
				file := filepath.Join(t.TempDir(), "stubs.yaml")
				writeFile(t, file, "- {id: a, method: /routeguide.RouteGuide/GetFeature, response: {}}\n")
				_, adminAddr, _ := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--proto", routeProtos, "--stubs", file)
				writeFile(t, file, "- {id: a, method: /routeguide.RouteGuide/GetFeature, response: {}}\n- {id: b, method: /routeguide.RouteGuide/GetFeature, reponse: {}}\n")
				var e admin.ErrorBody
				if code := adminDo(t, "POST", "http://"+adminAddr+"/reset", "", "", &e); code != http.StatusUnprocessableEntity {
					return fmt.Errorf("status %d, want 422: %s", code, e.Error)
				}
				return errors.New(strings.ReplaceAll(e.Error, file, "stubs.yaml"))
			},
			want: []string{"reset: nothing was reset, the stubs answering now go on answering: ", "bad stub file: stubs.yaml:2: field reponse not found in type stub"},
		},
		{
			name:   "admin: a stub id that is a dot",
			admin:  &adminCall{nil, "POST", "/stubs", "- {id: '.', method: /routeguide.RouteGuide/GetFeature, response: {}}\n"},
			status: http.StatusBadRequest,
			want:   []string{`stub: bad stub file: admin POST /stubs:1: id: ".": want at most 128 letters, digits and . _ : - starting with a letter, digit or _ (an ID is a URL path segment: DELETE /stubs/{id})`},
		},
		{
			name:   "admin: a stub id that is an escaped slash",
			admin:  &adminCall{nil, "POST", "/stubs", "- {id: 'a%2Fb', method: /routeguide.RouteGuide/GetFeature, response: {}}\n"},
			status: http.StatusBadRequest,
			want:   []string{`stub: bad stub file: admin POST /stubs:1: id: "a%2Fb": want at most 128 letters, digits and . _ : - starting with a letter, digit or _ (an ID is a URL path segment: DELETE /stubs/{id})`},
		},
		{
			name:   "admin: a stub id that is an escaped NUL",
			admin:  &adminCall{nil, "POST", "/stubs", "- {id: '%00', method: /routeguide.RouteGuide/GetFeature, response: {}}\n"},
			status: http.StatusBadRequest,
			want:   []string{`stub: bad stub file: admin POST /stubs:1: id: "%00": want at most 128 letters, digits and . _ : - starting with a letter, digit or _ (an ID is a URL path segment: DELETE /stubs/{id})`},
		},
		{
			name:   "admin: verify with a negative count",
			admin:  &adminCall{nil, "POST", "/verify", `{"id": "feature-1-2", "times": -1}`},
			status: http.StatusBadRequest,
			want:   []string{`verify: body: "times" is -1: want a count of 0 or more`},
		},
		{
			name:   "admin: verify with atLeast above atMost",
			admin:  &adminCall{nil, "POST", "/verify", `{"method": "/routeguide.RouteGuide/GetFeature", "atLeast": 3, "atMost": 1}`},
			status: http.StatusBadRequest,
			want:   []string{`verify: body: "atLeast" (3) is above "atMost" (1): no count of calls is both`},
		},
		{
			name:   "admin: explain with data after the JSON object",
			admin:  &adminCall{nil, "POST", "/explain", `{"method": "/routeguide.RouteGuide/GetFeature"} {"method": "x"}`},
			status: http.StatusBadRequest,
			want:   []string{`explain: body: unexpected data after the JSON object, at byte 47`},
		},
		{
			name:   "admin: explain with a list of requests for a unary method",
			admin:  &adminCall{nil, "POST", "/explain", `{"method": "/routeguide.RouteGuide/GetFeature", "request": [{"latitude": 1}, {"latitude": 2}]}`},
			status: http.StatusBadRequest,
			want:   []string{`explain: request: a list of 2 message(s), but /routeguide.RouteGuide/GetFeature is a unary method and takes one routeguide.Point: give it as an object, not a list`},
		},
		{
			name:   "admin: get of an unknown stub",
			admin:  &adminCall{nil, "GET", "/stubs/nope", ""},
			status: http.StatusNotFound,
			want:   []string{`not found: no such stub: "nope" (GET /stubs lists them)`},
		},
		{
			name:   "admin: delete of an unknown stub",
			admin:  &adminCall{nil, "DELETE", "/stubs/nope", ""},
			status: http.StatusNotFound,
			want:   []string{`not found: no such stub: "nope"`},
		},
	}

	rows = append(rows, foreignStubRows(serve, file)...)
	rows = append(rows, delayTemplateRows(serve, file)...)
	rows = append(rows, bidiRuleRows(serve, file)...)

	// One server for the admin rows, with the standalone stubs.
	_, adminAddr, _ := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", routeProtos, "--stubs", filepath.Join(root, "testdata/standalone/stubs"))

	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("panic: %v", p)
				}
			}()
			switch {
			case tc.admin != nil:
				checkAdminRow(t, adminAddr, tc)
			case tc.serves:
				checkServingRow(t, tc)
			case tc.args != nil:
				ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
				defer cancel()
				stderr, _, err := runUntilReady(ctx, t, tc.args)
				if err == nil {
					t.Fatalf("run %q: served, want an error; stderr:\n%s", tc.args, stderr)
				}
				if got := exitCode(err); got != tc.exit {
					t.Errorf("exit code %d, want %d", got, tc.exit)
				}
				checkError(t, err, tc)
			default:
				checkError(t, tc.act(t), tc)
			}
		})
	}
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	p := filepath.Join(parent, name)
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func checkError(t *testing.T, err error, tc badInputRow) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	t.Logf("error: %v", err)
	for _, target := range tc.wantIs {
		if !errors.Is(err, target) {
			t.Errorf("error does not wrap %q: %v", target, err)
		}
	}
	for _, w := range tc.want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not say %q:\n%v", w, err)
		}
	}
}

// readyOut is run's stdout: ready is closed once it prints "listening on".
type readyOut struct {
	syncBuffer
	once  sync.Once
	ready chan struct{}
}

func newReadyOut() *readyOut { return &readyOut{ready: make(chan struct{})} }

func (r *readyOut) Write(p []byte) (int, error) {
	n, err := r.syncBuffer.Write(p)
	if strings.Contains(r.syncBuffer.String(), "listening on ") {
		r.once.Do(func() { close(r.ready) })
	}
	return n, err
}

// runUntilReady calls run and returns its stderr and error; if run serves
// instead of failing, it stops it, and listened is true.
func runUntilReady(ctx context.Context, t *testing.T, args []string) (stderr string, listened bool, err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdout := newReadyOut()
	var errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, stdout, &errOut) }()
	select {
	case err := <-done:
		return errOut.String(), false, err
	case <-stdout.ready:
		listened = true
	case <-ctx.Done():
		t.Errorf("run %q neither failed nor listened in time", args)
	}
	cancel()
	err = <-done
	return errOut.String(), listened, err
}

// checkServingRow: run tolerates the input, serves, and its log says what
// it made of it.
func checkServingRow(t *testing.T, tc badInputRow) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
	defer cancel()
	log, listening, err := runUntilReady(ctx, t, tc.args)
	if !listening || err != nil {
		t.Fatalf("run %q: listening %v, error %v; want it to serve; stderr:\n%s", tc.args, listening, err, log)
	}
	t.Logf("log:\n%s", log)
	for _, w := range tc.want {
		if !strings.Contains(log, w) {
			t.Errorf("log does not say %q:\n%s", w, log)
		}
	}
}

// checkAdminRow sends the row's request and checks the status and the JSON
// error body, which must be exactly {"error": "..."}.
func checkAdminRow(t *testing.T, adminAddr string, tc badInputRow) {
	t.Helper()
	code, header, data := adminHTTP(t, tc.admin.method, "http://"+adminAddr+tc.admin.path, tc.admin.header, tc.admin.body)
	if code != tc.status {
		t.Errorf("status %d, want %d", code, tc.status)
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e admin.ErrorBody
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("body is not {\"error\": ...}: %v", err)
	}
	t.Logf("%d %q", code, e.Error)
	for _, w := range tc.want {
		if !strings.Contains(e.Error, w) {
			t.Errorf("error does not say %q:\n%s", w, e.Error)
		}
	}
}
