package admin_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

func fileStub(name string) string {
	return "- id: from-file\n  method: /routeguide.RouteGuide/GetFeature\n  request: {partial: {latitude: 1}}\n  response: {name: " + name + "}\n"
}

// TestResetKeepsLastGoodStubs: POST /reset with a typo in a --stubs file
// is an error naming file and line, and resets nothing: the stubs, the
// admin's own and the journal stay as they were. With the typo fixed it
// resets. Both with sessions (as the command serves) and with one Mock.
func TestResetKeepsLastGoodStubs(t *testing.T) {
	for _, sessions := range []bool{true, false} {
		t.Run(map[bool]string{true: "sessions", false: "mock"}[sessions], func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "stubs.yaml")
			require.NoError(t, os.WriteFile(file, []byte(fileStub("v1")), 0o644))
			hookFails := false
			hook := admin.OnReset(func() error {
				if hookFails {
					return errors.New("the cassettes do not load")
				}
				return nil
			})
			var srv *mockserver.Server
			var api *admin.API
			if sessions {
				s := expect.NewSessions()
				srv = mockserver.Start(t, s, mockserver.WithServices("routeguide.RouteGuide"))
				_, err := admin.ReloadStubFiles(srv, s, stubformat.Auto, file)
				require.NoError(t, err)
				api = admin.New(srv, admin.WithSessions(s), admin.WithStubFiles(file), hook)
			} else {
				m := expect.NewMock()
				srv = mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
				require.NoError(t, admin.LoadStubFiles(srv, m, file))
				api = admin.New(srv, admin.WithMock(m), admin.WithStubFiles(file), hook)
			}
			client := pb.NewRouteGuideClient(srv.ClientConn())
			feature := func(lat int32) string {
				ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				defer cancel()
				f, err := client.GetFeature(ctx, &pb.Point{Latitude: lat})
				require.NoError(t, err)
				return f.GetName()
			}
			require.Equal(t, http.StatusCreated, do(t, api, "POST", "/stubs", "{id: by-admin, method: /routeguide.RouteGuide/GetFeature, request: {partial: {latitude: 2}}, response: {name: admin}}", nil))
			require.Equal(t, "v1", feature(1))
			require.Equal(t, "admin", feature(2))
			stubIDs := func() []string {
				var list []admin.Stub
				require.Equal(t, http.StatusOK, do(t, api, "GET", "/stubs", "", &list))
				var ids []string
				for _, s := range list {
					ids = append(ids, s.ID)
				}
				return ids
			}
			calls := func() int {
				var c []admin.Call
				do(t, api, "GET", "/calls", "", &c)
				return len(c)
			}

			for _, bad := range []struct{ text, want string }{
				{"- id: from-file\n  method: /routeguide.RouteGuide/GetFeature\n  response: {name: v2, colour: red}\n", file + `:3: response: not a routeguide.Feature: unknown field "colour"`},
				{fileStub("v2") + fileStub("v3"), `duplicate stub id "from-file"`},
				{"- id: from-file\n  method: /routeguide.RouteGuide/GetFeatur\n  response: {}\n", file + ":2: method: service routeguide.RouteGuide has no method GetFeatur"},
			} {
				require.NoError(t, os.WriteFile(file, []byte(bad.text), 0o644))
				var e admin.ErrorBody
				require.Equal(t, http.StatusUnprocessableEntity, do(t, api, "POST", "/reset", "", &e), e.Error)
				require.Contains(t, e.Error, bad.want)
				require.Contains(t, e.Error, "nothing was reset")
				require.Equal(t, "v1", feature(1), "the last good file stub answers")
				require.Equal(t, "admin", feature(2), "the admin's stub is still there")
				require.ElementsMatch(t, []string{"from-file", "by-admin"}, stubIDs())
			}
			require.Equal(t, 2+6, calls(), "the journal was not reset")

			// A hook that fails (the cassettes) resets nothing either.
			require.NoError(t, os.WriteFile(file, []byte(fileStub("v2")), 0o644))
			hookFails = true
			var e admin.ErrorBody
			require.Equal(t, http.StatusInternalServerError, do(t, api, "POST", "/reset", "", &e))
			require.Contains(t, e.Error, "the cassettes do not load")
			require.Equal(t, "v1", feature(1))
			require.ElementsMatch(t, []string{"from-file", "by-admin"}, stubIDs())

			hookFails = false
			require.Equal(t, http.StatusOK, do(t, api, "POST", "/reset", "", nil))
			require.Equal(t, []string{"from-file"}, stubIDs(), "the admin's stub goes with a reset")
			require.Equal(t, "v2", feature(1))
		})
	}
}
