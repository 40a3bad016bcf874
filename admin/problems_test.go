package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/grpcdouble/grpcdouble/admin"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// POST /stubs answers with every problem of the stub it refuses, one a
// line at its line, each once; nothing is added.
func TestAddStubReportsEveryProblem(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	api := admin.New(srv, admin.WithMock(m))

	body := `method: /routeguide.RouteGuide/GetFeature
request:
  partial: {latitude: 1, altitude: 2}
headers:
  x-name: '{{ .Request.nope }}'
delay: soon
response:
  name: 7
  terrain: TERRAIN_LAVA
steps:
  - send: {}
`
	var e admin.ErrorBody
	if code := do(t, api, "POST", "/stubs", body, &e); code != http.StatusBadRequest {
		t.Fatalf("POST /stubs: %d %+v", code, e)
	}
	const at = "bad stub file: admin POST /stubs:"
	want := []string{
		at + `3: request.partial: not a routeguide.Point: unknown field "altitude"`,
		at + `5: headers.x-name: template: .Request.nope: routeguide.Point has no field "nope" (it has latitude, longitude)`,
		at + `6: delay: want a duration like 250ms or 2s, got "soon"`,
		at + `8: response: not a routeguide.Feature: invalid value for string field name: 7`,
		at + `9: response: not a routeguide.Feature: invalid value for enum field terrain: "TERRAIN_LAVA"`,
		at + `11: steps: is for server-stream and bidi methods; /routeguide.RouteGuide/GetFeature is unary`,
	}
	if got := strings.TrimPrefix(e.Error, "stub: "); got != strings.Join(want, "\n") {
		t.Errorf("POST /stubs said:\n%s\nwant:\n%s", e.Error, strings.Join(want, "\n"))
	}
	if n := len(m.Stubs()); n != 0 {
		t.Errorf("%d stubs added", n)
	}
}
