package mockserver

import (
	"strings"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	// The standard codec, which wireCodec hands everything else to.
	_ "google.golang.org/grpc/encoding/proto"
)

// wireFrame is a message already marshaled into the call's journal record.
// A journaled Send marshals once, into the journal, and wireCodec hands
// those bytes to gRPC as they are, rather than marshaling twice.
type wireFrame struct{ b []byte }

// foreign is a message of a call whose content-subtype names a codec other
// than proto: wireCodec hands it to that codec, as gRPC would have.
type foreign struct {
	codec encoding.CodecV2
	msg   any
}

// wireCodec is gRPC's proto codec that passes wireFrames through. The server
// forces it only when it has no options from the user (see Server.frames):
// a user's codec would replace it, and a user's interceptors and stats
// handlers expect messages, not frames. Being forced, it is used whatever
// codec a call asks for, hence foreign.
type wireCodec struct{ std encoding.CodecV2 }

func newWireCodec() wireCodec { return wireCodec{std: encoding.GetCodecV2("proto")} }

func (wireCodec) Name() string { return "proto" }

func (c wireCodec) Marshal(v any) (mem.BufferSlice, error) {
	switch v := v.(type) {
	case *wireFrame:
		// A SliceBuffer is never recycled: gRPC may hold the bytes until
		// the transport has written them, and the journal keeps them
		// after; the record never writes over bytes once appended.
		return mem.BufferSlice{mem.SliceBuffer(v.b)}, nil
	case *foreign:
		return v.codec.Marshal(v.msg)
	}
	return c.std.Marshal(v)
}

func (c wireCodec) Unmarshal(data mem.BufferSlice, v any) error {
	switch v := v.(type) {
	case *recvFrame:
		return v.rec.unmarshal(data, v)
	case *foreign:
		return v.codec.Unmarshal(data, v.msg)
	}
	return c.std.Unmarshal(data, v)
}

// recvFrame is a message to receive whose bytes the journal keeps as they
// came, rather than marshaling the message again to keep it.
type recvFrame struct {
	rec    *record
	msg    proto.Message
	off, n int    // where the bytes went in rec.wire; off -1: in apart
	apart  []byte // a message too large to keep whole (see record.fits)
	b      []byte // the bytes, wherever they went (see Call.Wire)
}

// foreignCodec returns the codec a call's content-subtype names when it is
// not proto, found as gRPC finds it; nil for proto, and for a subtype no
// codec is registered for, which gRPC answers with proto too.
func foreignCodec(md metadata.MD) encoding.CodecV2 {
	ct := md["content-type"]
	if len(ct) == 0 {
		return nil
	}
	sub, ok := strings.CutPrefix(ct[0], "application/grpc")
	if !ok || len(sub) < 2 {
		return nil
	}
	sub = sub[1:] // after '+' or ';'
	if sub == "proto" {
		return nil
	}
	if c := encoding.GetCodec(sub); c != nil {
		return codecV1{c}
	}
	return encoding.GetCodecV2(sub) // a nil interface when there is none
}

// codecV1 adapts a codec registered with encoding.RegisterCodec.
type codecV1 struct{ encoding.Codec }

func (c codecV1) Marshal(v any) (mem.BufferSlice, error) {
	b, err := c.Codec.Marshal(v)
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (c codecV1) Unmarshal(data mem.BufferSlice, v any) error {
	return c.Codec.Unmarshal(data.Materialize(), v)
}
