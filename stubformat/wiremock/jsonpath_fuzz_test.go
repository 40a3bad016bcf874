package wiremock

import (
	"testing"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	_ "google.golang.org/protobuf/types/known/structpb"
)

// FuzzJSONPath: any JSON path gives native tests or an error, on a message
// with lists, maps and a recursive field; never a panic.
func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{
		"$.a.b", "$.items[0].name", "$.items[-1]", "$.items[*].name", "$..name", "$[?(@.n > 1 || @.name == 'x')]",
		"$.items[?(@.n >= 2 && @.name =~ /a[b]+/)].name", "$.tags[?(@ == 'a')]", "$.labels.env", "$.tags.length()",
		"$['name']", "$.items[0:2]", "$[?(@.self.n)]", "$..self", "$.items[?(@ == 1)]", "$.[", "$[?(", "$..", "$.x()",
		"$.items[*].self.n", "$.items[?(@.n > 1 || @.name == 'x')].tags", "$..tags",
		"$[?(@.name > 'a' && @.n < 'b')]", "$.tags[?(@ <= 'm')]", "$.labels[?(@ > 'a')]",
		"$[?(!(@.n > 1 && (@.name || @.self.n == 2)))]", "$.items[?(!@.name && !(@.n =~ /a(b)/))]", "$[?(!!@.name)]", "$[?(((@.n)))]", "$[?(!(@.n > 1)",
		"$.tags[*].length()", "$.items[*].size()", "$.items[?(@.n > 1)].tags.length()", "$[?(@.tags.length() > 1)]", "$.items[?(@.length() == 2)]",
		"$.nums.sum()", "$.nums.max()", "$[?(@.nums.avg() >= 2.5 && @.nums.min() < 0)]", "$[?(!(@.nums.stddev() < 1))]", "$.items[*].nums.sum()",
		"$.tags.first()", "$.items.last().name", "$..tags.length()", "$.tags.keys()", "$[?(@.tags.first() == 'a')]", "$.nums.sum().x", "$[?(@.nums.max() < 0)]",
		"$.tags[0:2]", "$.tags[:2]", "$.tags[-2:]", "$.tags[-1:1]", "$.tags[3:1]", "$.tags[:-1]", "$.tags[2:]", "$.tags[:]", "$.items[1:3].name",
		"$.tags[0,2]", "$.items[0,-1].tags[0:1]", "$['name','n']", "$['self','items'].n", "$.labels['a','b']", "$.tags[0,'a']", "$.items[:2][?(@.n > 1)]",
		"$.self[*]", "$[*]", "$.items[*][*]", "$.self[*].n", "$.labels[*]", "$.self.self[*][0]", "$.name[*]",
	} {
		f.Add(s, "")
		f.Add(s, "equalTo")
		f.Add(s, "absent")
	}
	n, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: ptr("f.proto"), Package: ptr("f"), Syntax: ptr("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: ptr("M"),
			Field: []*descriptorpb.FieldDescriptorProto{
				fieldProto("name", 1, descriptorpb.FieldDescriptorProto_TYPE_STRING, "", false),
				fieldProto("n", 2, descriptorpb.FieldDescriptorProto_TYPE_INT64, "", false),
				fieldProto("items", 3, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, ".f.M", true),
				fieldProto("tags", 4, descriptorpb.FieldDescriptorProto_TYPE_STRING, "", true),
				fieldProto("self", 5, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, ".f.M", false),
				fieldProto("labels", 6, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, ".f.M.LabelsEntry", true),
				fieldProto("nums", 7, descriptorpb.FieldDescriptorProto_TYPE_INT32, "", true),
			},
			NestedType: []*descriptorpb.DescriptorProto{{
				Name:    ptr("LabelsEntry"),
				Options: &descriptorpb.MessageOptions{MapEntry: ptrBool(true)},
				Field: []*descriptorpb.FieldDescriptorProto{
					fieldProto("key", 1, descriptorpb.FieldDescriptorProto_TYPE_STRING, "", false),
					fieldProto("value", 2, descriptorpb.FieldDescriptorProto_TYPE_STRING, "", false),
				},
			}},
		}},
	}, nil)
	if err != nil {
		f.Fatal(err)
	}
	md := n.Messages().Get(0)
	f.Fuzz(func(t *testing.T, expr, kind string) {
		segs, err := parseJSONPath(expr)
		if err != nil {
			return
		}
		for _, p := range []pos{{md: md, known: true}, {}} {
			tr := &pathTr{line: 1}
			if kind != "" {
				tr.kind, tr.lf = kind, &yaml.Node{Kind: yaml.ScalarNode, Value: "true"}
			}
			_, _ = tr.translate(segs, p)
		}
	})
}

func ptr(s string) *string { return &s }
func ptrBool(b bool) *bool { return &b }
func fieldProto(name string, n int32, typ descriptorpb.FieldDescriptorProto_Type, typeName string, repeated bool) *descriptorpb.FieldDescriptorProto {
	fd := &descriptorpb.FieldDescriptorProto{Name: ptr(name), Number: &n, Type: typ.Enum(), JsonName: ptr(name)}
	label := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
	if repeated {
		label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
	}
	fd.Label = label.Enum()
	if typeName != "" {
		fd.TypeName = ptr(typeName)
	}
	return fd
}

// A google.protobuf.Value may be JSON null, which WireMock's absent takes
// for no value: absent on a path finding such values stays refused.
func TestAbsentOnNullable(t *testing.T) {
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: ptr("v.proto"), Package: ptr("v"), Syntax: ptr("proto3"), Dependency: []string{"google/protobuf/struct.proto"},
		MessageType: []*descriptorpb.DescriptorProto{{
			Name:  ptr("M"),
			Field: []*descriptorpb.FieldDescriptorProto{fieldProto("vals", 1, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, ".google.protobuf.Value", true)},
		}},
	}, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	segs, err := parseJSONPath("$.vals[*]")
	if err != nil {
		t.Fatal(err)
	}
	tr := &pathTr{line: 1, kind: "absent", lf: &yaml.Node{Kind: yaml.ScalarNode, Value: "true"}}
	_, err = tr.translate(segs, pos{md: fd.Messages().Get(0), known: true})
	if want := "absent on a path finding a element of a repeated google.protobuf.Value, which may be JSON null"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
