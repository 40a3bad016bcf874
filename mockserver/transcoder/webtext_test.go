package transcoder_test

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// webFrame is one gRPC-Web frame: flags, then the payload.
type webFrame struct {
	flags   byte
	payload []byte
}

func frameBytes(flags byte, payload []byte) []byte {
	b := make([]byte, 5, 5+len(payload))
	b[0] = flags
	binary.BigEndian.PutUint32(b[1:], uint32(len(payload)))
	return append(b, payload...)
}

// textChunks base64-encodes b as a client that flushes every few bytes
// does: each piece is encoded, padding and all, on its own.
func textChunks(b []byte, sizes ...int) string {
	var s strings.Builder
	for _, n := range sizes {
		n = min(n, len(b))
		s.WriteString(base64.StdEncoding.EncodeToString(b[:n]))
		b = b[n:]
	}
	s.WriteString(base64.StdEncoding.EncodeToString(b))
	return s.String()
}

// readTextFrames reads a text-mode response body as the spec says the
// server writes it: each frame base64-encoded with its own padding. It
// returns the frames and the text of each.
func readTextFrames(t *testing.T, r io.Reader) []webFrame {
	t.Helper()
	br := bufio.NewReader(r)
	var frames []webFrame
	for {
		head := make([]byte, 8) // 6 bytes: the 5 of the header and one more
		if _, err := io.ReadFull(br, head); err == io.EOF {
			return frames
		} else if err != nil {
			t.Fatalf("reading a frame's first 8 characters: %v", err)
		}
		h, err := base64.StdEncoding.DecodeString(string(head))
		require.NoError(t, err, "%q", head)
		n := 5 + int(binary.BigEndian.Uint32(h[1:5]))
		enc := make([]byte, base64.StdEncoding.EncodedLen(n))
		copy(enc, head)
		if len(enc) > len(head) {
			_, err = io.ReadFull(br, enc[len(head):])
			require.NoError(t, err)
		}
		b, err := base64.StdEncoding.DecodeString(string(enc))
		require.NoError(t, err, "a frame's text is not base64 padded on its own: %q", enc)
		require.Len(t, b, n)
		frames = append(frames, webFrame{flags: b[0], payload: b[5:]})
	}
}

