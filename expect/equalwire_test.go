package expect_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Equal answers a request that arrived as exactly the wanted message's
// deterministic bytes without proto.Equal. Whatever the bytes, its answer
// must be proto.Equal's: over random messages with maps, NaNs (of two
// payloads), signed zeros, infinities, nested lists, unknown fields (some
// naming known fields), generated and dynamicpb types either side, and
// bytes marshaled deterministically or not (map order varies) or unknown.
func TestEqualFastPathAgreesWithProtoEqual(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	dyn := dynamicpb.NewMessageType((&structpb.Struct{}).ProtoReflect().Descriptor())
	types := []protoreflect.MessageType{(&structpb.Struct{}).ProtoReflect().Type(), dyn}
	as := func(m proto.Message, mt protoreflect.MessageType) proto.Message {
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		out := mt.New().Interface()
		require.NoError(t, proto.Unmarshal(b, out))
		return out
	}
	byBytes, cases := 0, 0
	check := func(want, src proto.Message, gotType protoreflect.MessageType) {
		t.Helper()
		wires := [][]byte{nil}
		if b, err := (proto.MarshalOptions{Deterministic: true}).Marshal(src); err == nil {
			wires = append(wires, b)
		}
		if b, err := proto.Marshal(src); err == nil {
			wires = append(wires, b)
		}
		m := expect.Equal(want)
		for _, wire := range wires {
			got := gotType.New().Interface()
			require.NoError(t, proto.Unmarshal(wire, got))
			match, fast := expect.MatchWire(m, got, wire)
			require.Equal(t, m.Match(got), match, "want %v\ngot  %v\nwire %x", want, got, wire)
			if got.ProtoReflect().Descriptor() == want.ProtoReflect().Descriptor() {
				require.Equal(t, proto.Equal(want, got), match, "want %v\ngot  %v", want, got)
			}
			cases++
			if fast {
				byBytes++
				require.True(t, match)
			}
		}
	}
	for range 3000 {
		want := randStruct(rnd, 3)
		if rnd.IntN(4) == 0 {
			addUnknown(rnd, want)
		}
		src := proto.Clone(want)
		switch rnd.IntN(3) {
		case 0: // the same message
		case 1:
			mutate(rnd, src.(*structpb.Struct))
		case 2:
			src = randStruct(rnd, 3)
		}
		wt := types[rnd.IntN(2)]
		check(as(want, wt), src, types[rnd.IntN(2)])
		if wt == dyn { // a dynamic want with unknown fields that as() could not carry
			w := dyn.New().Interface()
			proto.Merge(w, want)
			check(w, src, types[rnd.IntN(2)])
		}
	}
	// Same bytes, another type: never equal.
	check(wrapperspb.String("x"), wrapperspb.Bytes([]byte("x")), (&wrapperspb.BytesValue{}).ProtoReflect().Type())
	// A nil message equals no decoded one, not even an empty one.
	check((*structpb.Struct)(nil), &structpb.Struct{}, types[0])
	check(&structpb.Struct{}, &structpb.Struct{}, types[1])
	check(&pb.Point{}, &pb.Point{}, (&pb.Point{}).ProtoReflect().Type())
	// Unknown fields naming a known field: the bytes cannot say them back.
	odd := &pb.Point{Latitude: 1}
	odd.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 2))
	check(odd, odd, (&pb.Point{}).ProtoReflect().Type())
	check(odd, &pb.Point{Latitude: 2}, (&pb.Point{}).ProtoReflect().Type())

	t.Logf("%d cases, %d answered by the bytes", cases, byBytes)
	require.Greater(t, byBytes, cases/10, "the fast path should answer many of these")
}

var (
	keys    = []string{"a", "b", "c", "ü", ""}
	numbers = []float64{0, math.Copysign(0, -1), 1.5, -7, math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0x7ff8000000000001)}
	strs    = []string{"", "x", "grüße", "0123456789abcdef"}
)

func randValue(rnd *rand.Rand, depth int) *structpb.Value {
	n := 4
	if depth > 0 {
		n = 6
	}
	switch rnd.IntN(n) {
	case 0:
		return structpb.NewNullValue()
	case 1:
		return structpb.NewNumberValue(numbers[rnd.IntN(len(numbers))])
	case 2:
		return structpb.NewStringValue(strs[rnd.IntN(len(strs))])
	case 3:
		return structpb.NewBoolValue(rnd.IntN(2) == 0)
	case 4:
		return structpb.NewStructValue(randStruct(rnd, depth-1))
	default:
		l := &structpb.ListValue{}
		for range rnd.IntN(3) {
			l.Values = append(l.Values, randValue(rnd, depth-1))
		}
		return structpb.NewListValue(l)
	}
}

func randStruct(rnd *rand.Rand, depth int) *structpb.Struct {
	s := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	for range rnd.IntN(4) {
		s.Fields[keys[rnd.IntN(len(keys))]] = randValue(rnd, depth)
	}
	return s
}

// mutate changes s a little: often to something equal but not the same
// bytes (another NaN, the other zero), often to something else.
func mutate(rnd *rand.Rand, s *structpb.Struct) {
	if s.Fields == nil {
		s.Fields = map[string]*structpb.Value{}
	}
	switch rnd.IntN(4) {
	case 0:
		s.Fields[keys[rnd.IntN(len(keys))]] = randValue(rnd, 1)
	case 1:
		for k := range s.Fields {
			delete(s.Fields, k)
			break
		}
	case 2:
		addUnknown(rnd, s)
	default:
		for _, v := range s.Fields {
			if n, ok := v.Kind.(*structpb.Value_NumberValue); ok {
				switch {
				case math.IsNaN(n.NumberValue):
					n.NumberValue = numbers[6+rnd.IntN(2)]
				case n.NumberValue == 0:
					n.NumberValue = math.Copysign(0, -math.Copysign(1, n.NumberValue))
				}
			}
		}
	}
}

func addUnknown(rnd *rand.Rand, m proto.Message) {
	r := m.ProtoReflect()
	u := r.GetUnknown()
	u = protowire.AppendTag(u, protowire.Number(50+rnd.IntN(3)), protowire.BytesType)
	u = protowire.AppendBytes(u, []byte(strs[rnd.IntN(len(strs))]))
	r.SetUnknown(u)
}

// Equal's fast path is made on the matcher's second use, not when it is
// declared: a test's one call costs proto.Equal alone. Every use, before
// and after, answers as proto.Equal does.
func TestEqualFastPathMadeOnSecondUse(t *testing.T) {
	want := &pb.Point{Latitude: 1, Longitude: 2}
	eq := expect.Equal(want)
	m := expect.New(t)
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequestMatching(eq).Times(3).Return(&pb.Feature{Name: "hit"})
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequestMatching(expect.Anything()).Return(&pb.Feature{Name: "other"})
	require.False(t, expect.EqualWireMade(eq), "made at declaration")
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	ctx := t.Context()

	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
	require.NoError(t, err)
	require.Equal(t, "hit", f.GetName())
	require.False(t, expect.EqualWireMade(eq), "made by the first use")

	f, err = client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 3})
	require.NoError(t, err)
	require.Equal(t, "other", f.GetName(), "a different request matched")
	require.True(t, expect.EqualWireMade(eq), "not made by the second use")

	for range 2 {
		f, err = client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
		require.NoError(t, err)
		require.Equal(t, "hit", f.GetName())
	}
}
