package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// TestGlobalResponseTemplating: WireMock mappings without the
// response-template transformer are rendered with
// --global-response-templating (WireMock's flag), by serve, lint, convert
// and the admin API, in the binary as a user runs it; without it the load
// fails naming the line, as before.
func TestGlobalResponseTemplating(t *testing.T) {
	dir := t.TempDir()
	mapping := filepath.Join(dir, "mappings", "feature.json")
	if err := os.MkdirAll(filepath.Dir(mapping), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, mapping, `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "method": "POST",
    "bodyPatterns": [{"equalToJson": {"latitude": 1}, "ignoreExtraElements": true}]},
  "response": {
    "jsonBody": {"name": "{{math (jsonPath request.body '$.longitude') '*' 2}} for {{request.headers.x-user}}"},
    "headers": {"x-path": "{{request.path}}"}
  }
}
`)
	protos := filepath.Join(moduleRoot(t), "testdata/standalone/protos")
	noTransformer := mapping + `:6: response.headers.x-path: holds {{...}} but the mapping has no "transformers": ["response-template"]: WireMock sends it as written unless started with --global-response-templating`

	// Without the flag: serve, lint and convert name the line, as before.
	_, stderr, code := runProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", protos, "--stubs", filepath.Join(dir, "mappings"))
	if code != 1 || !strings.Contains(stderr, noTransformer) {
		t.Errorf("serve without the flag: exit %d, stderr %q; want 1 naming %q", code, stderr, noTransformer)
	}
	stdout, _, code := runProc(t, "lint", "--proto", protos, "--stubs", filepath.Join(dir, "mappings"))
	if code != 1 || !strings.Contains(stdout, "feature.json:6: response.headers.x-path: holds {{...}}") {
		t.Errorf("lint without the flag: exit %d, stdout %q", code, stdout)
	}
	out := filepath.Join(dir, "native")
	_, stderr, code = runProc(t, "convert", "--from", "wiremock", "--proto", protos, "--out", out, filepath.Join(dir, "mappings"))
	if code != 1 || !strings.Contains(stderr, "feature.json:6: response.headers.x-path: holds {{...}}") {
		t.Errorf("convert without the flag: exit %d, stderr %q", code, stderr)
	}

	// With it: lint is clean, convert writes a native file.
	if stdout, stderr, code := runProc(t, "lint", "--global-response-templating", "--proto", protos, "--stubs", filepath.Join(dir, "mappings")); code != 0 {
		t.Errorf("lint --global-response-templating: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, stderr, code := runProc(t, "convert", "--global-response-templating", "--from", "wiremock", "--proto", protos, "--out", out, filepath.Join(dir, "mappings")); code != 0 {
		t.Fatalf("convert --global-response-templating: exit %d\n%s", code, stderr)
	}

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"as is", []string{"--global-response-templating", "--stubs", filepath.Join(dir, "mappings")}},
		{"converted", []string{"--stubs", out}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startProc(t, append([]string{"serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--proto", protos}, tc.args...)...)
			client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
			ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), "x-user", "ann"), callTimeout)
			defer cancel()
			var header metadata.MD
			f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 21}, grpc.Header(&header))
			if err != nil || f.GetName() != "42 for ann" {
				t.Errorf("GetFeature(1, 21) = %v, %v; want 42 for ann", f, err)
			}
			if got := header.Get("x-path"); len(got) != 1 || got[0] != "/routeguide.RouteGuide/GetFeature" {
				t.Errorf("x-path header %q: want the method", got)
			}
			if tc.name != "as is" {
				return
			}
			// A mapping posted is rendered too, as in WireMock.
			code := adminDo(t, "POST", "http://"+p.AdminAddr+"/stubs", "", `{
  "request": {"urlPath": "/routeguide.RouteGuide/GetFeature", "method": "POST",
    "bodyPatterns": [{"equalToJson": {"latitude": 2}, "ignoreExtraElements": true}]},
  "response": {"jsonBody": {"name": "posted {{jsonPath request.body '$.longitude'}}"}}
}`, nil)
			if code != http.StatusCreated {
				t.Fatalf("POST /stubs: %d", code)
			}
			if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 2, Longitude: 5}); err != nil || f.GetName() != "posted 5" {
				t.Errorf("GetFeature(2, 5) = %v, %v; want posted 5", f, err)
			}
		})
	}
}