// trailerFrame parses a trailer frame's "key: value\r\n" lines.
func trailerFrame(t *testing.T, f webFrame) http.Header {
	t.Helper()
	require.Equal(t, byte(0x80), f.flags&0x80, "not a trailer frame")
	h := http.Header{}
	for _, line := range strings.Split(strings.TrimRight(string(f.payload), "\r\n"), "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		require.True(t, ok, "trailer line %q", line)
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return h
}

// textStatus is the call's grpc-status and decoded grpc-message, from the
// headers (trailers-only) or the trailer frame.
func textStatus(t *testing.T, resp *http.Response, frames []webFrame) (string, string) {
	t.Helper()
	h := resp.Header
	if h.Get("Grpc-Status") == "" {
		require.NotEmpty(t, frames, "no grpc-status in the headers and no trailer frame")
		h = trailerFrame(t, frames[len(frames)-1])
	}
	msg, err := url.PathUnescape(h.Get("Grpc-Message"))
	require.NoError(t, err)
	return h.Get("Grpc-Status"), msg
}

func postText(t *testing.T, client *http.Client, url, contentType string, body io.Reader) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, url, body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/grpc-web-text")
	req.Header.Set("X-Grpc-Web", "1")
	req.Header.Set("X-User-Agent", "grpc-web-javascript/0.1")
	resp, err := client.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestWebText: gRPC-Web's text mode, with requests built as the spec says
// (no Go client speaks it): one framed message in base64, sent in one
// chunk or in several each padded on its own;
// over HTTP/2 and HTTP/1.1. Unary and server streaming answer with each
// frame base64-encoded on its own, headers, the trailer frame, and the
// journal's protocol.
func TestWebText(t *testing.T) {
	point := &pb.Point{Latitude: 1, Longitude: 2}
	msg, err := proto.Marshal(point)
	require.NoError(t, err)
	frame := frameBytes(0, msg)
	bodies := map[string]func() io.Reader{
		"one chunk":     func() io.Reader { return strings.NewReader(base64.StdEncoding.EncodeToString(frame)) },
		"padded chunks": func() io.Reader { return strings.NewReader(textChunks(frame, 1, 2, 1)) },
	}
	require.Contains(t, textChunks(frame, 1, 2, 1)[:8], "==", "the chunks should carry padding inside the body")
	ms, web := start(t, routeHandler)
	for name, body := range bodies {
		for _, hc := range []struct {
			name   string
			client *http.Client
		}{{"h2", web.Client()}, {"http1", web.HTTP1Client()}} {
			for _, ct := range []string{"application/grpc-web-text", "application/grpc-web-text+proto"} {
				t.Run(name+"/"+hc.name+"/"+ct, func(t *testing.T) {
					before := len(ms.Calls())
					resp := postText(t, hc.client, web.URL()+"/routeguide.RouteGuide/GetFeature", ct, body())
					assert.Equal(t, http.StatusOK, resp.StatusCode)
					assert.Equal(t, "application/grpc-web-text+proto", resp.Header.Get("Content-Type"))
					assert.Equal(t, "h-GetFeature", resp.Header.Get("X-Header"))
					frames := readTextFrames(t, resp.Body)
					require.Len(t, frames, 2)
					var f pb.Feature
					require.NoError(t, proto.Unmarshal(frames[0].payload, &f))
					protoDiff(t, &pb.Feature{Name: "at 1,2", Location: point}, &f)
					tr := trailerFrame(t, frames[1])
					assert.Contains(t, string(frames[1].payload), "grpc-status: 0\r\n", "trailer names are lower case, as grpc-web's JavaScript client needs")
					assert.Equal(t, "0", tr.Get("Grpc-Status"))
					assert.Equal(t, "t-GetFeature", tr.Get("X-Trailer"))

					resp = postText(t, hc.client, web.URL()+"/routeguide.RouteGuide/ListFeatures", ct,
						strings.NewReader(textChunks(frameBytes(0, nil))))
					frames = readTextFrames(t, resp.Body)
					require.Len(t, frames, 4)
					for i, fr := range frames[:3] {
						var f pb.Feature
						require.NoError(t, proto.Unmarshal(fr.payload, &f))
						assert.Equal(t, fmt.Sprint("f", i), f.Name)
					}
					assert.Equal(t, "t-ListFeatures", trailerFrame(t, frames[3]).Get("X-Trailer"))

					calls := ms.Calls()[before:]
					require.Len(t, calls, 2)
					for _, c := range calls {
						assert.Equal(t, mockserver.Protocol{Name: mockserver.ProtocolGRPCWebText, Codec: "proto"}, c.Protocol)
						assert.Equal(t, codes.OK, c.Code())
						assert.Empty(t, c.Metadata.Get("accept"), "the text mode's Accept is no metadata")
					}
					protoDiff(t, point, calls[0].Received()[0])
				})
			}
		}
	}
}

// TestWebTextStreamsAsItGoes: each server message reaches the text-mode
// client while the handler is still running (frames are flushed one by
// one), and an error status with trailers ends the stream in the trailer
// frame.
func TestWebTextStreamsAsItGoes(t *testing.T) {
	next := make(chan struct{})
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		if _, err := c.Recv(); err != nil {
			return err
		}
		if err := c.Send(&pb.Feature{Name: "first"}); err != nil {
			return err
		}
		select {
		case <-next:
		case <-c.Context().Done():
			return c.Context().Err()
		}
		if err := c.Send(&pb.Feature{Name: "second"}); err != nil {
			return err
		}
		c.SetTrailer(metadata.Pairs("x-why", "because"))
		return status.Error(codes.ResourceExhausted, "quota: 100% used — bitte warten")
	})
	_, web := start(t, h)
	for _, hc := range []struct {
		name   string
		client *http.Client
	}{{"h2", web.Client()}, {"http1", web.HTTP1Client()}} {
		t.Run(hc.name, func(t *testing.T) {
			resp := postText(t, hc.client, web.URL()+"/routeguide.RouteGuide/ListFeatures", "application/grpc-web-text",
				strings.NewReader(textChunks(frameBytes(0, nil))))
			require.Equal(t, http.StatusOK, resp.StatusCode)
			br := bufio.NewReader(resp.Body)
			first := readTextFrames(t, io.LimitReader(br, int64(base64.StdEncoding.EncodedLen(5+len("\n\x05first")))))
			require.Len(t, first, 1)
			var f pb.Feature
			require.NoError(t, proto.Unmarshal(first[0].payload, &f))
			assert.Equal(t, "first", f.Name)
			next <- struct{}{} // the handler waits for it: the first frame came while it ran
			rest := readTextFrames(t, br)
			require.Len(t, rest, 2)
			require.NoError(t, proto.Unmarshal(rest[0].payload, &f))
			assert.Equal(t, "second", f.Name)
			code, msg := textStatus(t, resp, rest)
			assert.Equal(t, fmt.Sprint(int(codes.ResourceExhausted)), code)
			assert.Equal(t, "quota: 100% used — bitte warten", msg)
			assert.Equal(t, "because", trailerFrame(t, rest[1]).Get("X-Why"))
		})
	}
}

