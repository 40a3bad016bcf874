package expect

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// prepareDirect lets a message whose templates all sit in singular scalar
// fields skip protojson at call time: the rest of the message is parsed
// once, and each call clones it and sets the rendered fields.
func (m *msgTmpl) prepareDirect() {
	var js bytes.Buffer
	for _, p := range m.parts {
		if p.t == nil {
			js.Write(p.lit)
			continue
		}
		if p.path == nil {
			return
		}
		js.WriteString("null")
	}
	// The linked type only when it is this very descriptor: setScalar sets
	// m.out's fields, and a generated type of the same name loaded from
	// .proto files has other descriptors (protobuf panics on a mismatch).
	mt := messageType(m.out)
	if mt.Descriptor() != m.out {
		mt = dynamicpb.NewMessageType(m.out)
	}
	base := mt.New().Interface()
	if protojson.Unmarshal(js.Bytes(), base) != nil {
		return
	}
	m.base = base
}

// buildDirect is build for a message prepareDirect prepared.
func (m *msgTmpl) buildDirect(d *tmplData) ([]proto.Message, error) {
	msg := proto.Clone(m.base)
	for _, p := range m.parts {
		if p.t == nil {
			continue
		}
		s, err := p.t.render(d)
		if err != nil {
			return nil, err
		}
		if err := setScalar(msg.ProtoReflect(), p.path, s); err != nil {
			return nil, fmt.Errorf("%s: %w a %s: %v", m.where, errBadOutput, m.out.FullName(), err)
		}
	}
	return []proto.Message{msg}, nil
}

// setScalar sets the field at path from a template's text, as protojson
// would read it there (an empty text leaves the zero value).
func setScalar(m protoreflect.Message, path []protoreflect.FieldDescriptor, s string) error {
	for _, fd := range path[:len(path)-1] {
		m = m.Mutable(fd).Message()
	}
	fd := path[len(path)-1]
	t := strings.TrimSpace(s)
	if fd.Kind() != protoreflect.StringKind && t == "" {
		m.Clear(fd)
		return nil
	}
	var v protoreflect.Value
	switch fd.Kind() {
	case protoreflect.StringKind:
		v = protoreflect.ValueOfString(s)
	case protoreflect.BytesKind:
		b, err := base64.StdEncoding.DecodeString(t)
		if err != nil {
			if b, err = base64.URLEncoding.DecodeString(t); err != nil {
				return fmt.Errorf("field %s: %q is not base64", fd.JSONName(), t)
			}
		}
		v = protoreflect.ValueOfBytes(b)
	case protoreflect.BoolKind:
		b, err := strconv.ParseBool(t)
		if err != nil || (t != "true" && t != "false") {
			return fmt.Errorf("invalid value for bool field %s: %q", fd.JSONName(), t)
		}
		v = protoreflect.ValueOfBool(b)
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByName(protoreflect.Name(t)); ev != nil {
			v = protoreflect.ValueOfEnum(ev.Number())
		} else if n, err := strconv.ParseInt(t, 10, 32); err == nil {
			v = protoreflect.ValueOfEnum(protoreflect.EnumNumber(n))
		} else {
			return fmt.Errorf("invalid value for enum field %s: %q", fd.JSONName(), t)
		}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := strconv.ParseInt(t, 10, 32)
		if err != nil {
			return fmt.Errorf("invalid value for int32 field %s: %q", fd.JSONName(), t)
		}
		v = protoreflect.ValueOfInt32(int32(n))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid value for int64 field %s: %q", fd.JSONName(), t)
		}
		v = protoreflect.ValueOfInt64(n)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := strconv.ParseUint(t, 10, 32)
		if err != nil {
			return fmt.Errorf("invalid value for uint32 field %s: %q", fd.JSONName(), t)
		}
		v = protoreflect.ValueOfUint32(uint32(n))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err := strconv.ParseUint(t, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid value for uint64 field %s: %q", fd.JSONName(), t)
		}
		v = protoreflect.ValueOfUint64(n)
	case protoreflect.FloatKind:
		f, err := strconv.ParseFloat(t, 32)
		if err != nil {
			return fmt.Errorf("invalid value for float field %s: %q", fd.JSONName(), t)
		}
		v = protoreflect.ValueOfFloat32(float32(f))
	case protoreflect.DoubleKind:
		f, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return fmt.Errorf("invalid value for double field %s: %q", fd.JSONName(), t)
		}
		v = protoreflect.ValueOfFloat64(f)
	default:
		return fmt.Errorf("field %s: cannot be set from text", fd.JSONName())
	}
	m.Set(fd, v)
	return nil
}
