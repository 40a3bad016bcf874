package cassette

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
)

// Version is the format version this package writes. Load reads it and
// every earlier one.
const Version = 1

// FormatName is the "format" field of every cassette's header.
const FormatName = "grpcdouble-cassette"

// Redacted is the value recorders put in place of a secret.
const Redacted = "[REDACTED]"

// ErrNotFound is wrapped by Load when the cassette file does not exist.
var ErrNotFound = errors.New("cassette not found")

// ErrFormat is wrapped by every error about a malformed cassette.
var ErrFormat = errors.New("malformed cassette")

// Cassette is a loaded cassette file.
type Cassette struct {
	// Path is the file it was loaded from ("" when parsed from a reader
	// without a name).
	Path string
	// Version is the format version in the file's header.
	Version int
	// Interactions are the recorded calls, in file order.
	Interactions []*Interaction
	// Torn is set when the file ends in a cut-short interaction, as a
	// recorder killed mid-write leaves it. The interactions before it are
	// all there; the torn bytes are ignored.
	Torn *Torn
}

// Torn describes the cut-short end of a cassette.
type Torn struct {
	Line  int // the line the torn document starts on
	Bytes int // how many bytes it has

	offset int64
}

func (t *Torn) String() string {
	return fmt.Sprintf("torn last interaction at line %d (%d bytes, ignored)", t.Line, t.Bytes)
}

// Interaction is one recorded call.
type Interaction struct {
	// Method is the full method name, "/pkg.Service/Method".
	Method string
	// Kind is "unary", "server-stream", "client-stream" or "bidi-stream";
	// informative only.
	Kind string
	// Timeout is how long the client's deadline had left when the call
	// started; 0 when it set none.
	Timeout time.Duration
	// Metadata is the request metadata, transport headers left out.
	Metadata metadata.MD
	// Events are the call's steps in the order they happened.
	Events []Event
	// Trailer is the trailing metadata.
	Trailer metadata.MD
	// Status is the call's final status.
	Status Status
	// Duration is how long the call took; 0 when not recorded.
	Duration time.Duration

	// Line is the line of the file the interaction starts on (0 when it was
	// not loaded from a file), Index its position in the file (from 0).
	Line  int
	Index int
}

// Where names the interaction for messages: "file:line (interaction #n)".
func (in *Interaction) Where(path string) string {
	if in.Line == 0 {
		return fmt.Sprintf("interaction #%d", in.Index+1)
	}
	if path == "" {
		path = "cassette"
	}
	return fmt.Sprintf("%s:%d (interaction #%d)", path, in.Line, in.Index+1)
}

// ClientMessages returns the messages the client sent, in order.
func (in *Interaction) ClientMessages() []*Message { return in.messages(ClientMessage) }

// ServerMessages returns the messages the server sent, in order.
func (in *Interaction) ServerMessages() []*Message { return in.messages(ServerMessage) }

// Header returns the response headers, and whether any were sent.
func (in *Interaction) Header() (metadata.MD, bool) {
	for _, e := range in.Events {
		if e.Type == Header {
			return e.Metadata, true
		}
	}
	return nil, false
}

func (in *Interaction) messages(t EventType) []*Message {
	var out []*Message
	for _, e := range in.Events {
		if e.Type == t {
			out = append(out, e.Message)
		}
	}
	return out
}

// EventType says what one step of a call was.
type EventType string

// The steps of a call.
const (
	ClientMessage EventType = "client_message" // the client sent a message
	HalfClose     EventType = "half_close"     // the client closed its side
	Header        EventType = "header"         // the server sent its response headers
	ServerMessage EventType = "server_message" // the server sent a message
	Cancel        EventType = "cancel"         // the client's context ended (cancel or deadline)
)

func (t EventType) valid() bool {
	switch t {
	case ClientMessage, HalfClose, Header, ServerMessage, Cancel:
		return true
	}
	return false
}

// Event is one step of a call.
type Event struct {
	Type EventType
	// At is the offset from the start of the call; 0 when not recorded.
	At time.Duration
	// Message is set for ClientMessage and ServerMessage.
	Message *Message
	// Metadata is set for Header.
	Metadata metadata.MD
	// Reason is set for Cancel: "canceled" or "deadline exceeded".
	Reason string
}

