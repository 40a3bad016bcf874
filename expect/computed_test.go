package expect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// computedCalls are the calls of TestComputedNumbers and their answers,
// the same whether the stubs are Go expectations or a stub file.
var computedCalls = []struct{ req, want string }{
	{`{"id": "many", "tags": ["a", "b", "c"]}`, "three tags or more"},
	{`{"id": "many", "tags": ["a", "b"]}`, "MISS"},
	{`{"id": "fields", "filters": [{"category": "a"}, {"category": "b", "minPrice": 3}]}`, "a filter of two fields"},
	{`{"id": "fields", "filters": [{"category": "a"}, {"minPrice": 3}]}`, "MISS"},
	{`{"id": "sum", "counts": [4, 5, 2]}`, "sum over 10, min 2"},
	{`{"id": "sum", "counts": [4, 5, 1]}`, "MISS"},
	{`{"id": "sum", "counts": [4, 3, 2]}`, "MISS"},
	{`{"id": "sum"}`, "MISS"},
	{`{"id": "avg", "weights": [1.5, 2.5, -1]}`, "mean 1, max 2.5"},
	{`{"id": "avg", "weights": [1.5, 2.5, -0.5]}`, "MISS"},
	{`{"id": "spread", "counts": [2, 4, 4, 4, 5, 5, 7, 9]}`, "spread 2"},
	{`{"id": "spread", "counts": [2, 4, 4, 4, 5, 5, 7, 8]}`, "MISS"},
	{`{"id": "some-sum", "filters": [{"tags": ["a"]}, {"tags": ["a", "b"]}]}`, "a filter of two tags"},
	{`{"id": "some-sum", "filters": [{"tags": ["a"]}, {"tags": ["a", "b", "c"]}]}`, "MISS"},
}

// Numbers computed from a field: len given operators (of a list, and of a
// message, counting its fields set), sum, min, max, avg and stddev of a
// list of numbers.
func TestComputedNumbers(t *testing.T) {
	run := func(t *testing.T, call func(string) string) {
		t.Helper()
		for _, c := range computedCalls {
			want := c.want
			if want == "MISS" {
				want = expect.NoMatchCode.String()
			}
			assert.Equal(t, want, call(c.req), "GetItem(%s)", c.req)
		}
	}
	t.Run("Go", func(t *testing.T) {
		m := expect.New(t)
		call, md := shopServer(t, m)
		e := func(id string) *expect.UnaryExpectation {
			return m.Unary(getItem).WithRequestField("id", expect.Eq(id)).AnyTimes()
		}
		e("many").WithRequestField("tags", expect.LenOf(expect.Gte(3))).Return(item(t, md, "three tags or more"))
		e("fields").WithRequestField("filters", expect.SomeElement(expect.Len(2))).Return(item(t, md, "a filter of two fields"))
		e("sum").WithRequestField("counts", expect.AllOf(expect.Sum(expect.Gt(10)), expect.Min(expect.Eq(2)))).
			Return(item(t, md, "sum over 10, min 2"))
		e("avg").WithRequestField("weights", expect.AllOf(expect.Avg(expect.Eq(1)), expect.Max(expect.Eq(2.5)))).
			Return(item(t, md, "mean 1, max 2.5"))
		e("spread").WithRequestField("counts", expect.Stddev(expect.Eq(2))).Return(item(t, md, "spread 2"))
		e("some-sum").WithRequestField("filters", expect.SomeElement(expect.Fields(expect.Field("tags", expect.LenOf(expect.Eq(2)))))).
			Return(item(t, md, "a filter of two tags"))
		run(t, call)
		m.Reset() // the misses were wanted
	})
	t.Run("stub file", func(t *testing.T) {
		m := expect.New(t)
		call, _ := shopServer(t, m)
		loadStubs(t, m, `
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: many, tags: {len: {gte: 3}}}}
  response: {name: three tags or more}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: fields, filters: {someElement: {len: 2}}}}
  response: {name: a filter of two fields}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: sum, counts: {sum: {gt: 10}, min: 2}}}
  response: {name: "sum over 10, min 2"}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: avg, weights: {avg: 1, max: {equal: 2.5}}}}
  response: {name: "mean 1, max 2.5"}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: spread, counts: {stddev: 2}}}
  response: {name: spread 2}
- method: shop.v1.ShopService/GetItem
  request: {fields: {id: some-sum, filters: {someElement: {fields: {tags: {len: {equal: 2}}}}}}}
  response: {name: a filter of two tags}
`)
		run(t, call)
		m.Reset()
	})
}

func TestComputedNumberErrors(t *testing.T) {
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
		{"sum of strings", "tags", expect.Sum(expect.Eq(1)), "sum works on repeated number fields, not a repeated string"},
		{"min of one number", "quantity", expect.Min(expect.Eq(1)), "min works on repeated number fields, not a int32"},
		{"no operator", "counts", expect.Avg(nil), "avg needs an operator"},
		{"a string for a number", "counts", expect.Max(expect.Eq("x")), "max: equal: operand \"x\" is not a double"},
		{"a count of a bool", "gift", expect.LenOf(expect.Gt(1)), "len works on repeated, map, string, bytes and message fields"},
		{"a fraction for a count", "tags", expect.LenOf(expect.Eq(1.5)), "len: equal: operand 1.5 is not a int64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := expect.BindField(tc.path, tc.op, md.Input())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	for _, tc := range []struct{ name, data, want string }{
		{"an unknown operator in sum", "- method: shop.v1.ShopService/GetItem\n  request:\n    fields:\n      counts: {sum: {bigger: 1}}\n  response: {}\n",
			`s.yaml:4: request.fields.counts.sum: unknown operator "bigger"`},
		{"len of operators on a list of strings", "- method: shop.v1.ShopService/GetItem\n  request:\n    fields:\n      counts: {stddev: {prefix: a}}\n  response: {}\n",
			`s.yaml:4: request.fields.counts: field counts (repeated int32): stddev: prefix works on string fields`},
		{"a negative count", "- method: shop.v1.ShopService/GetItem\n  request:\n    fields:\n      tags: {len: -1}\n  response: {}\n",
			`s.yaml:4: request.fields.tags.len: want a count (0 or more), got "-1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := expect.ParseStubs("s.yaml", []byte(tc.data), srv)
			require.Error(t, err)
			assert.ErrorIs(t, err, expect.ErrStubFile)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
