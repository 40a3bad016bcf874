package webpage

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Call is one journal entry as the admin API shows it.
type Call struct {
	ID         uint64              `json:"id"`
	Method     string              `json:"method"`
	Kind       string              `json:"kind"`
	Peer       string              `json:"peer,omitempty"`
	Metadata   map[string][]string `json:"metadata"`
	Deadline   *time.Time          `json:"deadline,omitempty"`
	Start      time.Time           `json:"start"`
	End        *time.Time          `json:"end,omitempty"`
	DurationMS *float64            `json:"durationMs,omitempty"`
	Done       bool                `json:"done"`
	Requests   []json.RawMessage   `json:"requests"`
	Responses  []json.RawMessage   `json:"responses"`
	Events     []Event             `json:"events"`
	Header     map[string][]string `json:"header,omitempty"`
	Trailer    map[string][]string `json:"trailer,omitempty"`
	Status     *Status             `json:"status,omitempty"`
	// Answer says what answered the call: "stub:ID", "cassette",
	// "upstream" (the proxy fallback) or "miss".
	Answer string `json:"answer,omitempty"`
	// What the journal's byte bound left out (mockserver.WithJournalBytes):
	// messages not kept at all, and whether metadata values were cut.
	DroppedMessages   int  `json:"droppedMessages,omitempty"`
	DroppedBytes      int  `json:"droppedBytes,omitempty"`
	MetadataTruncated bool `json:"metadataTruncated,omitempty"`
}

// Event is one event of a Call, in the order it happened.
type Event struct {
	Type     string              `json:"type"`
	Time     time.Time           `json:"time"`
	Message  json.RawMessage     `json:"message,omitempty"`
	Metadata map[string][]string `json:"metadata,omitempty"`
	// Truncated: the message was too large to keep whole; message holds
	// its leading whole fields, and size its bytes on the wire.
	Truncated bool `json:"truncated,omitempty"`
	Size      int  `json:"size,omitempty"`
}

// Status is the status a Call ended with.
type Status struct {
	Code     int               `json:"code"`
	CodeName string            `json:"codeName"`
	Message  string            `json:"message,omitempty"`
	Details  []json.RawMessage `json:"details,omitempty"`
}

// CallJSON is a journal entry as the admin API and the page show it.
func CallJSON(rec mockserver.CallRecord) Call {
	c := Call{
		ID:        rec.ID,
		Method:    rec.Method,
		Kind:      kindName(rec.Kind),
		Peer:      rec.Peer,
		Metadata:  mdJSON(rec.Metadata),
		Start:     rec.Start,
		Done:      rec.Done,
		Requests:  []json.RawMessage{},
		Responses: []json.RawMessage{},
		Events:    []Event{},
		Header:    mdJSON(rec.Header),
		Trailer:   mdJSON(rec.Trailer),
		Answer:    rec.Answer,

		DroppedMessages:   rec.DroppedMessages,
		DroppedBytes:      rec.DroppedBytes,
		MetadataTruncated: rec.MetadataTruncated,
	}
	if rec.HasDeadline {
		d := rec.Deadline
		c.Deadline = &d
	}
	if rec.Done {
		end := rec.End
		ms := float64(rec.End.Sub(rec.Start).Microseconds()) / 1000
		c.End, c.DurationMS = &end, &ms
		c.Status = statusJSON(rec.Status)
	}
	for _, e := range rec.Events {
		ej := Event{Type: e.Type.String(), Time: e.Time, Metadata: mdJSON(e.Metadata), Truncated: e.Truncated}
		if e.Truncated {
			ej.Size = e.Size
		}
		if e.Message != nil {
			ej.Message = messageJSON(e.Message)
			switch e.Type {
			case mockserver.EventRecv:
				c.Requests = append(c.Requests, ej.Message)
			case mockserver.EventSend:
				c.Responses = append(c.Responses, ej.Message)
			}
		}
		c.Events = append(c.Events, ej)
	}
	return c
}

