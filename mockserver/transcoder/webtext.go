package transcoder

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// gRPC-Web's text mode (application/grpc-web-text, with an optional +codec)
// is binary gRPC-Web with the request and response bodies base64-encoded,
// for browsers that can read a streamed response only as text (grpc-web's
// JavaScript client in its default grpcwebtext mode). Vanguard v0.4.0 does
// not serve it (connectrpc/vanguard-go#143, open), so it is done here, in
// front of vanguard: the request is decoded into binary gRPC-Web frames and
// passed on as application/grpc-web+codec, and the response's frames (data
// and trailers) are each base64-encoded, padded, and flushed as they come,
// under the content-type application/grpc-web-text+codec. See gRPC's
// doc/PROTOCOL-WEB.md.

const grpcWebTextType = "application/grpc-web-text"

// webText serves one text-mode request with next, the binary gRPC-Web
// handler. md is the method the path names, nil when it names none (next
// then answers that). For a method whose client sends one message (unary,
// server streaming: all a browser can call) the whole body is decoded and
// checked before the call, so invalid base64 or a truncated frame gets
// InvalidArgument naming what was wrong and never reaches the handler. A
// client-streaming method's body is decoded as it is read; a bad chunk
// there breaks the body the handler reads, and the status the call ends
// with says InvalidArgument and why.
func webText(w http.ResponseWriter, r *http.Request, p mockserver.Protocol, md protoreflect.MethodDescriptor, maxMsg uint32, next http.Handler) {
	dec := &base64Reader{r: r.Body}
	var body io.Reader = dec
	if md != nil && !md.IsStreamingClient() {
		b, err := readOneFrame(dec, md, maxMsg)
		if err != nil {
			writeTextStatus(w, p, err)
			return
		}
		body = bytes.NewReader(b)
	}
	r.Body = readCloser{body, r.Body}
	r.ContentLength = -1
	r.Header.Del("Content-Length")
	r.Header.Set("Content-Type", "application/grpc-web+"+p.Codec)
	r.Header.Del("Accept") // says text mode; not metadata
	tw := &webWriter{w: w, text: true, dec: dec}
	next.ServeHTTP(tw, r)
	tw.finish()
}

type readCloser struct {
	io.Reader
	io.Closer
}

// textStatusError is a status webText answers itself.
type textStatusError struct {
	code codes.Code
	msg  string
}

func (e *textStatusError) Error() string { return e.msg }

func textErrorf(code codes.Code, format string, args ...any) error {
	return &textStatusError{code: code, msg: "grpc-web-text: " + fmt.Sprintf(format, args...)}
}

// readOneFrame decodes the body of a call whose client sends one message:
// one frame (or none), then the end.
func readOneFrame(dec io.Reader, md protoreflect.MethodDescriptor, maxMsg uint32) ([]byte, error) {
	var hdr [5]byte
	n, err := io.ReadFull(dec, hdr[:])
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return nil, nil // no message: the server says so, as for binary gRPC-Web
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, textErrorf(codes.InvalidArgument, "the request body ends inside a frame header (%d of its 5 bytes)", n)
	case err != nil:
		return nil, err
	}
	if hdr[0]&0x80 != 0 {
		return nil, textErrorf(codes.InvalidArgument, "the request body starts with a trailer frame (flags %#02x); a client sends only data frames", hdr[0])
	}
	length := binary.BigEndian.Uint32(hdr[1:])
	if length > maxMsg {
		return nil, textErrorf(codes.ResourceExhausted, "the request message is %d bytes, more than the limit of %d", length, maxMsg)
	}
	frame := make([]byte, 5+int(length))
	copy(frame, hdr[:])
	got, err := io.ReadFull(dec, frame[5:])
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return nil, textErrorf(codes.InvalidArgument, "the request body ends inside a frame: its header says %d bytes, %d came", length, got)
	case err != nil:
		return nil, err
	}
	var more [1]byte
	switch n, err := io.ReadFull(dec, more[:]); {
	case n > 0:
		return nil, textErrorf(codes.InvalidArgument, "%s takes one request message; the body goes on after it", md.FullName())
	case !errors.Is(err, io.EOF):
		return nil, err
	}
	return frame, nil
}

