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

	"github.com/grpcdouble/grpcdouble/internal/mdpack"
	"github.com/grpcdouble/grpcdouble/internal/newest"
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
	// Truncated is set on a message too large for the journal to keep
	// whole (see WithJournalBytes): Message holds only its leading whole
	// fields, and Size is how many bytes it had on the wire.
	Truncated bool
	Size      int
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

	// What the journal's byte bound (WithJournalBytes) left out of this
	// call: the messages it did not keep at all once the call had taken
	// its share (see also Event.Truncated), and whether incoming metadata
	// values were cut.
	DroppedMessages   int
	DroppedBytes      int
	MetadataTruncated bool
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

// journal keeps the calls a server received, oldest first: the newest
// limit calls, within budget bytes.
type journal struct {
	mu     sync.Mutex
	calls  *newest.List[*record]
	budget int64        // bytes; 0: no bound
	bytes  atomic.Int64 // what the kept records hold
	nextID uint64
	gen    atomic.Uint64 // bumped by every change, for CallsSince
	watch  watchers
}

func (j *journal) init(limit int, budget int64) {
	j.calls, j.budget = newest.New[*record](limit), max(budget, 0)
}

func (j *journal) add(r *record) {
	j.mu.Lock()
	j.nextID++
	r.id = j.nextID
	r.j = j
	if old, ok := j.calls.Add(r); ok {
		old.evict()
	}
	j.mu.Unlock()
	j.touch(r)
}

// msgMax is the largest message kept whole: a sixteenth of the budget.
func (j *journal) msgMax() int64 { return j.budget / 16 }

// callMax is the most one call keeps: half the budget. A call that has
// taken it keeps its events' count, not their messages.
func (j *journal) callMax() int64 { return j.budget / 2 }

// trim drops the oldest calls while the journal holds more than its
// budget, keeping the newest whatever its size (callMax bounds it).
func (j *journal) trim() {
	j.mu.Lock()
	for j.bytes.Load() > j.budget && j.calls.Len() > 1 {
		old, _ := j.calls.DropOldest()
		old.evict()
	}
	j.mu.Unlock()
}

// kept is the journal as readers see it. The caller holds j.mu.
func (j *journal) kept() []*record { return j.calls.Items() }

// JournalStats says what the journal holds and what its bounds dropped.
type JournalStats struct {
	Calls        int   // calls kept
	Bytes        int64 // about what they hold
	DroppedCalls int   // calls dropped since the last reset, oldest first, by either bound
	Limit        int   // WithJournalLimit (0: none)
	ByteLimit    int64 // WithJournalBytes (0: none)
}

func (j *journal) stats() JournalStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return JournalStats{Calls: j.calls.Len(), Bytes: j.bytes.Load(), DroppedCalls: j.calls.Dropped(), Limit: j.calls.Limit(), ByteLimit: j.budget}
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
	for _, r := range j.calls.Items() {
		r.evict()
	}
	j.calls.Reset()
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

		DroppedMessages:   r.droppedMsgs,
		DroppedBytes:      r.droppedBytes,
		MetadataTruncated: r.mdCut,
	}
	out.Metadata, out.Peer, out.Protocol = mdpack.Unpack(r.wire[:r.mdN]), r.peer, r.protocol
	return out
}