// RedactCall shows the values of credential metadata (cassette.DefaultRedacts:
// the keys recorders redact) as [REDACTED] in c's request metadata, header,
// trailer and events, and, in a miss's status message, what the call sent
// for them (cassette.RedactReasons, followed by note). CallJSON's maps are
// copies, so a Call it returned may be redacted in place (admin.Call is
// this type: a function, not a method, keeps it out of admin's API). The admin API
// and an expect Mock's failure report show calls through it.
func RedactCall(c *Call, note string) {
	cassette.RedactMD(c.Metadata, nil)
	cassette.RedactMD(c.Header, nil)
	cassette.RedactMD(c.Trailer, nil)
	for _, e := range c.Events {
		cassette.RedactMD(e.Metadata, nil)
	}
	if c.Status != nil {
		c.Status.Message = cassette.RedactReasons(c.Status.Message, note)
	}
}

func kindName(k mockserver.Kind) string {
	if k < mockserver.Unary || k > mockserver.BidiStream {
		return "unknown-method"
	}
	return k.String()
}

func statusJSON(st *status.Status) *Status {
	p := st.Proto() // nil status is OK
	out := &Status{Code: int(st.Code()), CodeName: st.Code().String(), Message: p.GetMessage()}
	for _, d := range p.GetDetails() {
		out.Details = append(out.Details, messageJSON(d))
	}
	return out
}

// messageJSON renders a message as protojson; a message protojson cannot
// render (an Any of an unknown type, say) comes out as base64 wire bytes.
func messageJSON(m proto.Message) json.RawMessage {
	b, err := protojson.MarshalOptions{UseProtoNames: false}.Marshal(m)
	if err == nil {
		return b
	}
	wire, _ := proto.Marshal(m)
	fallback, _ := json.Marshal(map[string]string{
		"@type":        string(m.ProtoReflect().Descriptor().FullName()),
		"protojsonErr": err.Error(),
		"wireBase64":   base64.StdEncoding.EncodeToString(wire),
	})
	return fallback
}

// mdJSON renders metadata; binary (-bin) values and any value that is not
// valid UTF-8 are base64, as on the wire.
func mdJSON(md metadata.MD) map[string][]string {
	if len(md) == 0 {
		return nil
	}
	out := make(map[string][]string, len(md))
	for k, vs := range md {
		vals := make([]string, len(vs))
		for i, v := range vs {
			if strings.HasSuffix(k, "-bin") || !utf8.ValidString(v) {
				v = base64.StdEncoding.EncodeToString([]byte(v))
			}
			vals[i] = v
		}
		out[k] = vals
	}
	return out
}

// Summary is a call as the page's list shows it, without its messages.
type Summary struct {
	ID         uint64    `json:"id"`
	Method     string    `json:"method"`
	Kind       string    `json:"kind"`
	Start      time.Time `json:"start"`
	DurationMS *float64  `json:"durationMs,omitempty"`
	Done       bool      `json:"done"`
	Code       string    `json:"code,omitempty"`
	Message    string    `json:"message,omitempty"`
	Session    string    `json:"session,omitempty"`
	Answer     string    `json:"answer,omitempty"` // as Call.Answer
	Missed     bool      `json:"missed"`           // Answer is "miss"
}

// SessionKey is the metadata key that puts a call in a session.
const SessionKey = "grpcdouble-session"

// SummaryOf summarises rec.
func SummaryOf(rec mockserver.CallRecord) Summary {
	s := Summary{ID: rec.ID, Method: rec.Method, Kind: kindName(rec.Kind), Start: rec.Start, Done: rec.Done, Answer: rec.Answer}
	if v := rec.Metadata.Get(SessionKey); len(v) > 0 {
		s.Session = v[0]
	}
	if rec.Done {
		ms := float64(rec.End.Sub(rec.Start).Microseconds()) / 1000
		s.DurationMS = &ms
		s.Code, s.Message = rec.Status.Code().String(), rec.Status.Message()
		s.Missed = rec.Answer == "miss"
	}
	return s
}
