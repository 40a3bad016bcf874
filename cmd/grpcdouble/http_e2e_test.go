package main

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"connectrpc.com/connect"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/examples/routeguide/routeguideconnect"
)

// h2cClient speaks HTTP/2 without TLS (prior knowledge), as connect-go
// users configure it for every RPC kind; tlsCfg set, HTTP/2 over TLS.
func h2cClient(tlsCfg *tls.Config) *http.Client {
	var p http.Protocols
	if tlsCfg != nil {
		p.SetHTTP2(true)
	} else {
		p.SetUnencryptedHTTP2(true)
	}
	return &http.Client{Transport: &http.Transport{Protocols: &p, TLSClientConfig: tlsCfg, ForceAttemptHTTP2: true}}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return httpDo(t, http.DefaultClient, req)
}

func httpDo(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// textFrames splits a gRPC-Web text-mode body into its frames' payloads;
// each frame is base64 padded on its own.
func textFrames(t *testing.T, body string) [][]byte {
	t.Helper()
	var frames [][]byte
	for body != "" {
		if len(body) < 8 {
			t.Fatalf("a text-mode body ends in %q", body)
		}
		head, err := base64.StdEncoding.DecodeString(body[:8])
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		n := base64.StdEncoding.EncodedLen(5 + int(binary.BigEndian.Uint32(head[1:5])))
		if n > len(body) {
			t.Fatalf("a frame of %d characters in %q", n, body)
		}
		b, err := base64.StdEncoding.DecodeString(body[:n])
		if err != nil {
			t.Fatalf("a frame is not base64 padded on its own: %q: %v", body[:n], err)
		}
		frames = append(frames, b[5:])
		body = body[n:]
	}
	return frames
}

func httpPost(t *testing.T, url, contentType, body string, header ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return httpDo(t, http.DefaultClient, req)
}

// TestServeHTTPProtocols: "serve --http" answers the stubs over Connect
// and gRPC-Web with connect-go (HTTP/2 cleartext and HTTP/1.1), over REST
// with plain net/http calls, and gRPC on --listen as before.
func TestServeHTTPProtocols(t *testing.T) {
	t.Parallel()
	p := startProc(t, serveArgs("--stubs", "testdata/standalone/stubs", "--http", "127.0.0.1:0")...)
	if p.HTTPAddr == "" {
		t.Fatal("no \"http listening on\" line")
	}
	base := "http://" + p.HTTPAddr
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	for _, tc := range []struct {
		name string
		hc   *http.Client
		opts []connect.ClientOption
	}{
		{"connect+json h2c", h2cClient(nil), []connect.ClientOption{connect.WithProtoJSON()}},
		{"connect+proto http/1.1", http.DefaultClient, nil},
		{"grpc-web h2c", h2cClient(nil), []connect.ClientOption{connect.WithGRPCWeb()}},
		{"grpc-web+json http/1.1", http.DefaultClient, []connect.ClientOption{connect.WithGRPCWeb(), connect.WithProtoJSON()}},
		{"grpc h2c", h2cClient(nil), []connect.ClientOption{connect.WithGRPC()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := routeguideconnect.NewRouteGuideClient(tc.hc, base, tc.opts...)
			f, err := client.GetFeature(ctx, connect.NewRequest(&pb.Point{Latitude: 1, Longitude: 2}))
			if err != nil {
				t.Fatal(err)
			}
			if f.Msg.Name != "Stub feature at 1,2" || f.Header().Get("x-stub") != "feature-1-2" || f.Trailer().Get("x-cost") != "1" {
				t.Errorf("got %v, header %v, trailer %v", f.Msg, f.Header(), f.Trailer())
			}
			req := connect.NewRequest(&pb.Point{Latitude: 42})
			req.Header().Set("authorization", "Bearer let-me-in")
			_, err = client.GetFeature(ctx, req)
			if connect.CodeOf(err) != connect.CodePermissionDenied || !strings.Contains(err.Error(), "Zutritt verboten — 立入禁止") {
				t.Errorf("got %v, want PermissionDenied with the stub's message", err)
			}
			s, err := client.ListFeatures(ctx, connect.NewRequest(&pb.Rectangle{}))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for s.Receive() {
				names = append(names, s.Msg().Name)
			}
			if err := s.Close(); err != nil || strings.Join(names, ",") != "first,second,third" {
				t.Errorf("stream: %v, %v", names, err)
			}
		})
	}
	t.Run("bidi h2c", func(t *testing.T) {
		client := routeguideconnect.NewRouteGuideClient(h2cClient(nil), base)
		bidi := client.RouteChat(ctx)
		for _, m := range []string{"hello", "bye"} {
			if err := bidi.Send(&pb.RouteNote{Message: m}); err != nil {
				t.Fatal(err)
			}
			got, err := bidi.Receive()
			if err != nil || got.Message != strings.ToUpper(m) {
				t.Fatalf("got %v, %v", got, err)
			}
		}
		_ = bidi.CloseRequest()
		_ = bidi.CloseResponse()
	})
	t.Run("rest", func(t *testing.T) {
		code, body := httpGet(t, base+"/v1/features/1?longitude=2")
		if code != http.StatusOK || !strings.Contains(body, `"name":"Stub feature at 1,2"`) {
			t.Errorf("GET: %d %s", code, body)
		}
		code, body = httpPost(t, base+"/v1/features:lookup", "application/json", `{"latitude":1,"longitude":2}`)
		if code != http.StatusOK || !strings.Contains(body, `"terrain":"TERRAIN_FOREST"`) {
			t.Errorf("POST: %d %s", code, body)
		}
		code, body = httpGet(t, base+"/v1/features/77")
		if code != http.StatusPreconditionFailed && code != http.StatusBadRequest {
			t.Errorf("a call no stub matches: %d %s", code, body)
		}
		if !strings.Contains(body, "no stub") && !strings.Contains(strings.ToLower(body), "nearest") {
			t.Errorf("a call no stub matches should say why: %s", body)
		}
	})
	t.Run("connect GET", func(t *testing.T) {
		// GetFeature is marked NO_SIDE_EFFECTS in the .proto the double
		// parsed, so connect-go's WithHTTPGet calls it with GET.
		for _, hc := range []*http.Client{h2cClient(nil), http.DefaultClient} {
			next := hc.Transport
			if next == nil {
				next = http.DefaultTransport
			}
			var methods []string
			rec := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				methods = append(methods, r.Method)
				return next.RoundTrip(r)
			})}
			client := routeguideconnect.NewRouteGuideClient(rec, base, connect.WithHTTPGet(), connect.WithProtoJSON())
			f, err := client.GetFeature(ctx, connect.NewRequest(&pb.Point{Latitude: 1, Longitude: 2}))
			if err != nil || f.Msg.Name != "Stub feature at 1,2" || f.Header().Get("x-stub") != "feature-1-2" {
				t.Fatalf("%v, %v", f, err)
			}
			if strings.Join(methods, ",") != "GET" {
				t.Errorf("the client sent %v, want one GET", methods)
			}
		}
	})
	t.Run("grpc-web-text http/1.1", func(t *testing.T) {
		// No Go client speaks the text mode: the request is built as
		// grpc-web's JavaScript client sends it, a base64 frame of
		// Point{latitude: 1, longitude: 2}.
		point := base64.StdEncoding.EncodeToString([]byte{0, 0, 0, 0, 4, 0x08, 0x01, 0x10, 0x02})
		code, body := httpPost(t, base+"/routeguide.RouteGuide/GetFeature", "application/grpc-web-text", point,
			"Accept", "application/grpc-web-text", "X-Grpc-Web", "1")
		frames := textFrames(t, body)
		if code != http.StatusOK || len(frames) != 2 || !strings.Contains(string(frames[0]), "Stub feature at 1,2") ||
			!strings.Contains(string(frames[1]), "grpc-status: 0") || !strings.Contains(string(frames[1]), "x-cost: 1") {
			t.Errorf("GetFeature: %d %q", code, frames)
		}
		empty := base64.StdEncoding.EncodeToString([]byte{0, 0, 0, 0, 0})
		code, body = httpPost(t, base+"/routeguide.RouteGuide/ListFeatures", "application/grpc-web-text+proto", empty)
		frames = textFrames(t, body)
		if code != http.StatusOK || len(frames) != 4 || !strings.Contains(string(frames[2]), "third") {
			t.Errorf("ListFeatures: %d %q", code, frames)
		}
		code, body = httpPost(t, base+"/routeguide.RouteGuide/GetFeature", "application/grpc-web-text", "AAAA*AAA")
		if code != http.StatusOK || len(textFrames(t, body)) != 0 {
			t.Errorf("invalid base64: %d %q", code, body)
		}
	})
	t.Run("grpc on --listen", func(t *testing.T) {
		f, err := pb.NewRouteGuideClient(dial(t, p.Addr, nil)).GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
		if err != nil || f.Name != "Stub feature at 1,2" {
			t.Fatalf("%v, %v", f, err)
		}
	})
}

