package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grpcdouble/grpcdouble/admin"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// newTestAdmin is the admin API over an in-memory server with the
// standalone stubs, as grpcdouble serve loads them.
func newTestAdmin(t testing.TB) http.Handler {
	t.Helper()
	root := "../testdata/standalone"
	files := []string{filepath.Join(root, "stubs")}
	m := expect.NewMock()
	srv, err := mockserver.New(m,
		mockserver.WithSource(mockserver.ProtoFiles([]string{filepath.Join(root, "protos")}, "routeguide.proto")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if err := admin.LoadStubFiles(srv, m, files...); err != nil {
		t.Fatal(err)
	}
	return admin.New(srv, admin.WithMock(m), admin.WithStubFiles(files...))
}

// FuzzAdminBodies throws arbitrary bodies at every endpoint that reads one:
// the answer is never a 5xx and always JSON.
func FuzzAdminBodies(f *testing.F) {
	// The seeds are under testdata/fuzz/FuzzAdminBodies: valid and broken
	// stubs, verify and explain bodies for each endpoint. Fuzz longer with
	//
	//	go test -run '^$' -fuzz FuzzAdminBodies -fuzztime 10m -fuzzminimizetime 10s ./admin
	h := newTestAdmin(f)
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/stubs", "/verify", "/explain":
		default:
			path = "/verify"
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/yaml")
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("POST %s %q: %d, not JSON: %q", path, body, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusCreated {
			// Keep the stub list short, or every later call slows down.
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/reset", nil))
		}
	})
}