// writeTextStatus answers err as a trailers-only text-mode response: HTTP
// 200, the status in the headers, no body. An error that is not webText's
// own is the request body's read error.
func writeTextStatus(w http.ResponseWriter, p mockserver.Protocol, err error) {
	var st *textStatusError
	if !errors.As(err, &st) {
		st = &textStatusError{code: codes.Unavailable, msg: "grpc-web-text: reading the request body: " + err.Error()}
	}
	h := w.Header()
	h.Set("Content-Type", grpcWebTextType+"+"+p.Codec)
	h.Set("Grpc-Status", fmt.Sprint(int(st.code)))
	h.Set("Grpc-Message", percentEncode(st.msg))
	w.WriteHeader(http.StatusOK)
}

// percentEncode encodes a grpc-message as gRPC does: printable ASCII
// but '%' as it is, every other byte as %XX.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= ' ' && c <= '~' && c != '%' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// base64Reader decodes a text-mode body: standard base64, where each
// chunk a client flushed may carry its own padding, so '=' may end any
// 4-character group, not only the last. CR and LF are skipped; a last
// group of 2 or 3 characters without padding is accepted.
type base64Reader struct {
	r     io.Reader
	buf   [4096]byte
	quad  [4]byte
	nquad int
	out   []byte // decoded, not yet read
	pos   int64  // characters consumed, for error messages
	err   error
	// bad is the error that the body is not base64, for the response's
	// writer, which runs on another goroutine than the body's reader.
	bad atomic.Pointer[textStatusError]
}

func (d *base64Reader) Read(p []byte) (int, error) {
	for len(d.out) == 0 && d.err == nil {
		d.fill()
	}
	if len(d.out) > 0 {
		n := copy(p, d.out)
		d.out = d.out[n:]
		return n, nil
	}
	return 0, d.err
}

func (d *base64Reader) fill() {
	n, err := d.r.Read(d.buf[:])
	out := d.out[:0]
	for _, c := range d.buf[:n] {
		d.pos++
		if c == '\r' || c == '\n' {
			continue
		}
		d.quad[d.nquad] = c
		d.nquad++
		if d.nquad < 4 {
			continue
		}
		d.nquad = 0
		var dst [3]byte
		m, derr := base64.StdEncoding.Decode(dst[:], d.quad[:])
		if derr != nil {
			d.err = badBase64(d.quad[:], d.pos-4, derr)
			break
		}
		out = append(out, dst[:m]...)
	}
	d.out = out
	defer d.noteBad()
	if d.err != nil || err == nil {
		return
	}
	if !errors.Is(err, io.EOF) {
		d.err = err
		return
	}
	d.err = io.EOF
	if d.nquad == 0 {
		return
	}
	if d.nquad == 1 {
		d.err = textErrorf(codes.InvalidArgument, "the request body is not valid base64: it ends with a lone character %q at offset %d; a group has 4, padded with '='", d.quad[0], d.pos-1)
		return
	}
	var dst [3]byte
	m, derr := base64.RawStdEncoding.Decode(dst[:], d.quad[:d.nquad])
	if derr != nil {
		d.err = badBase64(d.quad[:d.nquad], d.pos-int64(d.nquad), derr)
		return
	}
	d.out = append(d.out, dst[:m]...)
}

func (d *base64Reader) noteBad() {
	var st *textStatusError
	if errors.As(d.err, &st) {
		d.bad.Store(st)
	}
}

func badBase64(quad []byte, at int64, err error) error {
	var ce base64.CorruptInputError
	if errors.As(err, &ce) {
		at += int64(ce)
		if int(ce) < len(quad) {
			return textErrorf(codes.InvalidArgument, "the request body is not valid base64: %q at offset %d (in the group %q)", quad[ce], at, quad)
		}
	}
	return textErrorf(codes.InvalidArgument, "the request body is not valid base64 at offset %d (in the group %q): %v", at, quad, err)
}