// TestServeHTTPTLS: with --tls-cert the --http port serves TLS, HTTP/2 by
// ALPN (bidi works) and HTTP/1.1.
func TestServeHTTPTLS(t *testing.T) {
	t.Parallel()
	certs, files := writeCerts(t, t.TempDir())
	p := startProc(t, serveArgs("--stubs", "testdata/standalone/stubs", "--http", "127.0.0.1:0", "--tls-cert", files.ServerCert, "--tls-key", files.ServerKey)...)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	client := routeguideconnect.NewRouteGuideClient(h2cClient(certs.ClientTLS(false)), "https://"+p.HTTPAddr, connect.WithGRPCWeb())
	bidi := client.RouteChat(ctx)
	if err := bidi.Send(&pb.RouteNote{Message: "hello"}); err != nil {
		t.Fatal(err)
	}
	if got, err := bidi.Receive(); err != nil || got.Message != "HELLO" {
		t.Fatalf("got %v, %v", got, err)
	}
	_ = bidi.CloseRequest()
	_ = bidi.CloseResponse()
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(false)}}
	f, err := routeguideconnect.NewRouteGuideClient(h1, "https://"+p.HTTPAddr).GetFeature(ctx, connect.NewRequest(&pb.Point{Latitude: 1, Longitude: 2}))
	if err != nil || f.Msg.Name != "Stub feature at 1,2" {
		t.Fatalf("HTTP/1.1 over TLS: %v, %v", f, err)
	}
}

