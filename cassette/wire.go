package cassette

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/grpcdouble/grpcdouble/internal/boundedfile"
)

type wireHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
}

type wireInteraction struct {
	Method   string              `json:"method"`
	Kind     string              `json:"kind,omitempty"`
	Timeout  string              `json:"timeout,omitempty"`
	Metadata map[string][]string `json:"metadata,omitempty"`
	Events   []wireEvent         `json:"events"`
	Trailer  map[string][]string `json:"trailer,omitempty"`
	Status   wireStatus          `json:"status"`
	Duration string              `json:"duration,omitempty"`
}

type wireEvent struct {
	Type     EventType           `json:"type"`
	At       string              `json:"at,omitempty"`
	Message  *Message            `json:"message,omitempty"`
	Metadata map[string][]string `json:"metadata,omitempty"`
	Reason   string              `json:"reason,omitempty"`
}

type wireStatus struct {
	Code    string     `json:"code"`
	Message string     `json:"message,omitempty"`
	Details []*Message `json:"details,omitempty"`
}

func durString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func (in *Interaction) toWire() wireInteraction {
	w := wireInteraction{
		Method:   in.Method,
		Kind:     in.Kind,
		Timeout:  durString(in.Timeout),
		Metadata: mdToWire(in.Metadata),
		Events:   make([]wireEvent, len(in.Events)),
		Trailer:  mdToWire(in.Trailer),
		Status:   wireStatus{Code: codeName(in.Status.Code), Message: in.Status.Message, Details: in.Status.Details},
		Duration: durString(in.Duration),
	}
	for i, e := range in.Events {
		w.Events[i] = wireEvent{Type: e.Type, At: durString(e.At), Message: e.Message, Metadata: mdToWire(e.Metadata), Reason: e.Reason}
	}
	return w
}

// fieldError names the field of an interaction that is wrong.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

func ferr(field string, err error) error { return &fieldError{field, err} }

func parseDur(field, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, ferr(field, err)
	}
	if d < 0 {
		return 0, ferr(field, fmt.Errorf("negative duration %s", s))
	}
	return d, nil
}

func (w *wireInteraction) toInteraction() (*Interaction, error) {
	if w.Method == "" {
		return nil, ferr("method", errors.New("missing"))
	}
	if svc, m, ok := strings.Cut(strings.TrimPrefix(w.Method, "/"), "/"); w.Method[0] != '/' || !ok || svc == "" || m == "" || strings.Contains(m, "/") {
		return nil, ferr("method", fmt.Errorf("%q: want the form /package.Service/Method", w.Method))
	}
	in := &Interaction{Method: w.Method, Kind: w.Kind}
	var err error
	if in.Timeout, err = parseDur("timeout", w.Timeout); err != nil {
		return nil, err
	}
	if in.Duration, err = parseDur("duration", w.Duration); err != nil {
		return nil, err
	}
	if in.Metadata, err = mdFromWire(w.Metadata); err != nil {
		return nil, ferr("metadata", err)
	}
	if in.Trailer, err = mdFromWire(w.Trailer); err != nil {
		return nil, ferr("trailer", err)
	}
	in.Events = make([]Event, len(w.Events))
	headers, responses := 0, 0
	for i, we := range w.Events {
		field := fmt.Sprintf("events[%d]", i)
		if !we.Type.valid() {
			return nil, ferr(field+".type", fmt.Errorf("unknown event type %q (want client_message, half_close, header, server_message or cancel)", we.Type))
		}
		e := Event{Type: we.Type, Message: we.Message, Reason: we.Reason}
		if e.At, err = parseDur(field+".at", we.At); err != nil {
			return nil, err
		}
		if e.Metadata, err = mdFromWire(we.Metadata); err != nil {
			return nil, ferr(field+".metadata", err)
		}
		isMsg := we.Type == ClientMessage || we.Type == ServerMessage
		if isMsg && we.Message == nil {
			return nil, ferr(field+".message", fmt.Errorf("missing for a %s event", we.Type))
		}
		if !isMsg && we.Message != nil {
			return nil, ferr(field+".message", fmt.Errorf("a %s event has no message", we.Type))
		}
		// Shapes no server can play back: gRPC sends headers once, and a
		// unary or client-stream call answers with one message.
		switch we.Type {
		case Header:
			if headers++; headers > 1 {
				return nil, ferr(field+".type", errors.New("a second header event: a call sends its headers once"))
			}
		case ServerMessage:
			if responses++; responses > 1 && (w.Kind == "unary" || w.Kind == "client-stream") {
				return nil, ferr(field+".type", fmt.Errorf("a second server_message in a %s call, which answers with one", w.Kind))
			}
		}
		in.Events[i] = e
	}
	if w.Status.Code == "" {
		return nil, ferr("status.code", errors.New("missing"))
	}
	if in.Status.Code, err = parseCode(w.Status.Code); err != nil {
		return nil, ferr("status.code", err)
	}
	in.Status.Message = w.Status.Message
	in.Status.Details = w.Status.Details
	for i, d := range in.Status.Details {
		if d == nil {
			return nil, ferr(fmt.Sprintf("status.details[%d]", i), errors.New("null"))
		}
	}
	return in, nil
}

// MarshalJSON writes the interaction in the cassette format.
func (in *Interaction) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeDoc(&buf, in.toWire()); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// UnmarshalJSON reads an interaction in the cassette format.
func (in *Interaction) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w wireInteraction
	if err := dec.Decode(&w); err != nil {
		return err
	}
	got, err := w.toInteraction()
	if err != nil {
		return err
	}
	*in = *got
	return nil
}