// webWriter writes a gRPC-Web response on its way out of vanguard,
// frame by frame: it writes each trailer frame's names in lower case, and
// in text mode (text set) base64-encodes each whole frame, data or
// trailers, with its own padding, and flushes it as it completes. A
// response that is not gRPC-Web (an HTTP error from the router) goes out
// as it is.
type webWriter struct {
	w       http.ResponseWriter
	text    bool
	dec     *base64Reader // text mode's request body
	decided bool
	frames  bool
	pending []byte
}

func (t *webWriter) Header() http.Header { return t.w.Header() }

func (t *webWriter) WriteHeader(code int) {
	if !t.decided {
		t.decided = true
		h := t.w.Header()
		if sub, ok := strings.CutPrefix(h.Get("Content-Type"), "application/grpc-web"); ok && (sub == "" || sub[0] == '+' || sub[0] == ';') {
			t.frames = true
			if t.text {
				h.Set("Content-Type", grpcWebTextType+sub)
				h.Del("Content-Length")
				if st := t.badBody(); st != nil && h.Get("Grpc-Status") != "" {
					h.Set("Grpc-Status", fmt.Sprint(int(st.code))) // trailers-only
				}
			}
		}
	}
	t.w.WriteHeader(code)
}

func (t *webWriter) badBody() *textStatusError {
	if t.dec == nil {
		return nil
	}
	return t.dec.bad.Load()
}

func (t *webWriter) Write(b []byte) (int, error) {
	if !t.decided {
		t.WriteHeader(http.StatusOK)
	}
	if !t.frames {
		return t.w.Write(b)
	}
	t.pending = append(t.pending, b...)
	wrote := false
	for len(t.pending) >= 5 {
		end := 5 + int(binary.BigEndian.Uint32(t.pending[1:5]))
		if len(t.pending) < end {
			break
		}
		frame := t.pending[:end]
		if frame[0]&0x80 != 0 {
			frame = t.fixTrailers(frame)
		}
		if t.text {
			frame = base64.StdEncoding.AppendEncode(nil, frame)
		}
		if _, err := t.w.Write(frame); err != nil {
			return 0, err
		}
		t.pending = t.pending[end:]
		wrote = true
	}
	if len(t.pending) == 0 {
		t.pending = nil
	}
	if wrote && t.text {
		t.flushUnder()
	}
	return len(b), nil
}

// fixTrailers writes a trailer frame's names in lower case, as the
// gRPC-Web spec says and grpc-web's JavaScript client needs (it looks for
// "grpc-status" exactly; vanguard writes "Grpc-Status"), and gives it the
// status of a text-mode request body that was not base64, in place of the
// broken body's Unavailable.
func (t *webWriter) fixTrailers(frame []byte) []byte {
	st := t.badBody()
	lines := strings.Split(string(frame[5:]), "\r\n")
	for i, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "grpc-status" && st != nil {
			v = fmt.Sprint(" ", int(st.code))
		}
		lines[i] = k + ":" + v
	}
	return frameOf(frame[0], []byte(strings.Join(lines, "\r\n")))
}

func frameOf(flags byte, payload []byte) []byte {
	b := make([]byte, 5, 5+len(payload))
	b[0] = flags
	binary.BigEndian.PutUint32(b[1:], uint32(len(payload))) //nolint:gosec // a trailer block, far below 4 GiB
	return append(b, payload...)
}

// Flush sends what is written; a frame still incomplete waits for its end.
func (t *webWriter) Flush() {
	if !t.decided {
		t.WriteHeader(http.StatusOK)
	}
	t.flushUnder()
}

func (t *webWriter) flushUnder() {
	_ = http.NewResponseController(t.w).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (t *webWriter) Unwrap() http.ResponseWriter { return t.w }

// finish writes what is left of a frame the handler never completed, so
// the client sees the broken frame rather than nothing.
func (t *webWriter) finish() {
	if len(t.pending) > 0 {
		rest := t.pending
		if t.text {
			rest = base64.StdEncoding.AppendEncode(nil, rest)
		}
		_, _ = t.w.Write(rest)
		t.pending = nil
		t.flushUnder()
	}
}
