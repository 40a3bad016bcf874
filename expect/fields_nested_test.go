package expect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

const (
	shopProtos  = "../stubformat/testdata/protos"
	shopGetItem = "/shop.v1.ShopService/GetItem"
)

// shopGetItemMethod is GetItem's descriptor, parsed from its .proto.
func shopGetItemMethod(t *testing.T) protoreflect.MethodDescriptor {
	t.Helper()
	r, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{shopProtos}, "shop/v1/shop.proto"))
	require.NoError(t, err)
	defer r.Close()
	md, err := r.Method(shopGetItem)
	require.NoError(t, err)
	return md
}

// fields tests a message value by its own fields: a message field, each
// element of a list of messages, a map's message value; entries tests a
// map's values key by key; regex on bytes tests their base64 text.
func TestFieldsEntriesAndBytes(t *testing.T) {
	msg := &descriptorpb.DescriptorProto{Name: proto.String("Item"), Field: []*descriptorpb.FieldDescriptorProto{
		{Name: proto.String("alpha"), Number: proto.Int32(1)},
		{Name: proto.String("beta"), Number: proto.Int32(2), Options: &descriptorpb.FieldOptions{Deprecated: proto.Bool(true)}},
	}}
	st, err := structpb.NewStruct(map[string]any{"env": "prod", "team": "web", "limits": map[string]any{"cpu": "2"}})
	require.NoError(t, err)
	photo := &pb.Feature{Detail: &pb.Feature_Photo_{Photo: &pb.Feature_Photo{Data: []byte("hello")}}} // aGVsbG8=
	name := func(re string) expect.Matcher { return expect.Field("name", expect.Regex(re)) }
	for _, tc := range []struct {
		what string
		path string
		op   expect.Op
		got  proto.Message
		want bool
	}{
		{"each element its own", "field", expect.Unordered(expect.Fields(name("^b")), expect.Fields(name("^a"))), msg, true},
		{"an element left over", "field", expect.Unordered(expect.Fields(name("^a"))), msg, false},
		{"no element fits", "field", expect.Unordered(expect.Fields(name("^a")), expect.Fields(name("^a"))), msg, false},
		{"two tests of one element", "field", expect.Unordered(expect.Fields(name("^b"), expect.Field("options.deprecated", expect.Eq(true))), expect.Fields(name("^a"))), msg, true},
		{"every element", "field", expect.Fields(expect.Field("number", expect.Gt(0))), msg, true},
		{"every element, one fails", "field", expect.Fields(name("^a")), msg, false},
		{"a message field", "options", expect.Fields(expect.Field("deprecated", expect.Eq(false))), msg, true},
		{"entries: a pattern", "fields", expect.Entries(map[string]any{"env": expect.Fields(expect.Field("stringValue", expect.Regex("^pr")))}), st, true},
		{"entries: another value", "fields", expect.Entries(map[string]any{"env": expect.Fields(expect.Field("stringValue", expect.Regex("^d")))}), st, false},
		{"entries: no such key", "fields", expect.Entries(map[string]any{"region": expect.Present()}), st, false},
		{"entries: a value equal", "fields", expect.Entries(map[string]any{"team": structpb.NewStringValue("web")}), st, true},
		{"entries: two levels", "fields", expect.Entries(map[string]any{"limits": expect.Fields(expect.Field("structValue.fields", expect.Entries(map[string]any{"cpu": expect.Fields(expect.Field("stringValue", expect.Regex("^2$")))})))}), st, true},
		{"regex on bytes: base64", "photo.data", expect.Regex("^aGVs"), photo, true},
		{"regex on bytes: not the raw text", "photo.data", expect.Regex("^hel"), photo, false},
	} {
		m := expect.Field(tc.path, tc.op)
		assert.Equal(t, tc.want, m.Match(tc.got), "%s: %s", tc.what, m)
	}
	str := expect.Field("fields", expect.Entries(map[string]any{"b": expect.Present(), "a": "x"})).String()
	assert.Equal(t, `with fields entries("a": equal "x", "b": present)`, str)

	for _, tc := range []struct {
		what, path string
		op         expect.Op
		want       string
	}{
		{"fields on a string", "name", expect.Fields(name("x")), "fields works on message fields, lists of messages and a map's message values (in entries), not a string"},
		{"fields on a map", "options.uninterpretedOption", expect.Fields(), "fields needs at least one matcher"},
		{"a field the element lacks", "field", expect.Unordered(expect.Fields(expect.Field("nmae", expect.Eq("a")))), `unordered[0]: fields: field nmae: google.protobuf.FieldDescriptorProto has no field "nmae" (did you mean name?)`},
		{"entries on a list", "field", expect.Entries(map[string]any{"a": 1}), "entries works on map fields, not a repeated google.protobuf.FieldDescriptorProto"},
		{"no keys", "field", expect.Entries(nil), "entries needs at least one key"},
	} {
		err := expect.BindField(tc.path, tc.op, msg.ProtoReflect().Descriptor())
		if assert.Error(t, err, tc.what) {
			assert.Contains(t, err.Error(), tc.want, tc.what)
		}
	}
	err = expect.BindField("attributes", expect.Entries(map[string]any{"height": 3}), photo.ProtoReflect().Descriptor())
	assert.ErrorContains(t, err, `entries["height"]: equal: operand 3 is not a string`)
	err = expect.BindField("attributes", expect.Entries(map[string]any{"height": expect.Fields(name("a"))}), photo.ProtoReflect().Descriptor())
	assert.ErrorContains(t, err, `entries["height"]: fields works on message fields, lists of messages and a map's message values (in entries), not a string`)
}