// TestWebTextTrailersOnly: an error before any message comes as a
// trailers-only response, the status in the headers, and still in the
// text mode's content-type.
func TestWebTextTrailersOnly(t *testing.T) {
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		return status.Error(codes.PermissionDenied, "Zutritt verboten — 立入禁止")
	})
	_, web := start(t, h)
	resp := postText(t, web.Client(), web.URL()+"/routeguide.RouteGuide/GetFeature", "application/grpc-web-text",
		strings.NewReader(textChunks(frameBytes(0, nil))))
	assert.Equal(t, "application/grpc-web-text+proto", resp.Header.Get("Content-Type"))
	frames := readTextFrames(t, resp.Body)
	code, msg := textStatus(t, resp, frames)
	assert.Equal(t, fmt.Sprint(int(codes.PermissionDenied)), code)
	assert.Equal(t, "Zutritt verboten — 立入禁止", msg)
}

// TestWebTextClientStream: a client-streaming method's text body is
// decoded as the handler reads it: two messages are counted, and a chunk
// that is not base64 after a good one ends the call with InvalidArgument
// saying where, not the Unavailable of a broken body, in the headers of
// a trailers-only answer or in the trailer frame after messages.
func TestWebTextClientStream(t *testing.T) {
	_, web := start(t, routeHandler)
	b, err := proto.Marshal(&pb.Point{Latitude: 3})
	require.NoError(t, err)
	good := base64.StdEncoding.EncodeToString(frameBytes(0, b))

	resp := postText(t, web.Client(), web.URL()+"/routeguide.RouteGuide/RecordRoute", "application/grpc-web-text", strings.NewReader(good+good))
	frames := readTextFrames(t, resp.Body)
	require.Len(t, frames, 2)
	var sum pb.RouteSummary
	require.NoError(t, proto.Unmarshal(frames[0].payload, &sum))
	assert.Equal(t, int32(2), sum.PointCount)

	resp = postText(t, web.Client(), web.URL()+"/routeguide.RouteGuide/RecordRoute", "application/grpc-web-text", strings.NewReader(good+"AA*A"))
	code, msg := textStatus(t, resp, readTextFrames(t, resp.Body))
	assert.Equal(t, fmt.Sprint(int(codes.InvalidArgument)), code, msg)
	assert.Contains(t, msg, fmt.Sprintf("grpc-web-text: the request body is not valid base64: '*' at offset %d", len(good)+2))

	// After an answer, the status is in the trailer frame.
	note, err := proto.Marshal(&pb.RouteNote{Message: "a"})
	require.NoError(t, err)
	resp = postText(t, web.Client(), web.URL()+"/routeguide.RouteGuide/RouteChat", "application/grpc-web-text",
		strings.NewReader(base64.StdEncoding.EncodeToString(frameBytes(0, note))+"*"))
	frames = readTextFrames(t, resp.Body)
	require.Len(t, frames, 2)
	var echo pb.RouteNote
	require.NoError(t, proto.Unmarshal(frames[0].payload, &echo))
	assert.Equal(t, "A", echo.Message)
	code, msg = textStatus(t, resp, frames)
	assert.Equal(t, fmt.Sprint(int(codes.InvalidArgument)), code, msg)
	assert.Contains(t, msg, "not valid base64: it ends with a lone character '*'")
}

// TestWebTrailerNamesLowerCase: binary gRPC-Web's trailer frame names its
// trailers in lower case, as the spec says and grpc-web's JavaScript
// client needs (it looks up "grpc-status" as written; vanguard writes
// "Grpc-Status"), on success and on an error after a message.
func TestWebTrailerNamesLowerCase(t *testing.T) {
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		if _, err := c.Recv(); err != nil {
			return err
		}
		c.SetTrailer(metadata.Pairs("x-trailer", "t"))
		if err := c.Send(&pb.Feature{Name: "one"}); err != nil {
			return err
		}
		if c.Method().Name() == "ListFeatures" {
			return status.Error(codes.PermissionDenied, "no")
		}
		return nil
	})
	_, web := start(t, h)
	for _, tc := range []struct {
		method string
		want   string
	}{{"GetFeature", "grpc-status: 0\r\n"}, {"ListFeatures", "grpc-status: 7\r\n"}} {
		req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, web.URL()+"/routeguide.RouteGuide/"+tc.method, strings.NewReader(string(frameBytes(0, nil))))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/grpc-web+proto")
		req.Header.Set("X-Grpc-Web", "1")
		resp, err := web.HTTP1Client().Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, "application/grpc-web+proto", resp.Header.Get("Content-Type"))
		var frames []webFrame
		for len(body) >= 5 {
			n := 5 + int(binary.BigEndian.Uint32(body[1:5]))
			require.LessOrEqual(t, n, len(body))
			frames = append(frames, webFrame{flags: body[0], payload: body[5:n]})
			body = body[n:]
		}
		require.Len(t, frames, 2, tc.method)
		trailer := string(frames[1].payload)
		assert.Contains(t, trailer, tc.want, tc.method)
		assert.Contains(t, trailer, "x-trailer: t\r\n", tc.method)
		assert.NotContains(t, trailer, "Grpc-", tc.method)
	}
}