// TestRecordHTTPProtocols: "record --http" takes Connect and gRPC-Web
// (binary and text) clients, forwards to the gRPC upstream, and writes the same cassette,
// which "serve" then replays to a grpc-go client.
func TestRecordHTTPProtocols(t *testing.T) {
	t.Parallel()
	upstream, stopUpstream := startUpstream(t, nil)
	file := filepath.Join(t.TempDir(), "web.cassette")
	rec := startProc(t, "record", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--upstream", upstream, "--cassette", file)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	for i, opts := range [][]connect.ClientOption{{connect.WithProtoJSON()}, {connect.WithGRPCWeb()}} {
		client := routeguideconnect.NewRouteGuideClient(h2cClient(nil), "http://"+rec.HTTPAddr, opts...)
		f, err := client.GetFeature(ctx, connect.NewRequest(&pb.Point{Latitude: int32(10 + i), Longitude: 1}))
		if err != nil || f.Msg.Name != fmt.Sprintf("feature at %d,1", 10+i) {
			t.Fatalf("through the recorder: %v, %v", f, err)
		}
	}
	// gRPC-Web's text mode, as grpc-web's JavaScript client sends it:
	// Point{latitude: 12, longitude: 1}.
	code, body := httpPost(t, "http://"+rec.HTTPAddr+"/routeguide.RouteGuide/GetFeature", "application/grpc-web-text",
		base64.StdEncoding.EncodeToString([]byte{0, 0, 0, 0, 4, 0x08, 12, 0x10, 1}), "Accept", "application/grpc-web-text", "X-Grpc-Web", "1")
	if frames := textFrames(t, body); code != http.StatusOK || len(frames) != 2 || !strings.Contains(string(frames[0]), "feature at 12,1") {
		t.Fatalf("text mode through the recorder: %d %q", code, frames)
	}
	if err := rec.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("record exited with %v", err)
	}
	stopUpstream()
	c, err := cassette.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Interactions) != 3 {
		t.Fatalf("the cassette holds %d interactions, want 3", len(c.Interactions))
	}
	for _, in := range c.Interactions {
		for k := range in.Metadata {
			if strings.HasPrefix(k, "connect-") || k == "x-user-agent" || k == "x-grpc-web" || k == "accept" {
				t.Errorf("the cassette records the protocol's header %q as metadata", k)
			}
		}
	}
	srv := startProc(t, append([]string{"serve", "--listen", "127.0.0.1:0", "--cassette", file}, protoArgs...)...)
	for _, lat := range []int32{11, 12} { // recorded from gRPC-Web, binary and text
		f, err := pb.NewRouteGuideClient(dial(t, srv.Addr, nil)).GetFeature(ctx, &pb.Point{Latitude: lat, Longitude: 1})
		if err != nil || f.Name != fmt.Sprintf("feature at %d,1", lat) {
			t.Fatalf("replayed to grpc-go: %v, %v", f, err)
		}
	}
}