// The same operators in a stub file, the Go DSL and over gRPC, on a method
// served from a .proto (its messages dynamic).
func TestFieldsEntriesAndBytesServed(t *testing.T) {
	md := shopGetItemMethod(t)
	item := dynamicpb.NewMessage(md.Output())
	item.Set(md.Output().Fields().ByName("name"), protoreflect.ValueOfString("from Go"))
	m := expect.NewMock()
	m.Unary(shopGetItem).AnyTimes().
		WithRequestField("id", expect.Eq("go")).
		WithRequestField("filters", expect.Unordered(
			expect.Fields(expect.Field("category", expect.Regex("^to")), expect.Field("tags", expect.Unordered("a", "b"))),
			expect.Fields(expect.Field("category", expect.Eq("books"))))).
		WithRequestField("filterBy", expect.Entries(map[string]any{"main": expect.Fields(expect.Field("minPrice", expect.Gte(10)))})).
		WithRequestField("token", expect.Regex("^AAE")).
		Return(item)
	stubs, err := expect.ParseStubs("nested.yaml", []byte(`
- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: file
      filters: {unordered: [{fields: {category: {regex: "^to"}, tags: {unordered: [a, b]}}}, {fields: {category: books}}]}
      filterBy: {entries: {main: {fields: {minPrice: {gte: 10}}}}}
      labels: {entries: {env: {regex: "^pr"}}}
      token: {regex: "^AAE"}
  response: {name: from a file}
- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: any-element
      filters: {unordered: [{fields: {}}, {fields: {category: books}}]}
  response: {name: any and books}
`), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
	srv := mockserver.Start(t, m, mockserver.WithProtoFiles([]string{shopProtos}, "shop/v1/shop.proto"))
	const both = `"filters": [{"category": "books"}, {"category": "toys", "tags": ["b", "a"]}], "filterBy": {"main": {"minPrice": 12}}, "labels": {"env": "prod"}, "token": "AAEC"`
	for _, tc := range []struct{ req, want string }{
		{`{"id": "go", ` + both + `}`, "from Go"},
		{`{"id": "file", ` + both + `}`, "from a file"},
		{`{"id": "file", "filters": [{"category": "books"}, {"category": "toys", "tags": ["b", "c"]}], "filterBy": {"main": {"minPrice": 12}}, "labels": {"env": "prod"}, "token": "AAEC"}`, "miss"},
		{`{"id": "file", "filters": [{"category": "books"}, {"category": "toys", "tags": ["b", "a"]}], "filterBy": {"other": {"minPrice": 12}}, "labels": {"env": "prod"}, "token": "AAEC"}`, "miss"},
		{`{"id": "file", "filters": [{"category": "books"}, {"category": "toys", "tags": ["b", "a"]}], "filterBy": {"main": {"minPrice": 12}}, "labels": {"env": "dev"}, "token": "AAEC"}`, "miss"},
		{`{"id": "file", "filters": [{"category": "books"}, {"category": "toys", "tags": ["b", "a"]}], "filterBy": {"main": {"minPrice": 12}}, "labels": {"env": "prod"}, "token": "AQID"}`, "miss"},
		{`{"id": "any-element", "filters": [{"category": "books"}, {"minPrice": 1}]}`, "any and books"},
		{`{"id": "any-element", "filters": [{"category": "books"}]}`, "miss"},
	} {
		in := dynamicpb.NewMessage(md.Input())
		require.NoError(t, protojson.Unmarshal([]byte(tc.req), in))
		out := dynamicpb.NewMessage(md.Output())
		got := "miss"
		if err := srv.ClientConn().Invoke(ctx(t), shopGetItem, in, out); err == nil {
			got = out.Get(out.Descriptor().Fields().ByName("name")).String()
		} else if status.Code(err) != expect.NoMatchCode {
			t.Fatalf("%s: %v", tc.req, err)
		}
		assert.Equal(t, tc.want, got, tc.req)
	}
}

// A bad fields or entries in a stub file names its line and path.
func TestFieldsEntriesStubErrors(t *testing.T) {
	for _, tc := range []struct{ fields, want string }{
		{`filters: {unordered: [{fields: {nmae: a}}]}`, `f.yaml:5: request.fields.filters: field filters (repeated shop.v1.Filter): unordered[0]: fields: field nmae: shop.v1.Filter has no field "nmae"`},
		{`filters: {fields: []}`, `f.yaml:5: request.fields.filters.fields: want a mapping from a field path of the message to an operator`},
		{`labels: {entries: {env: {regx: a}}}`, `f.yaml:5: request.fields.labels.entries.env: unknown operator "regx"`},
		{`labels: {entries: []}`, `f.yaml:5: request.fields.labels.entries: want a mapping from a map key to a value or operators`},
		{`id: {entries: {a: b}}`, `f.yaml:5: request.fields.id: field id (string): entries works on map fields, not a string`},
		{`filterBy: {entries: {a: {fields: {minPrice: x}}}}`, `f.yaml:5: request.fields.filterBy: field filterBy (map field): entries["a"]: fields: field minPrice (int32): equal: operand "x" is not a int32`},
	} {
		srv, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{shopProtos}, "shop/v1/shop.proto"))
		require.NoError(t, err)
		_, err = expect.ParseStubs("f.yaml", []byte("- method: /shop.v1.ShopService/GetItem\n  request:\n    fields:\n      id: x\n      "+tc.fields+"\n  response: {}\n"), srv)
		srv.Close()
		if assert.Error(t, err, tc.fields) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
}

