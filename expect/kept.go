package expect

import (
	"encoding/binary"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/internal/mdpack"
)

// callLog is what an expectation keeps of the calls it answered, for Calls.
//
// A test may make thousands of calls, and the log lives as long as the
// Mock. Kept as Receiveds, each call held its metadata map and its
// messages: a dozen small pointer-holding objects per call for the GC to
// mark on every cycle, which on the unary benchmarks was mark work the
// generated server never does. So a call is kept as a Received only while
// it runs, its messages still arriving; when it ends it is packed into one
// slab that holds no pointer, metadata flattened (mdpack) and each message
// as the bytes it arrived as (or marshaled, when the server did not keep
// them), and Calls decodes it afresh. The mockserver journal keeps its
// records the same way.
type callLog struct {
	calls []keptCall
	slab  []byte
}

// keptCall is one call in the log.
type keptCall struct {
	live        *Received // while the call runs; nil once packed
	method      string
	deadline    time.Time
	hasDeadline bool
	typ         protoreflect.MessageType // of its messages; nil when none
	off, end    int                      // slab[off:end]: see pack
}

// add logs a running call and returns its place in the log.
func (l *callLog) add(r *Received) int {
	l.calls = append(l.calls, keptCall{live: r})
	return len(l.calls) - 1
}

// pack packs the call at i, once it has ended: wires[j] is what
// r.Messages[j] arrived as, or nil. A call with a message that does not
// marshal stays a Received of its own.
//
// The slab holds the metadata's length, the metadata, the number of
// messages, then each message's length and bytes.
func (l *callLog) pack(i int, r *Received, wires [][]byte) {
	if i >= len(l.calls) || l.calls[i].live != r {
		return
	}
	k := &l.calls[i]
	off := len(l.slab)
	b := binary.AppendUvarint(l.slab, 0)
	mdAt := len(b)
	b, _ = mdpack.Append(b, r.Metadata, -1)
	if n := len(b) - mdAt; n >= 0x80 {
		// The length needs more than the one byte reserved for it.
		md := slices.Clone(b[mdAt:])
		b = append(binary.AppendUvarint(b[:off], uint64(n)), md...)
	} else {
		b[off] = byte(n)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Messages)))
	var typ protoreflect.MessageType
	for j, msg := range r.Messages {
		if msg == nil {
			l.slab = b[:off]
			k.live = r.clone()
			return
		}
		typ = msg.ProtoReflect().Type()
		if j < len(wires) && wires[j] != nil {
			b = binary.AppendUvarint(b, uint64(len(wires[j])))
			b = append(b, wires[j]...)
			continue
		}
		size := keptMarshal.Size(msg)
		b = binary.AppendUvarint(b, uint64(size))
		at := len(b)
		var err error
		if b, err = keptMarshal.MarshalAppend(b, msg); err != nil || len(b)-at != size {
			l.slab = b[:off]
			k.live = r.clone()
			return
		}
	}
	l.slab = b
	*k = keptCall{method: r.Method, deadline: r.Deadline, hasDeadline: r.HasDeadline, typ: typ, off: off, end: len(b)}
}

// keptMarshal marshals what the server received and did not keep the bytes
// of: a message missing a required field still arrived.
var keptMarshal = proto.MarshalOptions{AllowPartial: true}

// clone is a copy of r that shares nothing r's owner may reuse.
func (r *Received) clone() *Received {
	c := *r
	c.Messages = slices.Clone(r.Messages)
	return &c
}

// received returns the call at i as a Received of its own: messages and
// metadata decoded afresh from the slab, or copied while it runs.
func (l *callLog) received(i int) Received {
	k := &l.calls[i]
	if k.live != nil {
		return *k.live.clone()
	}
	out := Received{Method: k.method, Deadline: k.deadline, HasDeadline: k.hasDeadline}
	b := l.slab[k.off:k.end]
	n, w := binary.Uvarint(b)
	b = b[w:]
	out.Metadata = mdpack.Unpack(b[:n])
	b = b[n:]
	count, w := binary.Uvarint(b)
	b = b[w:]
	if count > 0 {
		out.Messages = make([]proto.Message, count)
	}
	for j := range out.Messages {
		n, w := binary.Uvarint(b)
		b = b[w:]
		msg := k.typ.New().Interface()
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(b[:n], msg); err != nil {
			// Bytes gRPC accepted or this package marshaled decode;
			// should they not, keep them as unknown fields, not lose them.
			msg = k.typ.New().Interface()
			msg.ProtoReflect().SetUnknown(slices.Clone(b[:n]))
		}
		out.Messages[j] = msg
		b = b[n:]
	}
	return out
}
