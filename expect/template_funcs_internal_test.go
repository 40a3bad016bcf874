package expect

import (
	"math"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Sequence, repeat and randInt arguments at the ends of int's range are
// errors or short lists, never a list that grows without end (a
// difference or a step that overflows) nor a panic.
func TestTemplateFuncsHugeNumbers(t *testing.T) {
	for _, tc := range []struct {
		name              string
		start, stop, step int
	}{
		{"full range", math.MinInt, math.MaxInt, 1},
		{"step past the end", 0, math.MaxInt, math.MaxInt/2 + 1},
		{"negative step past the end", 0, math.MinInt, math.MinInt/2 - 1},
		{"negative full range", math.MaxInt, math.MinInt, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var got []int
			var err error
			go func() { got, err = intRange(tc.start, tc.stop, tc.step); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("intRange did not return")
			}
			if err == nil && len(got) > maxTemplateList {
				t.Fatalf("a list of %d", len(got))
			}
			for i := 1; i < len(got); i++ {
				if (tc.step > 0) != (got[i] > got[i-1]) {
					t.Fatalf("wrapped: %v", got)
				}
			}
		})
	}
	if got, err := intRange(0, math.MaxInt, math.MaxInt/2+1); err != nil || len(got) != 2 {
		t.Errorf("intRange(0, MaxInt, MaxInt/2+1) = %v, %v; want [0 %d]", got, err, math.MaxInt/2+1)
	}
	if got, err := intRange(10, 0, -3); err != nil || len(got) != 4 || got[3] != 1 {
		t.Errorf("intRange(10, 0, -3) = %v, %v; want [10 7 4 1]", got, err)
	}
	if got, err := intRange(5, 5, 1); err != nil || len(got) != 0 {
		t.Errorf("intRange(5, 5, 1) = %v, %v", got, err)
	}
	repeat := tmplFuncs["repeat"].(func(int, string) (string, error))
	if _, err := repeat(1<<62+1, "abcd"); err == nil {
		t.Error("repeat 1<<62+1 of 4 bytes: no error")
	}
	d := &tmplData{}
	if _, err := d.RandInt(math.MinInt, math.MaxInt); err != nil {
		t.Errorf("RandInt(MinInt, MaxInt): %v", err)
	}
}

// math writes what Java writes (Double.toString past 10^7), and a huge
// exponent is no number (0), not a power of ten of a million digits.
func TestTemplateMathEnds(t *testing.T) {
	for _, tc := range []struct {
		a    any
		op   string
		b    any
		want string
	}{
		{"1e999999", "+", 1, "1"},
		{"20000000.5", "*", 1, "2.00000005E7"},
		{"0.0001", "*", "1.0", "1.0E-4"},
		{int64(-7), "/", 2, "-4"}, // half up: away from zero
		{"1.0E10", "+", 0, "10000000000"},
		{int64(3), "-", "3.5", "-0.5"},
		{math.NaN(), "+", 1, "1"},
	} {
		if got, err := mathOp(tc.a, tc.op, tc.b); err != nil || got != tc.want {
			t.Errorf("math %v %s %v = %q, %v; want %q", tc.a, tc.op, tc.b, got, err, tc.want)
		}
	}
	if _, err := mathOp(1, "^", 2); err == nil {
		t.Error(`math 1 "^" 2: no error`)
	}
}

// messageJson lays a message out as protobuf-java's JsonFormat printer:
// lists of messages opened on the line, numbers as Java writes them, 64-bit
// integers quoted, strings HTML-safe as Gson's.
func TestTemplateMessageJSONLayout(t *testing.T) {
	fd := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("a<b='c'&"),
		Dependency: []string{"x", "y"},
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("M")}, {Name: proto.String("N"),
			Field: []*descriptorpb.FieldDescriptorProto{{Name: proto.String("f"), Number: proto.Int32(1), Type: descriptorpb.FieldDescriptorProto_TYPE_INT64.Enum()}}}},
		Options: &descriptorpb.FileOptions{},
	}
	opt := &descriptorpb.UninterpretedOption{DoubleValue: proto.Float64(1), PositiveIntValue: proto.Uint64(5), NegativeIntValue: proto.Int64(-3), StringValue: []byte{0xff}}
	for _, tc := range []struct {
		m    proto.Message
		want string
	}{
		{fd, "{\n  \"name\": \"a\\u003cb\\u003d\\u0027c\\u0027\\u0026\",\n  \"dependency\": [\"x\", \"y\"],\n  \"messageType\": [{\n    \"name\": \"M\"\n  }, {\n    \"name\": \"N\",\n" +
			"    \"field\": [{\n      \"name\": \"f\",\n      \"number\": 1,\n      \"type\": \"TYPE_INT64\"\n    }]\n  }],\n  \"options\": {\n  }\n}"},
		{opt, "{\n  \"positiveIntValue\": \"5\",\n  \"negativeIntValue\": \"-3\",\n  \"doubleValue\": 1.0,\n  \"stringValue\": \"/w==\"\n}"},
		{&descriptorpb.UninterpretedOption{DoubleValue: proto.Float64(2.5e10)}, "{\n  \"doubleValue\": 2.5E10\n}"},
	} {
		d := &tmplData{got: []proto.Message{tc.m}}
		if got, err := d.MessageJSON(); err != nil || got != tc.want {
			t.Errorf("messageJson:\n got %q, %v\nwant %q", got, err, tc.want)
		}
	}
	if _, err := (&tmplData{}).MessageJSON(1); err == nil {
		t.Error("messageJson 1 of no messages: no error")
	}
	if got := signedBytes("\x01\xff\x80"); got != "[1, -1, -128]" {
		t.Errorf("signedBytes: %q", got)
	}
}

// FuzzNumberFormat: any pattern and number give text or an error, never
// a panic.
func FuzzNumberFormat(f *testing.F) {
	for _, p := range []string{"#,##0.00", "#.##", "0.0;(0.0)", "'#'0%", "#,####", "00.", "‰#", "¤#", "0.0E0", "#;", ";#", "''", "#,", ".", "#.#.#"} {
		f.Add(p, 1234.5678)
	}
	f.Fuzz(func(t *testing.T, pattern string, n float64) {
		out, err := numberFormat(pattern, n)
		if err == nil && len(out) > 4096+len(pattern) {
			t.Errorf("numberFormat %q %v: %d bytes", pattern, n, len(out))
		}
	})
}