func encodeDoc(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Load reads a cassette file. A missing file is an error wrapping
// ErrNotFound; a malformed one wraps ErrFormat and names the file, line,
// interaction and field. Only a regular file of at most 1 GiB is read.
func Load(path string) (*Cassette, error) {
	data, err := boundedfile.ReadFile(path, boundedfile.Limit)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
		}
		return nil, fmt.Errorf("cassette: %w", err)
	}
	return Parse(data, path)
}

// Parse reads a cassette from its bytes; name is used in errors and kept
// as Path.
func Parse(data []byte, name string) (*Cassette, error) {
	if name == "" {
		name = "cassette"
	}
	c := &Cassette{Path: name}
	lines := lineCounter{data: data, line: 1}
	start := skipSpace(data, 0)
	if start == len(data) {
		return nil, fmt.Errorf("%w: %s: empty file, no %q header", ErrFormat, name, FormatName)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var h wireHeader
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: %s:%d: header: %v", ErrFormat, name, lines.at(start), err)
	}
	if h.Format != FormatName {
		return nil, fmt.Errorf("%w: %s:%d: header: format %q, want %q (is this a cassette?)", ErrFormat, name, lines.at(start), h.Format, FormatName)
	}
	if h.Version < 1 || h.Version > Version {
		return nil, fmt.Errorf("%w: %s:%d: header: version %d; this build reads versions 1 to %d", ErrFormat, name, lines.at(start), h.Version, Version)
	}
	c.Version = h.Version
	dec.DisallowUnknownFields()
	// base is where dec's input starts in data: after a syntax error the
	// reading goes on with a new decoder at the next interaction.
	base := 0
	var errs []error
	for n := 0; ; n++ {
		before := base + int(dec.InputOffset())
		start = skipSpace(data, before)
		if start == len(data) {
			break
		}
		line := lines.at(start)
		var w wireInteraction
		if err := dec.Decode(&w); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				c.Torn = &Torn{Line: line, Bytes: len(data) - start, offset: int64(start)}
				break
			}
			where := line
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &se):
				where = lines.at(base + int(se.Offset) - 1)
			case errors.As(err, &te):
				// The offset is in the document, which the decoder read
				// from where it stood.
				where = lines.at(before + int(te.Offset) - 1)
			}
			errs = append(errs, fmt.Errorf("%w: %s:%d: interaction #%d (from line %d): %v", ErrFormat, name, where, n+1, line, err))
			if se == nil {
				continue // the decoder read the whole document: on to the next
			}
			// A syntax error stops the decoder: go on at the next line
			// that opens an object in its first column, as each
			// interaction the recorder writes does.
			next := nextDocument(data, start, base+int(se.Offset)-1)
			if next < 0 {
				break
			}
			base = next
			dec = json.NewDecoder(bytes.NewReader(data[next:]))
			dec.DisallowUnknownFields()
			continue
		}
		in, err := w.toInteraction()
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %s:%d: interaction #%d: %v", ErrFormat, name, line, n+1, err))
			continue
		}
		in.Line, in.Index = line, n
		c.Interactions = append(c.Interactions, in)
	}
	if len(errs) > 0 {
		return nil, &FormatErrors{Read: c, Errs: errs}
	}
	return c, nil
}

// FormatErrors is the error of a cassette with malformed interactions:
// every one of them, each naming the file and its line, in file order.
// Each wraps ErrFormat. Read is the rest of the cassette, the well-formed
// interactions, for a check to go on with (grpcdouble lint); a cassette
// with a malformed interaction is never served.
type FormatErrors struct {
	Read *Cassette
	Errs []error
}

func (e *FormatErrors) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap is the malformed interactions' errors.
func (e *FormatErrors) Unwrap() []error { return e.Errs }

// nextDocument finds where to read on after a syntax error at off in the
// interaction starting at start: the start of the first line, from the
// error's own on, that opens an object in its first column (the error's
// line when it is the next interaction that broke an unclosed one); -1
// when there is none.
func nextDocument(data []byte, start, off int) int {
	off = min(max(off, start), len(data))
	i := bytes.LastIndexByte(data[:off], '\n') + 1 // the error's line
	if i <= start {
		i = off
	} else if i < len(data) && data[i] == '{' {
		return i
	}
	for {
		nl := bytes.IndexByte(data[i:], '\n')
		if nl < 0 {
			return -1
		}
		i += nl + 1
		if i < len(data) && data[i] == '{' {
			return i
		}
	}
}

// Encode writes a whole cassette: the header, then every interaction.
func Encode(w io.Writer, interactions []*Interaction) error {
	var buf bytes.Buffer
	if err := encodeDoc(&buf, wireHeader{Format: FormatName, Version: Version}); err != nil {
		return err
	}
	for i, in := range interactions {
		if err := encodeDoc(&buf, in.toWire()); err != nil {
			return fmt.Errorf("interaction #%d (%s): %w", i+1, in.Method, err)
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// lineCounter turns growing byte offsets into line numbers in O(n) overall.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (l *lineCounter) at(off int) int {
	if off < 0 {
		off = 0
	}
	if off > len(l.data) {
		off = len(l.data)
	}
	if off < l.off { // rare: an error offset before the last position
		return 1 + bytes.Count(l.data[:off], []byte{'\n'})
	}
	l.line += bytes.Count(l.data[l.off:off], []byte{'\n'})
	l.off = off
	return l.line
}
