package admin_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/admin"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// TestVerifyAndExplainRefuseNonsense: a count no number of calls can meet
// (negative, atLeast above atMost, times with a range) is a 400 naming the
// field, not "ok"; /explain refuses data after its JSON object and a list
// of requests for a method that takes one.
func TestVerifyAndExplainRefuseNonsense(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	api := admin.New(srv, admin.WithMock(m))
	require.Equal(t, http.StatusCreated, do(t, api, "POST", "/stubs", "{id: s, method: /routeguide.RouteGuide/GetFeature, response: {}}", nil))
	const gf = `"/routeguide.RouteGuide/GetFeature"`

	for _, tc := range []struct{ path, body, want string }{
		{"/verify", `{"id": "s", "times": -1}`, `verify: body: "times" is -1: want a count of 0 or more`},
		{"/verify", `{"method": ` + gf + `, "atLeast": -3}`, `verify: body: "atLeast" is -3: want a count of 0 or more`},
		{"/verify", `{"id": "s", "atMost": -1}`, `verify: body: "atMost" is -1: want a count of 0 or more`},
		{"/verify", `{"id": "s", "atLeast": 3, "atMost": 1}`, `verify: body: "atLeast" (3) is above "atMost" (1): no count of calls is both`},
		{"/verify", `{"method": ` + gf + `, "atLeast": 2, "atMost": 0}`, `verify: body: "atLeast" (2) is above "atMost" (0)`},
		{"/verify", `{"id": "s", "times": 1, "atMost": 2}`, `verify: body: give "times" (exactly), or "atLeast" and "atMost", not both`},
		{"/verify", `{"id": "s"} {"id": "t"}`, `verify: body: unexpected data after the JSON object, at byte 11`},
		{"/verify", `{"id": "s"}x`, `verify: body: unexpected data after the JSON object, at byte 11`},
		{"/explain", `{"method": ` + gf + `} garbage`, `explain: body: unexpected data after the JSON object, at byte 47`},
		{"/explain", `{"method": ` + gf + `}{}`, `explain: body: unexpected data after the JSON object, at byte 47`},
		{"/explain", `{"method": ` + gf + `, "request": [{}, {}]}`, `explain: request: a list of 2 message(s), but /routeguide.RouteGuide/GetFeature is a unary method and takes one routeguide.Point: give it as an object, not a list`},
		{"/explain", `{"method": ` + gf + `, "request": [{}]}`, `explain: request: a list of 1 message(s), but /routeguide.RouteGuide/GetFeature is a unary method`},
		{"/explain", `{"method": "/routeguide.RouteGuide/ListFeatures", "request": [{}]}`, `but /routeguide.RouteGuide/ListFeatures is a server-stream method and takes one routeguide.Rectangle`},
	} {
		var e admin.ErrorBody
		code := do(t, api, "POST", tc.path, tc.body, &e)
		require.Equal(t, http.StatusBadRequest, code, "POST %s %s: %s", tc.path, tc.body, e.Error)
		require.Contains(t, e.Error, tc.want, "POST %s %s", tc.path, tc.body)
	}
	// What stays fine: counts that can be met, white space after the
	// object, a list for a client stream.
	for _, tc := range []struct {
		path, body string
		code       int
	}{
		{"/verify", `{"id": "s", "times": 0}` + "\n\t ", http.StatusOK},
		{"/verify", `{"id": "s", "atLeast": 1, "atMost": 1}`, http.StatusExpectationFailed},
		{"/verify", `{"id": "s", "atLeast": 0, "atMost": 0}`, http.StatusOK},
		{"/explain", `{"method": ` + gf + `, "request": {}}` + "\n", http.StatusOK},
		{"/explain", `{"method": "/routeguide.RouteGuide/RecordRoute", "request": [{}, {}]}`, http.StatusOK},
	} {
		var e admin.ErrorBody
		code := do(t, api, "POST", tc.path, tc.body, &e)
		require.Equal(t, tc.code, code, "POST %s %s: %s", tc.path, tc.body, e.Error)
	}
}