// Status is a call's final status.
type Status struct {
	Code    codes.Code
	Message string
	// Details are google.protobuf.Any messages (google.rpc.Status details).
	Details []*Message
}

// StatusOf captures a status; nil is OK.
func StatusOf(st *status.Status) Status {
	if st == nil || st.Code() == codes.OK && st.Message() == "" && len(st.Proto().GetDetails()) == 0 {
		return Status{}
	}
	p := st.Proto()
	s := Status{Code: st.Code(), Message: p.GetMessage()}
	for _, d := range p.GetDetails() {
		s.Details = append(s.Details, NewMessage(d))
	}
	return s
}

// Proto turns the status back into a *status.Status, decoding its details.
func (s Status) Proto() (*status.Status, error) {
	p := &spb.Status{Code: int32(s.Code), Message: s.Message}
	for i, d := range s.Details {
		m, err := d.Decode((&anypb.Any{}).ProtoReflect().Type())
		if err != nil {
			return nil, fmt.Errorf("status.details[%d]: %w (link in the detail's Go package, or the file must hold it in the raw form)", i, err)
		}
		p.Details = append(p.Details, m.(*anypb.Any))
	}
	return status.FromProto(p), nil
}

var codeNames = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

var codeByName = func() map[string]codes.Code {
	m := make(map[string]codes.Code, len(codeNames))
	for c, n := range codeNames {
		m[n] = c
	}
	m["CANCELED"] = codes.Canceled
	return m
}()

func codeName(c codes.Code) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprint(uint32(c))
}

func parseCode(s string) (codes.Code, error) {
	if c, ok := codeByName[strings.ToUpper(s)]; ok {
		return c, nil
	}
	var n uint32
	if _, err := fmt.Sscan(s, &n); err == nil && fmt.Sprint(n) == s {
		return codes.Code(n), nil
	}
	return 0, fmt.Errorf("unknown status code %q (want a name such as NOT_FOUND)", s)
}

// mdToWire encodes metadata, -bin values as base64.
func mdToWire(md metadata.MD) map[string][]string {
	if len(md) == 0 {
		return nil
	}
	out := make(map[string][]string, len(md))
	for k, vs := range md {
		k = strings.ToLower(k)
		if strings.HasSuffix(k, "-bin") {
			enc := make([]string, len(vs))
			for i, v := range vs {
				enc[i] = base64.StdEncoding.EncodeToString([]byte(v))
			}
			out[k] = append(out[k], enc...)
			continue
		}
		out[k] = append(out[k], vs...)
	}
	return out
}

func mdFromWire(w map[string][]string) (metadata.MD, error) {
	if w == nil {
		return nil, nil
	}
	md := make(metadata.MD, len(w))
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := w[k]
		lk := strings.ToLower(k)
		if lk != k {
			return nil, fmt.Errorf("key %q: metadata keys are lower case", k)
		}
		if strings.HasSuffix(k, "-bin") {
			dec := make([]string, len(vs))
			for i, v := range vs {
				b, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					b, err = base64.RawStdEncoding.DecodeString(v)
				}
				if err != nil {
					return nil, fmt.Errorf("key %q value %d: -bin values are base64: %w", k, i, err)
				}
				dec[i] = string(b)
			}
			md[k] = dec
			continue
		}
		md[k] = append([]string(nil), vs...)
	}
	return md, nil
}

// Clone returns a deep copy of the interaction (messages are shared: they
// are never changed in place).
func (in *Interaction) Clone() *Interaction {
	out := *in
	out.Metadata = in.Metadata.Copy()
	out.Trailer = in.Trailer.Copy()
	out.Events = make([]Event, len(in.Events))
	for i, e := range in.Events {
		e.Metadata = e.Metadata.Copy()
		out.Events[i] = e
	}
	out.Status.Details = append([]*Message(nil), in.Status.Details...)
	return &out
}

// TransportHeader reports the metadata keys gRPC manages itself
// (pseudo-headers, content-type, user-agent, te, grpc-timeout,
// grpc-encoding, grpc-accept-encoding, grpc-status and friends): recorders
// neither record nor forward them, and replay does not match on them.
func TransportHeader(key string) bool {
	if strings.HasPrefix(key, ":") {
		return true
	}
	switch key {
	case "content-type", "user-agent", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding",
		"grpc-status", "grpc-message", "grpc-status-details-bin":
		return true
	}
	return false
}
