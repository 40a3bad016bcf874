package transcoder_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/mockserver/transcoder"
	"github.com/grpcdouble/grpcdouble/record"
	"github.com/grpcdouble/grpcdouble/replay"
)

func do(t *testing.T, client *http.Client, method, url, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(testContext(t), method, url, r)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

const restStubs = `
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 5, longitude: 6}}
  response: {name: five six}
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 1, longitude: 2}}
  response: {name: one two}
- method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 404}}
  status: {code: NOT_FOUND, message: nothing here}
`

// TestRESTStubs: the routeguide service's google.api.http annotations,
// read from the .proto at run time (its google/api import resolved from
// the linked googleapis descriptors), route GET with path and query
// variables and POST with a JSON body to stubs; an error is a REST error.
func TestRESTStubs(t *testing.T) {
	sources := map[string]mockserver.Source{
		"go types":    mockserver.GoTypes("routeguide.RouteGuide"),
		"proto files": mockserver.ProtoFiles([]string{"../../examples/routeguide"}, "routeguide.proto"),
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			stubs := filepath.Join(t.TempDir(), "rest.yaml")
			require.NoError(t, os.WriteFile(stubs, []byte(restStubs), 0o644))
			m := expect.New(t)
			ms := mockserver.Start(t, m, mockserver.WithSource(src))
			require.NoError(t, m.LoadStubs(stubs))
			web := transcoder.Start(t, ms)
			for _, client := range []*http.Client{web.Client(), web.HTTP1Client()} {
				code, body := do(t, client, http.MethodGet, web.URL()+"/v1/features/5?longitude=6", "")
				require.Equal(t, http.StatusOK, code, body)
				assert.Contains(t, body, `"name":"five six"`)

				code, body = do(t, client, http.MethodPost, web.URL()+"/v1/features:lookup", `{"latitude":1,"longitude":2}`)
				require.Equal(t, http.StatusOK, code, body)
				assert.Contains(t, body, `"name":"one two"`)

				code, body = do(t, client, http.MethodGet, web.URL()+"/v1/features/404", "")
				assert.Equal(t, http.StatusNotFound, code)
				assert.Contains(t, body, "nothing here")
			}
			calls := ms.CallsTo("/routeguide.RouteGuide/GetFeature")
			require.Len(t, calls, 6)
			assert.Equal(t, mockserver.Protocol{Name: mockserver.ProtocolREST, Codec: "json"}, calls[0].Protocol)
			protoDiff(t, &pb.Point{Latitude: 5, Longitude: 6}, calls[0].Received()[0])
		})
	}
}

// TestRESTCassette records REST calls through the recording proxy and
// replays the cassette to REST again.
func TestRESTCassette(t *testing.T) {
	live := startLive(t)
	guide := mockserver.WithSource(mockserver.GoTypes("routeguide.RouteGuide"))
	path := filepath.Join(t.TempDir(), "rest.cassette")
	calls := func(t *testing.T, web *transcoder.Server) []string {
		var out []string
		code, body := do(t, web.Client(), http.MethodGet, web.URL()+"/v1/features/9?longitude=3", "")
		out = append(out, http.StatusText(code), body)
		code, body = do(t, web.Client(), http.MethodPost, web.URL()+"/v1/features:lookup", `{"latitude":-1}`)
		out = append(out, http.StatusText(code), body)
		return out
	}
	rec, err := record.Create(path)
	require.NoError(t, err)
	ms := mockserver.Start(t, rec.Proxy(live), guide)
	web := transcoder.Start(t, ms)
	recorded := calls(t, web)
	require.NoError(t, web.Close())
	require.NoError(t, ms.Close())
	require.NoError(t, rec.Close())
	assert.Equal(t, "OK", recorded[0])
	assert.Contains(t, recorded[1], `"name":"peak 9"`)
	assert.Equal(t, "Bad Request", recorded[2])
	assert.Contains(t, recorded[3], "latitude must be ≥ 0")

	h, err := replay.Open(path, replay.WithT(t))
	require.NoError(t, err)
	ms = mockserver.Start(t, h, guide)
	web = transcoder.Start(t, ms)
	assert.Equal(t, recorded, calls(t, web))
	assert.Empty(t, h.Unused())
}
