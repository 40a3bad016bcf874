package cassette_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// FuzzParseEncode: Parse never panics, and what it accepts encodes to a
// cassette that parses back to the same encoding (a fixed point).
func FuzzParseEncode(f *testing.F) {
	// More seeds, valid, torn and malformed, are in
	// testdata/fuzz/FuzzParseEncode. Seeds are compact JSON: the fuzzer
	// minimizes each new input it finds, at a cost that grows with the
	// square of the input's size, and a pretty-printed two-interaction
	// seed (1.5 KB) made it spend whole minutes minimizing instead of
	// fuzzing.
	var buf bytes.Buffer
	if err := cassette.Encode(&buf, []*cassette.Interaction{sample(f)}); err != nil {
		f.Fatal(err)
	}
	var compact bytes.Buffer
	dec := json.NewDecoder(&buf)
	for {
		var doc json.RawMessage
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if err := json.Compact(&compact, doc); err != nil {
			f.Fatal(err)
		}
		compact.WriteByte('\n')
	}
	f.Add(compact.Bytes())
	f.Add(compact.Bytes()[:compact.Len()-40])
	f.Add([]byte(`{"format":"grpcdouble-cassette","version":1}{"method":"/a.S/M","events":[{"type":"header","metadata":{"k-bin":["AAE="]}}],"status":{"code":"5","message":"x"}}`))
	f.Add([]byte(`{"format":"grpcdouble-cassette","version":1}{"method":"/a.S/M","events":[{"type":"client_message","message":{"@type":"a.B","@raw":"CAE="}}],"status":{"code":"OK","details":[{"@type":"t/x","@raw":""}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := cassette.Parse(data, "fuzz")
		if err != nil {
			return
		}
		var once bytes.Buffer
		if err := cassette.Encode(&once, c.Interactions); err != nil {
			return // a message that is not valid JSON for its form cannot be written back
		}
		c2, err := cassette.Parse(once.Bytes(), "fuzz2")
		if err != nil {
			t.Fatalf("re-parse of encoded cassette: %v\n%s", err, once.String())
		}
		if len(c2.Interactions) != len(c.Interactions) || c2.Torn != nil {
			t.Fatalf("got %d interactions (torn %v), want %d", len(c2.Interactions), c2.Torn, len(c.Interactions))
		}
		var twice bytes.Buffer
		if err := cassette.Encode(&twice, c2.Interactions); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatalf("encoding is not stable:\n%s\n---\n%s", once.String(), twice.String())
		}
	})
}

// FuzzDecode: the messages and status details of whatever Parse accepts
// decode as the example service's types, or fail with an error, never a
// panic; what decodes survives a round trip through a writer's form.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"format":"grpcdouble-cassette","version":1}
{"method":"/a.S/M","events":[{"type":"client_message","message":{"latitude":1,"longitude":-2}},{"type":"server_message","message":{"name":"x","location":{"latitude":3},"photo":{"data":"AAE=","mimeType":"image/png"}}}],"status":{"code":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"R"}]}}
`))
	f.Add([]byte(`{"format":"grpcdouble-cassette","version":1}
{"method":"/a.S/M","events":[{"type":"client_message","message":{"@type":"routeguide.Point","@raw":"CAEQAg=="}},{"type":"server_message","message":{"message":"hi","location":{"latitude":"7"}}}],"status":{"code":"ABORTED","details":[{"@type":"type.googleapis.com/x.Y","@raw":"CgF4"}]}}
`))
	f.Add([]byte(`{"format":"grpcdouble-cassette","version":1}
{"method":"/a.S/M","events":[{"type":"client_message","message":{"latitude":"NaN","tags":[1]}}],"status":{"code":"OK","details":[{"@type":"type.googleapis.com/no.Such","x":1}]}}
`))
	types := []protoreflect.MessageType{pointType, featureType, (&pb.RouteNote{}).ProtoReflect().Type()}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := cassette.Parse(data, "fuzz")
		if err != nil {
			return
		}
		for _, in := range c.Interactions {
			for _, e := range in.Events {
				if e.Message == nil {
					continue
				}
				for _, mt := range types {
					m, err := e.Message.Decode(mt)
					if err != nil {
						continue
					}
					back, err := cassette.NewMessage(m).Decode(mt)
					if err != nil {
						t.Fatalf("decoded %v, which does not decode again: %v", m, err)
					}
					if !proto.Equal(m, back) {
						t.Fatalf("round trip changed %v into %v", m, back)
					}
				}
			}
			_, _ = in.Status.Proto()
		}
	})
}
