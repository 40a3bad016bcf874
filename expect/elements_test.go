package expect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

const getItem = "/shop.v1.ShopService/GetItem"

// shopServer serves m with the shop service of stubformat's fixtures,
// known only from its .proto (its requests hold lists of messages and
// maps), and gives a function calling GetItem with a protojson request and
// returning the answer's name, or the status code.
func shopServer(t *testing.T, m *expect.Mock) (func(req string) string, protoreflect.MethodDescriptor) {
	t.Helper()
	srv, err := mockserver.New(m, mockserver.WithProtoFiles([]string{"../stubformat/testdata/protos"}, "shop/v1/shop.proto"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	md, err := srv.Method(getItem)
	require.NoError(t, err)
	return func(req string) string {
		t.Helper()
		in, out := dynamicpb.NewMessage(md.Input()), dynamicpb.NewMessage(md.Output())
		require.NoError(t, protojson.Unmarshal([]byte(req), in))
		if err := srv.ClientConn().Invoke(ctx(t), getItem, in, out); err != nil {
			return status.Code(err).String()
		}
		return out.Get(md.Output().Fields().ByName("name")).String()
	}, md
}

func item(t *testing.T, md protoreflect.MethodDescriptor, name string) *dynamicpb.Message {
	t.Helper()
	out := dynamicpb.NewMessage(md.Output())
	out.Set(md.Output().Fields().ByName("name"), protoreflect.ValueOfString(name))
	return out
}

// listCalls are the calls of TestListElements and their answers, the same
// whether the stubs are Go expectations or a stub file.
var listCalls = []struct{ req, want string }{
	{`{"id": "some", "filters": [{"category": "mugs"}, {"category": "toys", "minPrice": 12}]}`, "a toy over 10"},
	{`{"id": "some", "filters": [{"category": "toys", "minPrice": 9}, {"category": "mugs", "minPrice": 12}]}`, "MISS"},
	{`{"id": "some", "filters": []}`, "MISS"},
	{`{"id": "at", "tags": ["a", "b", "z-last"], "filters": [{"category": "first"}]}`, "first and last"},
	{`{"id": "at", "tags": ["z-last", "b"], "filters": [{"category": "first"}]}`, "MISS"},
	{`{"id": "at", "tags": ["z-last"], "filters": [{"category": "second"}, {"category": "first"}]}`, "MISS"},
	{`{"id": "past", "tags": ["a"]}`, "no second tag"},
	{`{"id": "past", "tags": ["a", "b"]}`, "MISS"},
	{`{"id": "label", "labels": {"env": "prod-1", "team": "web"}}`, "prod label"},
	{`{"id": "label", "labels": {"team": "prod"}}`, "MISS"},
	{`{"id": "tag", "tags": ["x", "sale-20"]}`, "a sale tag"},
	{`{"id": "tag", "tags": ["x"]}`, "MISS"},
	{`{"id": "any-label", "labels": {"a": "x", "b": "gold"}}`, "a gold label"},
	{`{"id": "any-label", "labels": {"a": "x"}}`, "MISS"},
	{`{"id": "incl", "tags": ["b", "a", "c", "a"]}`, "two a's among others"},
	{`{"id": "incl", "tags": ["a", "b"]}`, "MISS"},
	{`{"id": "none", "filters": [{"category": "toys"}, {"category": "pets", "minPrice": 3}]}`, "no element priced"},
	{`{"id": "none"}`, "no element priced"},
	{`{"id": "after-m", "userId": "mugs"}`, "after m"},
	{`{"id": "after-m", "userId": "Mugs"}`, "MISS"},
	{`{"id": "after-m", "userId": "m"}`, "MISS"},
	{`{"id": "none", "filters": [{"category": "pets"}, {"category": "toys", "minPrice": 3}]}`, "MISS"},
}

func runListCalls(t *testing.T, call func(string) string) {
	t.Helper()
	for _, c := range listCalls {
		want := c.want
		if want == "MISS" {
			want = expect.NoMatchCode.String()
		}
		assert.Equal(t, want, call(c.req), "GetItem(%s)", c.req)
	}
}

// Tests on a list's elements and a map's values: some element passes
// (someElement, with fields on a message element), the element a path's
// [i] picks ([-1] the last; past the end it reads as unset), a map's value
// by its [key].
func TestListElements(t *testing.T) {
	t.Run("Go", func(t *testing.T) {
		m := expect.New(t)
		call, md := shopServer(t, m)
		e := func(id string) *expect.UnaryExpectation {
			return m.Unary(getItem).WithRequestField("id", expect.Eq(id)).AnyTimes()
		}
		e("some").WithRequestField("filters", expect.SomeElement(expect.Fields(
			expect.Field("category", expect.Eq("toys")), expect.Field("minPrice", expect.Gt(10)),
		))).Return(item(t, md, "a toy over 10"))
		e("at").WithRequestField("filters[0].category", expect.Eq("first")).
			WithRequestField("tags[-1]", expect.Prefix("z-")).Return(item(t, md, "first and last"))
		e("past").WithRequestField("tags[1]", expect.Absent()).Return(item(t, md, "no second tag"))
		e("label").WithRequestField("labels[env]", expect.Regex("^prod-")).Return(item(t, md, "prod label"))
		e("tag").WithRequestField("tags", expect.SomeElement(expect.Prefix("sale-"))).Return(item(t, md, "a sale tag"))
		e("any-label").WithRequestField("labels", expect.SomeElement(expect.Eq("gold"))).Return(item(t, md, "a gold label"))
		e("incl").WithRequestField("tags", expect.Includes("a", expect.Eq("a"))).Return(item(t, md, "two a's among others"))
		e("none").WithRequestField("filters", expect.Not(expect.SomeElement(expect.Fields(
			expect.Field("category", expect.Eq("toys")), expect.Field("minPrice", expect.Present()))))).
			Return(item(t, md, "no element priced"))
		e("after-m").WithRequestField("userId", expect.Gt("m")).Return(item(t, md, "after m"))
		runListCalls(t, call)
		m.Reset() // the misses were wanted
	})
	t.Run("stub file", func(t *testing.T) {
		m := expect.New(t)
		call, _ := shopServer(t, m)
		loadStubs(t, m, `
- method: shop.v1.ShopService/GetItem
  request:
    fields:
      id: some
      filters: {someElement: {fields: {category: toys, minPrice: {gt: 10}}}}
  response: {name: a toy over 10}
- method: shop.v1.ShopService/GetItem
  request:
    fields:
      id: at
      filters[0].category: first
      tags[-1]: {prefix: z-}
  response: {name: first and last}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: past, "tags[1]": {absent: true}}}
  response: {name: no second tag}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: label, "labels[env]": {regex: ^prod-}}}
  response: {name: prod label}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: tag, tags: {someElement: {prefix: sale-}}}}
  response: {name: a sale tag}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: any-label, labels: {someElement: gold}}}
  response: {name: a gold label}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: incl, tags: {includes: [a, {equal: a}]}}}
  response: {name: two a's among others}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: none, filters: {not: {someElement: {fields: {category: toys, minPrice: {present: true}}}}}}}
  response: {name: no element priced}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: after-m, userId: {gt: m}}}
  response: {name: after m}
`)
		runListCalls(t, call)
		m.Reset()
	})
}

// A miss on a picked element shows the element; past the list's end it is
// unset.
func TestListElementDiff(t *testing.T) {
	m := expect.New(t)
	call, md := shopServer(t, m)
	m.Unary(getItem).WithRequestField("tags[1]", expect.Eq("b")).Return(item(t, md, "b second"))
	assert.Equal(t, "b second", call(`{"tags": ["a", "b"]}`))
	assert.Equal(t, expect.NoMatchCode.String(), call(`{"tags": ["a", "c"]}`))
	assert.Equal(t, expect.NoMatchCode.String(), call(`{"tags": ["a"]}`))
	misses := m.Unexpected()
	require.Len(t, misses, 2)
	assert.Contains(t, misses[0].String(), `field tags[1]: want equal "b", got "c"`)
	assert.Contains(t, misses[1].String(), `field tags[1]: want equal "b", got unset`)
	m.Reset()
}

func TestListElementErrors(t *testing.T) {
	srv, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{"../stubformat/testdata/protos"}, "shop/v1/shop.proto"))
	require.NoError(t, err)
	defer srv.Close()
	md, err := srv.Method(getItem)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		path string
		op   expect.Op
		want string
	}{
		{"someElement on a string", "id", expect.SomeElement(expect.Eq("a")), "someElement works on repeated and map fields"},
		{"an unknown field in fields", "filters", expect.SomeElement(expect.Fields(expect.Field("categry", expect.Eq("a")))), `shop.v1.Filter has no field "categry" (did you mean category?)`},
		{"present in someElement", "tags", expect.SomeElement(expect.Present()), "someElement: present tests a field, not one element of a list"},
		{"through a list", "filters.category", expect.Eq("a"), "filters is a repeated shop.v1.Filter: pick an element to go through (filters[0], or [key] on a map), or test them with someElement"},
		{"an index on a string", "id[0]", expect.Eq("a"), "[0]: id is a string, not a list or a map to pick from"},
		{"a word for an index", "tags[first]", expect.Eq("a"), "[first]: want an element's index, such as [0] or [-1] (the last)"},
		{"an element of the wrong type", "tags[0]", expect.Eq(3), "operand 3 is not a string"},
		{"a map value of the wrong type", "labels[env]", expect.Eq(3), "operand 3 is not a string"},
		{"a bad bracket", "tags[0", expect.Eq("a"), "want names joined by dots, each with at most one [index] or [key]"},
		{"no operator", "tags", expect.SomeElement(nil), "someElement needs an operator"},
		{"includes on a string", "id", expect.Includes("a"), "includes works on repeated fields, not a string"},
		{"not without an operator", "tags", expect.Not(nil), "not needs an operator"},
		{"gt on a list of strings", "tags", expect.Gt("a"), "gt works on a single number, string, Timestamp or Duration, not a repeated string"},
		{"gt on a string, given a number", "id", expect.Gt(3), "gt: operand 3 is not a string"},
		{"not of an operator that does not bind", "id", expect.Not(expect.SomeElement(expect.Eq("a"))), "not: someElement works on repeated and map fields"},
		{"includes of the wrong type", "tags", expect.Includes(3), "includes[0]: equal: operand 3 is not a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := expect.BindField(tc.path, tc.op, md.Input())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// A stub file's bad list test names its line and field.
func TestListElementStubErrors(t *testing.T) {
	srv, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{"../stubformat/testdata/protos"}, "shop/v1/shop.proto"))
	require.NoError(t, err)
	defer srv.Close()
	for _, tc := range []struct{ name, data, want string }{
		{"fields not a mapping", "- method: shop.v1.ShopService/GetItem\n  request:\n    fields:\n      filters: {someElement: {fields: [category]}}\n  response: {}\n",
			`s.yaml:4: request.fields.filters.someElement.fields: want a mapping from a field path of the message to an operator`},
		{"an unknown operator in someElement", "- method: shop.v1.ShopService/GetItem\n  request:\n    fields:\n      tags: {someElement: {bigger: 1}}\n  response: {}\n",
			`s.yaml:4: request.fields.tags.someElement: unknown operator "bigger"`},
		{"an unknown field in fields", "- method: shop.v1.ShopService/GetItem\n  request:\n    fields:\n      filters:\n        someElement: {fields: {categry: a}}\n  response: {}\n",
			`s.yaml:5: request.fields.filters: field filters (repeated shop.v1.Filter): someElement: fields: field categry: shop.v1.Filter has no field "categry" (did you mean category?)`},
		{"an index on a map", "- method: shop.v1.ShopService/GetItem\n  request:\n    fields:\n      id[0]: a\n  response: {}\n",
			`s.yaml:4: request.fields.id[0]: field id[0]: [0]: id is a string, not a list or a map to pick from`},
		{"through a list", "- method: shop.v1.ShopService/GetItem\n  request:\n    fields:\n      filters.category: a\n  response: {}\n",
			`s.yaml:4: request.fields.filters.category: field filters.category: filters is a repeated shop.v1.Filter: pick an element to go through (filters[0], or [key] on a map), or test them with someElement`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := expect.ParseStubs("s.yaml", []byte(tc.data), srv)
			require.Error(t, err)
			assert.ErrorIs(t, err, expect.ErrStubFile)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
