package cassette

import (
	"bytes"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

const anyName protoreflect.FullName = "google.protobuf.Any"

// Message is one protobuf message in a cassette. A recorder makes one with
// NewMessage from the live message; a loaded cassette holds the protojson
// text (or the raw wire bytes) until Decode turns it into a message of the
// type the caller names.
type Message struct {
	msg      proto.Message   // the live message, when made by NewMessage
	json     json.RawMessage // protojson, as loaded
	raw      []byte          // wire bytes (for an Any: its value), as loaded
	isRaw    bool
	typeName string // for raw messages: the full name (for an Any: the type URL)
}

// NewMessage wraps a live message for writing. The message must not change
// afterwards.
func NewMessage(m proto.Message) *Message { return &Message{msg: m} }

// NewRawMessage is a message known only by its wire bytes, for when no
// descriptor of its type is at hand. For a google.protobuf.Any, typeName is
// the type URL and wire the Any's value.
func NewRawMessage(typeName string, wire []byte) *Message {
	return &Message{raw: wire, isRaw: true, typeName: typeName}
}

// Proto returns the live message this Message was made from, or nil for a
// loaded one.
func (m *Message) Proto() proto.Message { return m.msg }

// IsRaw reports whether the message is held as wire bytes (its type was
// unknown when recorded).
func (m *Message) IsRaw() bool { return m.isRaw }

// Decode returns the message as a new message of type mt. A loaded
// message is parsed from protojson (google.protobuf.Any fields resolve
// through protoregistry.GlobalTypes) or from its wire bytes.
func (m *Message) Decode(mt protoreflect.MessageType) (proto.Message, error) {
	out := mt.New().Interface()
	isAny := mt.Descriptor().FullName() == anyName
	switch {
	case m.msg != nil:
		if m.msg.ProtoReflect().Descriptor() == mt.Descriptor() {
			return m.msg, nil
		}
		b, err := proto.Marshal(m.msg)
		if err != nil {
			return nil, err
		}
		if err := proto.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("as %s: %w", mt.Descriptor().FullName(), err)
		}
	case m.isRaw && isAny:
		r := out.ProtoReflect()
		fields := r.Descriptor().Fields()
		r.Set(fields.ByNumber(1), protoreflect.ValueOfString(m.typeName))
		r.Set(fields.ByNumber(2), protoreflect.ValueOfBytes(m.raw))
	case m.isRaw:
		if m.typeName != "" && m.typeName != string(mt.Descriptor().FullName()) {
			return nil, fmt.Errorf("message recorded as %s, wanted as %s", m.typeName, mt.Descriptor().FullName())
		}
		if err := proto.Unmarshal(m.raw, out); err != nil {
			return nil, fmt.Errorf("@raw as %s: %w", mt.Descriptor().FullName(), err)
		}
	default:
		if err := protojson.Unmarshal(m.json, out); err != nil {
			return nil, fmt.Errorf("as %s: %w", mt.Descriptor().FullName(), err)
		}
	}
	return out, nil
}

type rawForm struct {
	Type string `json:"@type"`
	Raw  []byte `json:"@raw"`
}

// MarshalJSON writes the message as protojson, or in the raw form when
// protojson cannot (an Any whose type is not linked in).
func (m *Message) MarshalJSON() ([]byte, error) {
	switch {
	case m.msg != nil:
		b, err := protojson.Marshal(m.msg)
		if err == nil {
			return b, nil
		}
		r := m.msg.ProtoReflect()
		if r.Descriptor().FullName() == anyName {
			fields := r.Descriptor().Fields()
			return json.Marshal(rawForm{Type: r.Get(fields.ByNumber(1)).String(), Raw: r.Get(fields.ByNumber(2)).Bytes()})
		}
		wire, merr := proto.Marshal(m.msg)
		if merr != nil {
			return nil, fmt.Errorf("message %s: %w", r.Descriptor().FullName(), merr)
		}
		return json.Marshal(rawForm{Type: string(r.Descriptor().FullName()), Raw: wire})
	case m.isRaw:
		return json.Marshal(rawForm{Type: m.typeName, Raw: m.raw})
	case m.json != nil:
		return m.json, nil
	}
	return []byte("{}"), nil
}

var rawKey = []byte(`"@raw"`)

// UnmarshalJSON keeps the protojson text for Decode, or reads the raw form.
func (m *Message) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("a message must be a JSON object, got %.40s", b)
	}
	if bytes.Contains(b, rawKey) {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(b, &probe); err != nil {
			return err
		}
		if _, ok := probe["@raw"]; ok {
			var r rawForm
			if err := json.Unmarshal(b, &r); err != nil {
				return fmt.Errorf("raw message: %w", err)
			}
			*m = Message{raw: r.Raw, isRaw: true, typeName: r.Type}
			return nil
		}
	}
	*m = Message{json: append(json.RawMessage(nil), b...)}
	return nil
}
