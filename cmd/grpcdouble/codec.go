package main

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	// The standard codec, which handles every message but dynamic ones.
	_ "google.golang.org/grpc/encoding/proto"
)

// dynamicCodec is gRPC's proto codec with a faster path for dynamicpb
// messages, which is what every message is in this binary: no generated code
// is linked in. The standard codec sizes a message before marshalling it (a
// second reflective walk, because dynamicpb caches no size) and checks
// required fields (a third); this one marshals in one walk and leaves
// required-field checks to the real servers a double stands in for.
type dynamicCodec struct{ std encoding.CodecV2 }

func newDynamicCodec() dynamicCodec {
	return dynamicCodec{std: encoding.GetCodecV2("proto")}
}

func (dynamicCodec) Name() string { return "proto" }

var (
	dynMarshal = proto.MarshalOptions{AllowPartial: true}
	// Merge skips resetting the message, which gRPC made empty.
	dynUnmarshal = proto.UnmarshalOptions{AllowPartial: true, Merge: true}
)

func (c dynamicCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(*dynamicpb.Message)
	if !ok {
		return c.std.Marshal(v)
	}
	// Marshal into a pooled buffer, as the standard codec does, without
	// sizing the message first: most messages of a test double are small.
	pool := mem.DefaultBufferPool()
	buf := pool.Get(marshalGuess)
	out, err := dynMarshal.MarshalAppend((*buf)[:0], m)
	if err != nil {
		pool.Put(buf)
		return nil, err
	}
	if cap(out) != cap(*buf) { // it outgrew the pooled buffer
		pool.Put(buf)
		return mem.BufferSlice{mem.SliceBuffer(out)}, nil
	}
	*buf = out
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

// marshalGuess is the pooled buffer size a marshal starts with.
const marshalGuess = 1 << 10

func (c dynamicCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*dynamicpb.Message)
	if !ok {
		return c.std.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return dynUnmarshal.Unmarshal(buf.ReadOnlyData(), m)
}

func codecServerOption() grpc.ServerOption { return grpc.ForceServerCodecV2(newDynamicCodec()) }

func codecDialOption() grpc.DialOption {
	return grpc.WithDefaultCallOptions(grpc.ForceCodecV2(newDynamicCodec()))
}
