package expect

import (
	"encoding/base64"
	"strconv"
	"strings"
	"text/template/parse"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fastPart is one piece of a template simple enough to render without
// text/template: literal text, or a reference to a scalar field of the
// request (or the message just received), the method, the hit or the index.
// text/template evaluates by reflection; an echo of a few fields is most of
// what stubs template, and this renders it with what text/template would
// print, at a fraction of the cost.
type fastPart struct {
	text string
	root string // "Request", "Message", "Method", "Hit", "Index"; "" : text
	path []protoreflect.FieldDescriptor
}

// fastParts returns the pieces of tree, or nil when it is not that simple.
func fastParts(tree *parse.Tree, in protoreflect.MessageDescriptor) []fastPart {
	if tree == nil || tree.Root == nil || in == nil {
		return nil
	}
	var out []fastPart
	for _, n := range tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			out = append(out, fastPart{text: string(n.Text)})
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 {
				return nil
			}
			var idents []string
			switch a := n.Pipe.Cmds[0].Args[0].(type) {
			case *parse.FieldNode:
				idents = a.Ident
			case *parse.VariableNode:
				if len(a.Ident) < 2 || a.Ident[0] != "$" {
					return nil
				}
				idents = a.Ident[1:]
			default:
				return nil
			}
			p, ok := fastRef(idents, in)
			if !ok {
				return nil
			}
			out = append(out, p)
		default:
			return nil
		}
	}
	return out
}

func fastRef(idents []string, in protoreflect.MessageDescriptor) (fastPart, bool) {
	switch idents[0] {
	case "Method", "Hit", "Index":
		return fastPart{root: idents[0]}, len(idents) == 1
	case "Request", "Message":
	default:
		return fastPart{}, false
	}
	p := fastPart{root: idents[0]}
	md := in
	for i, id := range idents[1:] {
		if md == nil {
			return fastPart{}, false
		}
		fd := md.Fields().ByJSONName(id)
		if fd == nil || fd.IsList() || fd.IsMap() {
			return fastPart{}, false
		}
		p.path = append(p.path, fd)
		last := i == len(idents)-2
		switch {
		case fd.Message() != nil && (last || isWellKnown(fd.Message())):
			return fastPart{}, false // a whole message or a well-known type: text/template prints those
		case fd.Message() != nil:
			md = fd.Message()
		case !last:
			return fastPart{}, false
		}
	}
	return p, len(p.path) > 0
}

// renderFast renders the parts for the call.
func renderFast(parts []fastPart, d *tmplData) string {
	var b strings.Builder
	for _, p := range parts {
		switch p.root {
		case "":
			b.WriteString(p.text)
		case "Method":
			b.WriteString(d.method)
		case "Hit":
			b.WriteString(strconv.Itoa(d.hit))
		case "Index":
			b.WriteString(strconv.Itoa(d.index))
		default:
			var msg proto.Message
			if p.root == "Message" && d.last != nil {
				msg = d.last
			} else if len(d.got) > 0 {
				msg = d.got[0]
			}
			writeScalar(&b, p.path, msg, d.in)
		}
	}
	return b.String()
}

// writeScalar writes the field at path as text/template prints the value
// messageObject gives it.
func writeScalar(b *strings.Builder, path []protoreflect.FieldDescriptor, msg proto.Message, in protoreflect.MessageDescriptor) {
	var m protoreflect.Message
	if msg != nil {
		m = msg.ProtoReflect()
	} else {
		m = messageType(in).Zero()
	}
	var fd protoreflect.FieldDescriptor
	for i, f := range path {
		fd = f
		if d := m.Descriptor(); fd.ContainingMessage() != d {
			if fd = d.Fields().ByNumber(f.Number()); fd == nil {
				return
			}
		}
		if i < len(path)-1 {
			m = m.Get(fd).Message()
		}
	}
	v := m.Get(fd)
	switch fd.Kind() {
	case protoreflect.BoolKind:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	case protoreflect.StringKind:
		b.WriteString(v.String())
	case protoreflect.BytesKind:
		b.WriteString(base64.StdEncoding.EncodeToString(v.Bytes()))
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			b.WriteString(string(ev.Name()))
		} else {
			b.WriteString(strconv.FormatInt(int64(v.Enum()), 10))
		}
	}
}
