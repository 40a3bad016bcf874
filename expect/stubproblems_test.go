package expect_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/expect"
)

// manyProblems is a stub file whose two stubs hold seven independent
// problems; every one is reported, at its line, in the order of the lines.
const manyProblems = `- method: routeguide.RouteGuide/GetFeature
  request:
    partial: {latitude: 1, altitude: 2}
    fields:
      longtude: 3
  headers:
    x-name: '{{ .Request.nope }}'
  delay: soon
  response:
    name: x
    terrain: TERRAIN_LAVA
- method: routeguide.RouteGuide/ListFeatures
  steps:
    - send: {name: 7}
    - recv: {any: true}
`

var manyProblemsWant = []string{
	`s.yaml:3: request.partial: not a routeguide.Point: unknown field "altitude"`,
	`s.yaml:5: request.fields.longtude: field longtude: routeguide.Point has no field "longtude" (did you mean longitude?)`,
	`s.yaml:7: headers.x-name: `,
	`s.yaml:8: delay: want a duration like 250ms or 2s, got "soon"`,
	`s.yaml:11: response: not a routeguide.Feature: invalid value for enum field terrain: "TERRAIN_LAVA"`,
	`s.yaml:14: steps[0].send: not a routeguide.Feature: invalid value for string field name: 7`,
	`s.yaml:15: steps[1].recv: only bidi streams receive in steps`,
}

// checkEveryProblem checks that err holds each of want, one a line, in
// order, each once, and nothing else.
func checkEveryProblem(t *testing.T, err error, want []string) {
	t.Helper()
	require.Error(t, err)
	assert.True(t, errors.Is(err, expect.ErrStubFile), "not an ErrStubFile: %v", err)
	got := strings.Split(err.Error(), "\n")
	require.Len(t, got, len(want), "problems:\n%v", err)
	for i, w := range want {
		assert.Contains(t, got[i], w, "line %d of:\n%v", i+1, err)
	}
}

func TestParseStubsReportsEveryProblem(t *testing.T) {
	stubs, err := expect.ParseStubs("s.yaml", []byte(manyProblems), nil)
	checkEveryProblem(t, err, manyProblemsWant)
	assert.Empty(t, stubs)
}

// One message with two unknown fields, one of them nested, and a value of
// the wrong type: protojson stops at the first, the report does not.
func TestStubMessageReportsEveryProblem(t *testing.T) {
	_, err := expect.ParseStubs("s.yaml", []byte(`- method: routeguide.RouteGuide/GetFeature
  response:
    nmae: x
    name: 7
    location:
      lat: 1
`), nil)
	checkEveryProblem(t, err, []string{
		`s.yaml:3: response: not a routeguide.Feature: unknown field "nmae"`,
		`s.yaml:4: response: not a routeguide.Feature: invalid value for string field name: 7`,
		`s.yaml:6: response: not a routeguide.Feature: unknown field "lat"`,
	})
}

// A key the format does not know (yaml's type error) no longer hides the
// problems of the rest of the file, nor of its own stub; the stubs without
// a problem still come back.
func TestStubUnknownKeyDoesNotHideTheRest(t *testing.T) {
	stubs, err := expect.ParseStubs("s.yaml", []byte(`- method: routeguide.RouteGuide/GetFeature
  respnse: {}
  delay: soon
- id: ok
  method: routeguide.RouteGuide/GetFeature
  response: {name: fine}
- method: routeguide.RouteGuide/GetFeature
  after: 1s
  response: {nmae: x}
- method: routeguide.RouteGuide/GetFeature
  keepOpen: [1]
  response: {}
`), nil)
	checkEveryProblem(t, err, []string{
		`s.yaml:2: field respnse not found in type stub`,
		`s.yaml:3: delay: want a duration like 250ms or 2s, got "soon"`,
		`s.yaml:8: after: unknown field; write "delay" instead`,
		`s.yaml:9: response: not a routeguide.Feature: unknown field "nmae"`,
		`s.yaml:11: cannot unmarshal !!seq into bool`,
	})
	require.Len(t, stubs, 1)
	assert.Equal(t, "ok", stubs[0].ID)
}

// The problems of two files, found in two passes (parsing, then adding the
// stubs that parsed), come out as one list in file and line order, each
// once.
func TestJoinStubErrorsOrdersFilesAndLines(t *testing.T) {
	_, errA := expect.ParseStubs("a.yaml", []byte(`- id: dup
  method: routeguide.RouteGuide/GetFeature
  response: {name: a}
- method: routeguide.RouteGuide/GetFeature
  delay: soon
  response: {nmae: a}
`), nil)
	b, errB := expect.ParseStubs("b.yaml", []byte(`- id: dup
  method: routeguide.RouteGuide/GetFeature
  response: {name: b}
- method: routeguide.RouteGuide/GetFeatur
`), nil)
	a, _ := expect.ParseStubs("a.yaml", []byte("- id: dup\n  method: routeguide.RouteGuide/GetFeature\n  response: {name: a}\n"), nil)
	errAdd := expect.CheckStubs(nil, append(a, b...)...)
	require.Error(t, errAdd)
	err := expect.JoinStubErrors(errB, errAdd, errA, errA)
	checkEveryProblem(t, err, []string{
		`a.yaml:5: delay: want a duration like 250ms or 2s, got "soon"`,
		`a.yaml:6: response: not a routeguide.Feature: unknown field "nmae"`,
		`b.yaml:1: duplicate stub id "dup" (first at a.yaml:1)`,
		`b.yaml:4: method: service routeguide.RouteGuide has no method GetFeatur`,
	})
	assert.NoError(t, expect.JoinStubErrors(nil, nil))
}