// Matchers are not templates: a {{ in them is matched as written.
func TestMatchersTakeTemplatesAsText(t *testing.T) {
	m := expect.NewMock()
	loadStubs(t, m, `
- method: routeguide.RouteGuide/RouteChat
  steps:
    - recv: {fields: {message: "{{ .Message.message }}"}}
    - send: {message: literal}
- method: routeguide.RouteGuide/GetFeature
  metadata: {x-a: "{{ header \"x-a\" }}"}
  request: {partial: {latitude: 3}}
  response: {name: from a file}
`)
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())
	f, err := client.GetFeature(metadata.NewOutgoingContext(ctx(t), metadata.Pairs("x-a", `{{ header "x-a" }}`)), &pb.Point{Latitude: 3})
	require.NoError(t, err)
	assert.Equal(t, "from a file", f.Name)
	_, err = client.GetFeature(metadata.NewOutgoingContext(ctx(t), metadata.Pairs("x-a", "b")), &pb.Point{Latitude: 3})
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	chat, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, chat.Send(&pb.RouteNote{Message: "{{ .Message.message }}"}))
	got, err := chat.Recv()
	require.NoError(t, err)
	assert.Equal(t, "literal", got.Message)
	require.NoError(t, chat.CloseSend())
	assert.True(t, expect.Field("name", expect.Eq("{{ .Request.name }}")).Match(&pb.Feature{Name: "{{ .Request.name }}"}))
	assert.False(t, expect.Field("name", expect.Eq("{{ .Request.name }}")).Match(&pb.Feature{Name: "x"}))
}
