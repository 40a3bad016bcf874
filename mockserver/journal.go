package mockserver

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// EventType says what happened in one step of a call.
type EventType int

// The events the journal keeps, in the order they happened.
const (
	EventRecv      EventType = iota // a client message arrived
	EventSend                       // a server message went out
	EventHeader                     // response headers went out
	EventHalfClose                  // the client closed its side
)

func (t EventType) String() string {
	switch t {
	case EventRecv:
		return "recv"
	case EventSend:
		return "send"
	case EventHeader:
		return "header"
	case EventHalfClose:
		return "half-close"
	}
	return "unknown"
}

// Event is one step of a call.
type Event struct {
	Type     EventType
	Message  proto.Message // for EventRecv and EventSend: see CallRecord
	Metadata metadata.MD   // for EventHeader: every header sent
	Time     time.Time
}

// CallRecord is a snapshot of one received call. Snapshots of calls still
// running have Done false and no Status yet.
//
// Its messages are what went on the wire, decoded afresh for each snapshot
// into the method's types (the generated ones when linked in, dynamicpb
// otherwise): a request as it arrived, a streamed response as it was when
// Send sent it, and a unary response as it was when the handler returned,
// which is when gRPC sends it. So they are copies: changing a message in
// the handler after Recv or Send, or changing a snapshot's, changes nothing
// in the journal. Two exceptions keep the handler's own message: a unary
// response while its handler still runs, and a message that would not
// marshal (gRPC fails the call then).
type CallRecord struct {
	ID          uint64      // the call's number in this server's journal, from 1
	Method      string      // "/pkg.Service/Method"
	Kind        Kind        // meaningless for a method the server does not have
	Metadata    metadata.MD // incoming headers, -bin keys decoded
	Peer        string      // the client's address
	Protocol    Protocol    // what the call came in on: gRPC, or gRPC-Web, Connect or REST through a transcoder
	Deadline    time.Time   // zero when the client set none
	HasDeadline bool
	Start, End  time.Time
	Done        bool
	Events      []Event     // in the order they happened
	Header      metadata.MD // response headers set or sent
	Trailer     metadata.MD
	Status      *status.Status // nil while running
	// Answer is what answered the call, as the handler said with
	// Call.SetAnswer: "stub:ID", "cassette", "upstream", "miss", or "".
	Answer string
}

// Received returns the client messages in order.
func (r CallRecord) Received() []proto.Message { return r.messages(EventRecv) }

// Sent returns the server messages in order.
func (r CallRecord) Sent() []proto.Message { return r.messages(EventSend) }

// Code is the final status code (OK while running).
func (r CallRecord) Code() codes.Code { return r.Status.Code() }

func (r CallRecord) messages(t EventType) []proto.Message {
	var out []proto.Message
	for _, e := range r.Events {
		if e.Type == t {
			out = append(out, e.Message)
		}
	}
	return out
}

// journal keeps the calls a server received, oldest first.
type journal struct {
	mu     sync.Mutex
	calls  []*record
	limit  int // 0: keep all
	nextID uint64
	gen    atomic.Uint64 // bumped by every change, for CallsSince
	watch  watchers
}

func (j *journal) add(r *record) {
	j.mu.Lock()
	j.nextID++
	r.id = j.nextID
	j.calls = append(j.calls, r)
	if j.limit > 0 && len(j.calls) >= 2*j.limit {
		// Drop the oldest; copy so the backing array does not grow for
		// ever. Only every limit calls, so a busy server does not copy the
		// whole journal on every call; readers see the newest limit.
		j.calls = slices.Clone(j.calls[len(j.calls)-j.limit:])
	}
	j.mu.Unlock()
	j.touch(r)
}

// kept is the journal as readers see it: the newest limit calls.
func (j *journal) kept() []*record {
	if j.limit > 0 && len(j.calls) > j.limit {
		return j.calls[len(j.calls)-j.limit:]
	}
	return j.calls
}

// snapshot snapshots the calls to method, or every call for "". It picks
// before it snapshots, as a snapshot decodes every message of the call.
func (j *journal) snapshot(method string) []CallRecord {
	j.mu.Lock()
	calls := slices.Clone(j.kept())
	j.mu.Unlock()
	if method != "" {
		calls = slices.DeleteFunc(calls, func(r *record) bool { return r.m.fullName != method })
		if len(calls) == 0 {
			return nil
		}
	}
	out := make([]CallRecord, len(calls))
	for i, r := range calls {
		out[i] = r.snapshot()
	}
	return out
}

func (j *journal) reset() {
	j.mu.Lock()
	j.calls = nil
	j.mu.Unlock()
	j.gen.Add(1)
	j.watch.notify()
}

func (r *record) snapshot() CallRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := CallRecord{
		ID:          r.id,
		Method:      r.m.fullName,
		Kind:        r.m.kind,
		Deadline:    r.deadline,
		HasDeadline: r.hasDeadline,
		Start:       r.start,
		End:         r.end,
		Done:        r.done,
		Events:      r.expand(),
		Header:      r.header.Copy(),
		Trailer:     r.trailer.Copy(),
		Status:      r.status,
		Answer:      r.answer,
	}
	if r.ctx != nil { // still running
		out.Metadata, out.Peer = incoming(r.ctx)
		out.Protocol = protocolOf(r.ctx, out.Metadata)
	} else {
		out.Metadata, out.Peer, out.Protocol = unpackMD(r.md), r.peer, r.protocol
	}
	return out
}
