package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/admin"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

const (
	idFirst = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
	idRest  = idFirst + ".:-"
)

// validIDs covers the whole allowed set: every first character alone,
// every later character after a first one and doubled, the longest id,
// and the shapes a URL path could mistake (a.., a., 0:0).
func validIDs() []string {
	ids := []string{strings.Repeat("z", 128), "b..", "b.", "0:0", "A_b:c-d.e", "a...b", "x:-:."}
	for _, c := range idFirst {
		ids = append(ids, string(c))
	}
	for _, c := range idRest {
		ids = append(ids, "a"+string(c), "_"+string(c)+string(c))
	}
	return ids
}

// TestEveryValidIDHasItsURL: each id the stub format accepts can be
// fetched and deleted by its own URL, GET and DELETE /stubs/{id}, through
// a real HTTP server; ids outside the set are refused, naming the id and
// the set, and add nothing.
func TestEveryValidIDHasItsURL(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	web := httptest.NewServer(admin.New(srv, admin.WithMock(m)))
	t.Cleanup(web.Close)

	ids := validIDs()
	var stubs []map[string]any
	seen := map[string]bool{}
	for _, id := range ids {
		require.False(t, seen[id], "id %q twice", id)
		seen[id] = true
		stubs = append(stubs, map[string]any{"id": id, "method": "/routeguide.RouteGuide/GetFeature", "response": map[string]any{}})
	}
	body, err := json.Marshal(stubs)
	require.NoError(t, err)
	code, msg := send(t, "POST", web.URL+"/stubs", "", "application/json", string(body))
	require.Equal(t, http.StatusCreated, code, msg)
	require.Len(t, m.Stubs(), len(ids))

	getStub := func(id string) (int, admin.Stub) {
		resp, err := http.Get(web.URL + "/stubs/" + id)
		require.NoError(t, err)
		defer resp.Body.Close()
		var s admin.Stub
		if resp.StatusCode == http.StatusOK {
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
		}
		return resp.StatusCode, s
	}
	for _, id := range ids {
		code, s := getStub(id)
		require.Equal(t, http.StatusOK, code, "GET /stubs/%s", id)
		require.Equal(t, id, s.ID, "GET /stubs/%s", id)
		code, msg := send(t, "DELETE", web.URL+"/stubs/"+id, "", "", "")
		require.Equal(t, http.StatusNoContent, code, "DELETE /stubs/%s: %s", id, msg)
		code, _ = getStub(id)
		require.Equal(t, http.StatusNotFound, code, "GET /stubs/%s after its DELETE", id)
		code, msg = send(t, "DELETE", web.URL+"/stubs/"+id, "", "", "")
		require.Equal(t, http.StatusNotFound, code, "DELETE /stubs/%s again: %s", id, msg)
	}
	require.Empty(t, m.Stubs())

	for _, bad := range []struct{ id, shown string }{
		{".", `"."`},
		{"a%2Fb", `"a%2Fb"`},
		{"%00", `"%00"`},
		{"\u0000", `"\x00"`},
		{"a/b", `"a/b"`},
		{"..", `".."`},
		{"-a", `"-a"`},
		{":a", `":a"`},
		{"a b", `"a b"`},
		{"é", `"é"`},
		{strings.Repeat("z", 129), `"` + strings.Repeat("z", 129) + `"`},
	} {
		body, err := json.Marshal([]map[string]any{
			{"id": "fine", "method": "/routeguide.RouteGuide/GetFeature", "response": map[string]any{}},
			{"id": bad.id, "method": "/routeguide.RouteGuide/GetFeature", "response": map[string]any{}},
		})
		require.NoError(t, err)
		code, msg := send(t, "POST", web.URL+"/stubs", "", "application/json", string(body))
		require.Equal(t, http.StatusBadRequest, code, "id %q", bad.id)
		require.Contains(t, msg, "id: "+bad.shown+": want at most 128 letters, digits and . _ : - starting with a letter, digit or _", "id %q", bad.id)
		require.Empty(t, m.Stubs(), "id %q: the request added stubs", bad.id)
	}
	code, msg = send(t, "GET", web.URL+"/stubs/nope", "", "", "")
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, msg, `no such stub: "nope"`)
}
