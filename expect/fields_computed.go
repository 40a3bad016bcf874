package expect

// Operators testing a number computed from a field: len given operators,
// and sum, min, max, avg and stddev of a list of numbers.

import (
	"fmt"
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// LenOf holds when the count Len counts passes op, an operator on a
// number: LenOf(Gte(2)) for two entries or more.
func LenOf(op Op) Op { return computed(opLen, op) }

// Sum holds when the sum of a repeated number field's elements passes op,
// an operator on a number (a double): Sum(Gt(10)). An empty list has no
// sum, nor min, max, avg or stddev.
func Sum(op Op) Op { return computed(opSum, op) }

// Min holds when the least element of a repeated number field passes op.
func Min(op Op) Op { return computed(opMin, op) }

// Max holds when the greatest element of a repeated number field passes op.
func Max(op Op) Op { return computed(opMax, op) }

// Avg holds when the mean of a repeated number field's elements passes op.
func Avg(op Op) Op { return computed(opAvg, op) }

// Stddev holds when the (population) standard deviation of a repeated
// number field's elements passes op.
func Stddev(op Op) Op { return computed(opStddev, op) }

// computed is an operator testing, with op, a number computed from the
// field.
func computed(kind opKind, op Op) Op {
	if op == nil {
		return &opSpec{kind: kind, err: fmt.Errorf("%s needs an operator", opNames[kind])}
	}
	return &opSpec{kind: kind, n: -1, subs: []*opSpec{op.spec()}}
}

// countField and numberField stand for a count and a computed number, so
// the operators testing them bind as they do to a field: fields of a
// message of their own (a wrapper's JSON is not an object to parse an
// operand in).
var countField, numberField = func() (protoreflect.FieldDescriptor, protoreflect.FieldDescriptor) {
	field := func(name string, n int32, t descriptorpb.FieldDescriptorProto_Type) *descriptorpb.FieldDescriptorProto {
		return &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(n), Type: t.Enum(),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), JsonName: proto.String(name)}
	}
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: proto.String("grpcdouble/expect/computed.proto"), Package: proto.String("grpcdouble.expect"), Syntax: proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("Computed"), Field: []*descriptorpb.FieldDescriptorProto{
			field("count", 1, descriptorpb.FieldDescriptorProto_TYPE_INT64),
			field("number", 2, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE),
		}}},
	}, nil)
	if err != nil {
		panic(err) // a fixed descriptor
	}
	fields := fd.Messages().Get(0).Fields()
	return fields.Get(0), fields.Get(1)
}()

// computedTest binds s, an operator computing a number from the field fd
// (one element of it, as t says), with what computes it; the operator s
// holds tests that number.
func computedTest(s *opSpec, fd protoreflect.FieldDescriptor, t target,
	of func(kind opKind, fd protoreflect.FieldDescriptor, t target) (func(protoreflect.Value) (protoreflect.Value, bool), error)) (func(protoreflect.Value, bool) bool, error) {
	name := opNames[s.kind]
	compute, err := of(s.kind, fd, t)
	if err != nil {
		return nil, err
	}
	on := numberField
	if s.kind == opLen {
		on = countField
	}
	test, err := bindOp(s.subs[0], on)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return func(v protoreflect.Value, has bool) bool {
		x, ok := compute(v)
		return ok && test(x, true)
	}, nil
}

// countOf counts what len counts.
func countOf(_ opKind, fd protoreflect.FieldDescriptor, t target) (func(protoreflect.Value) (protoreflect.Value, bool), error) {
	count := func(n int) (protoreflect.Value, bool) { return protoreflect.ValueOfInt64(int64(n)), true }
	switch {
	case fd.IsList() && t == onField:
		return func(v protoreflect.Value) (protoreflect.Value, bool) { return count(v.List().Len()) }, nil
	case fd.IsMap():
		return func(v protoreflect.Value) (protoreflect.Value, bool) { return count(v.Map().Len()) }, nil
	case fd.Kind() == protoreflect.StringKind:
		return func(v protoreflect.Value) (protoreflect.Value, bool) {
			return count(utf8.RuneCountInString(v.String()))
		}, nil
	case fd.Kind() == protoreflect.BytesKind:
		return func(v protoreflect.Value) (protoreflect.Value, bool) { return count(len(v.Bytes())) }, nil
	case fd.Message() != nil:
		return func(v protoreflect.Value) (protoreflect.Value, bool) { return count(setFields(v.Message())) }, nil
	}
	return nil, fmt.Errorf("len works on repeated, map, string, bytes and message fields")
}

// setFields is the number of fields of m that are set: the keys of its
// JSON object.
func setFields(m protoreflect.Message) int {
	n := 0
	m.Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool {
		n++
		return true
	})
	return n
}

// aggregateOf computes sum, min, max, avg or stddev of a list of numbers,
// in the order of its elements, as doubles; an empty list has none.
func aggregateOf(kind opKind, fd protoreflect.FieldDescriptor, t target) (func(protoreflect.Value) (protoreflect.Value, bool), error) {
	var num func(protoreflect.Value) float64
	switch fd.Kind() {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		num = func(v protoreflect.Value) float64 { return float64(v.Int()) }
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		num = func(v protoreflect.Value) float64 { return float64(v.Uint()) }
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		num = func(v protoreflect.Value) float64 { return v.Float() }
	}
	if !fd.IsList() || t != onField || num == nil {
		return nil, fmt.Errorf("%s works on repeated number fields, not a %s", opNames[kind], fieldKind(fd))
	}
	return func(v protoreflect.Value) (protoreflect.Value, bool) {
		l := v.List()
		if l.Len() == 0 {
			return protoreflect.Value{}, false
		}
		var sum, sumSq float64
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := range l.Len() {
			x := num(l.Get(i))
			sum += x
			sumSq += x * x
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		n := float64(l.Len())
		r := map[opKind]float64{opSum: sum, opMin: lo, opMax: hi, opAvg: sum / n}[kind]
		if kind == opStddev {
			r = math.Sqrt(sumSq/n - sum*sum/n/n)
		}
		return protoreflect.ValueOfFloat64(r), true
	}, nil
}
