package transcoder_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/mockserver/transcoder"
)

// TestBadHTTPInput is the HTTP protocols' bad-input catalog: each bad
// request gets its protocol's error (an HTTP status, a Connect error code,
// gRPC-Web's grpc-status) saying what was wrong, and never a panic or a
// hang; the handler never sees it.
func TestBadHTTPInput(t *testing.T) {
	frame := func(declared int, payload []byte) []byte {
		return append([]byte{0, byte(declared >> 24), byte(declared >> 16), byte(declared >> 8), byte(declared)}, payload...)
	}
	connect := map[string]string{"Content-Type": "application/json", "Connect-Protocol-Version": "1"}
	rows := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		body       []byte
		wantStatus int
		wantGRPC   string   // grpc-status, for gRPC-Web
		want       []string // substrings of the body or grpc-message
	}{
		{name: "malformed Connect JSON", method: "POST", path: "/routeguide.RouteGuide/GetFeature", header: connect,
			body: []byte(`{"latitude": 1,`), wantStatus: 400, want: []string{"invalid_argument", "not valid JSON for routeguide.Point"}},
		{name: "unknown field in Connect JSON", method: "POST", path: "/routeguide.RouteGuide/GetFeature", header: connect,
			body: []byte(`{"latitude": 1, "colour": "red"}`), wantStatus: 400, want: []string{"invalid_argument", "colour"}},
		{name: "wrong content-type", method: "POST", path: "/routeguide.RouteGuide/GetFeature",
			header: map[string]string{"Content-Type": "text/plain", "Connect-Protocol-Version": "1"},
			body:   []byte(`latitude=1`), wantStatus: 415, want: []string{`content-type "text/plain"`, "application/json"}},
		{name: "truncated gRPC-Web frame", method: "POST", path: "/routeguide.RouteGuide/GetFeature",
			header: map[string]string{"Content-Type": "application/grpc-web+proto"},
			body:   frame(10, []byte{0x08, 0x01}), wantStatus: 200, wantGRPC: "13", want: []string{"unexpected EOF"}},
		{name: "gRPC-Web text: invalid base64", method: "POST", path: "/routeguide.RouteGuide/GetFeature",
			header: map[string]string{"Content-Type": "application/grpc-web-text"},
			body:   []byte("AAAAAAIIAQ*="), wantStatus: 200, wantGRPC: "3", want: []string{"grpc-web-text: the request body is not valid base64: '*' at offset 10"}},
		{name: "gRPC-Web text: truncated frame", method: "POST", path: "/routeguide.RouteGuide/GetFeature",
			header: map[string]string{"Content-Type": "application/grpc-web-text+proto"},
			body:   []byte(base64.StdEncoding.EncodeToString(frame(10, []byte{0x08, 0x01}))), wantStatus: 200, wantGRPC: "3",
			want: []string{"grpc-web-text: the request body ends inside a frame: its header says 10 bytes, 2 came"}},
		{name: "gRPC-Web text: truncated frame header", method: "POST", path: "/routeguide.RouteGuide/GetFeature",
			header: map[string]string{"Content-Type": "application/grpc-web-text"},
			body:   []byte(base64.StdEncoding.EncodeToString([]byte{0, 0, 0})), wantStatus: 200, wantGRPC: "3",
			want: []string{"ends inside a frame header (3 of its 5 bytes)"}},
		{name: "gRPC-Web text: oversized message", method: "POST", path: "/routeguide.RouteGuide/GetFeature",
			header: map[string]string{"Content-Type": "application/grpc-web-text"},
			body:   []byte(base64.StdEncoding.EncodeToString(frame(4096, nil))), wantStatus: 200, wantGRPC: "8",
			want: []string{"the request message is 4096 bytes, more than the limit of 1024"}},
		{name: "gRPC-Web text: two messages for a unary method", method: "POST", path: "/routeguide.RouteGuide/GetFeature",
			header: map[string]string{"Content-Type": "application/grpc-web-text"},
			body:   []byte(base64.StdEncoding.EncodeToString(frame(0, nil)) + base64.StdEncoding.EncodeToString(frame(0, nil))), wantStatus: 200, wantGRPC: "3",
			want: []string{"routeguide.RouteGuide.GetFeature takes one request message"}},
		{name: "REST path variable of the wrong type", method: "GET", path: "/v1/features/north",
			wantStatus: 400, want: []string{"latitude"}},
		{name: "REST query variable of the wrong type", method: "GET", path: "/v1/features/1?longitude=east",
			wantStatus: 400, want: []string{"longitude"}},
		{name: "oversized Connect body", method: "POST", path: "/routeguide.RouteGuide/GetFeature", header: connect,
			body: []byte(`{"latitude": 1, "longitude": 2` + strings.Repeat(" ", 2048) + `}`), wantStatus: 429, want: []string{"resource_exhausted"}},
		{name: "unknown Connect method", method: "POST", path: "/routeguide.RouteGuide/GetFeatures", header: connect,
			body: []byte(`{}`), wantStatus: 404, want: []string{"/routeguide.RouteGuide/GetFeatures"}},
		{name: "unknown REST path", method: "GET", path: "/v1/nothing/here", wantStatus: 404, want: []string{"/v1/nothing/here"}},
	}
	ms, _ := start(t, mockserver.HandlerFunc(func(c *mockserver.Call) error {
		t.Errorf("the handler was called for bad input: %s", c.FullMethod())
		return nil
	}))
	small, err := transcoder.New(ms, transcoder.WithMaxMessageBytes(1024))
	require.NoError(t, err)
	t.Cleanup(func() { _ = small.Close() })
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			for _, client := range []*http.Client{small.Client(), small.HTTP1Client()} {
				req, err := http.NewRequestWithContext(testContext(t), r.method, small.URL()+r.path, bytes.NewReader(r.body))
				require.NoError(t, err)
				for k, v := range r.header {
					req.Header.Set(k, v)
				}
				resp, err := client.Do(req)
				require.NoError(t, err)
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.NoError(t, err)
				text := string(b) + " grpc-message: " + resp.Header.Get("Grpc-Message") + resp.Trailer.Get("Grpc-Message")
				assert.Equal(t, r.wantStatus, resp.StatusCode, text)
				if r.wantGRPC != "" {
					assert.Equal(t, r.wantGRPC, resp.Header.Get("Grpc-Status")+resp.Trailer.Get("Grpc-Status"), text)
				}
				for _, w := range r.want {
					assert.Contains(t, text, w)
				}
			}
		})
	}
}
