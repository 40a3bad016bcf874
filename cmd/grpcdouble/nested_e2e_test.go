package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/expect"
)

// TestServeFieldsAndEntries: the binary serves native stubs with fields
// (a list's message elements, a map's message values), entries and regex
// on bytes, takes them through the admin API, and serves gripmock's
// matches on lists of messages, map entries and bytes, and contains on a
// map of messages, and ignoreArrayOrder on lists inside a list's elements,
// as they are and converted.
const upload = "/shop.v1.ShopService/Upload"

func TestServeFieldsAndEntries(t *testing.T) {
	protos, name := shopItemNames(t)
	miss := expect.NoMatchCode.String()

	native := filepath.Join(t.TempDir(), "native.yaml")
	if err := os.WriteFile(native, []byte(`- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: listed
      filters: {unordered: [{fields: {category: {regex: "^to"}}}, {fields: {category: books, tags: {contains: new}}}]}
  response: {name: filters by their fields}
- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: mapped
      labels: {entries: {env: {regex: "^pr"}}}
      filterBy: {entries: {main: {fields: {minPrice: {gte: 10}}}}}
      token: {regex: "^AAE"}
  response: {name: entries and bytes}
- method: /shop.v1.ShopService/GetItem
  times: 2
  request: {fields: {id: either-header}}
  metadata: {anyOf: [{x-role: admin}, {x-team: {regex: "^plat"}}]}
  response: {name: one count}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", protos, "--stubs", native)
	conn := dial(t, addr, nil)
	checkNames(t, "native", conn, name, []nameCase{
		{`{"id": "listed", "filters": [{"category": "books", "tags": ["new", "x"]}, {"category": "toys"}]}`, "filters by their fields"},
		{`{"id": "listed", "filters": [{"category": "books"}, {"category": "toys"}]}`, miss},
		{`{"id": "mapped", "labels": {"env": "prod"}, "filterBy": {"main": {"minPrice": 12}}, "token": "AAEC"}`, "entries and bytes"},
		{`{"id": "mapped", "labels": {"env": "prod"}, "filterBy": {"main": {"minPrice": 9}}, "token": "AAEC"}`, miss},
		{`{"id": "mapped", "labels": {"env": "prod"}, "filterBy": {"main": {"minPrice": 12}}, "token": "AQID"}`, miss},
	})
	for i, c := range []struct {
		md   []string
		want string
	}{
		{[]string{"x-role", "user"}, miss},
		{[]string{"x-role", "admin"}, "one count"},
		{[]string{"x-team", "platform"}, "one count"},
		{[]string{"x-role", "admin"}, miss},
	} {
		if got := nameWithMetadata(t, conn, `{"id": "either-header"}`, c.md...); got != c.want {
			t.Errorf("native metadata anyOf, call %d %v: %s, want %s", i+1, c.md, got, c.want)
		}
	}
	if code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `- method: /shop.v1.ShopService/GetItem
  metadata:
    anyOf: [{x-a: "1"}, {x-b: {present: true}}]
  request:
    fields:
      id: posted
      filterBy: {entries: {a: {fields: {tags: {unordered: [x, y]}}}}}
  response: {name: posted}
`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs with entries and fields: %d", code)
	}
	for _, c := range []struct {
		req  string
		md   []string
		want string
	}{
		{`{"id": "posted", "filterBy": {"a": {"tags": ["y", "x"]}}}`, []string{"x-b", "z"}, "posted"},
		{`{"id": "posted", "filterBy": {"a": {"tags": ["y", "x"]}}}`, []string{"x-a", "1"}, "posted"},
		{`{"id": "posted", "filterBy": {"a": {"tags": ["y", "x"]}}}`, []string{"x-a", "2"}, miss},
		{`{"id": "posted", "filterBy": {"a": {"tags": ["y", "y"]}}}`, []string{"x-b", "z"}, miss},
	} {
		if got := nameWithMetadata(t, conn, c.req, c.md...); got != c.want {
			t.Errorf("after POST /stubs: GetItem(%s) with %v = %s, want %s", c.req, c.md, got, c.want)
		}
	}
	// A gripmock body: matches with a list of messages and on a map's
	// entries, options.times with headers.anyOf.
	if code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `[{"service": "shop.v1.ShopService", "method": "GetItem",
  "options": {"times": 1},
  "headers": {"anyOf": [{"equals": {"x-a": "1"}}, {"equals": {"x-b": "2"}}]},
  "input": {"equals": {"id": "posted-gripmock"}, "matches": {"filters": [{"category": "^b"}], "labels": {"env": "^pr"}}},
  "output": {"data": {"name": "posted gripmock"}}}]`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs with a gripmock body: %d", code)
	}
	for _, c := range []struct {
		req  string
		md   []string
		want string
	}{
		{`{"id": "posted-gripmock", "filters": [{"category": "books"}], "labels": {"env": "prod"}}`, []string{"x-a", "2"}, miss},
		{`{"id": "posted-gripmock", "filters": [{"category": "toys"}], "labels": {"env": "prod"}}`, []string{"x-b", "2"}, miss},
		{`{"id": "posted-gripmock", "filters": [{"category": "books"}], "labels": {"env": "prod"}}`, []string{"x-b", "2"}, "posted gripmock"},
		{`{"id": "posted-gripmock", "filters": [{"category": "books"}], "labels": {"env": "prod"}}`, []string{"x-a", "1"}, miss},
	} {
		if got := nameWithMetadata(t, conn, c.req, c.md...); got != c.want {
			t.Errorf("after POST /stubs of a gripmock body: GetItem(%s) with %v = %s, want %s", c.req, c.md, got, c.want)
		}
	}
	if err := stop(); err != nil {
		t.Error(err)
	}

	fixture := filepath.Join(moduleRoot(t), "stubformat/testdata/gripmock/nested.yaml")
	jsonFixture := filepath.Join(moduleRoot(t), "stubformat/testdata/gripmock/matcher-templates.json")
	jsonOut, _ := convertGripmock(t, protos, jsonFixture)
	out, data := convertGripmock(t, protos, fixture)
	if !bytes.Contains(data, []byte("# inputs[1].anyOf: ignored, as gripmock ignores anyOf in one of several inputs")) {
		t.Errorf("the converted file does not say the anyOf of one of several inputs was ignored:\n%s", data)
	}
	if !bytes.Contains(data, []byte("entries:")) || !bytes.Contains(data, []byte("- fields:")) {
		t.Errorf("the converted file does not write map entries and message elements with entries and fields:\n%s", data)
	}
	for _, stubs := range [][2]string{{fixture, jsonFixture}, {out, jsonOut}} {
		addr, _, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--proto", protos, "--stubs", stubs[0], "--stubs", stubs[1])
		conn := dial(t, addr, nil)
		checkNames(t, stubs[0], conn, name, []nameCase{
			{`{"id": "message-patterns", "filters": [{"category": "books", "tags": ["new-1"]}, {"category": "toys"}]}`, "patterned filters"},
			{`{"id": "message-patterns", "filters": [{"category": "books"}, {"category": "toys"}]}`, miss},
			{`{"id": "label-patterns", "labels": {"env": "prod", "team": "web"}}`, "prod-ish"},
			{`{"id": "label-patterns", "labels": {"env": "dev", "team": "web"}}`, miss},
			{`{"id": "filter-subset", "filterBy": {"main": {"category": "toys", "minPrice": 3}, "extra": {"tags": ["sale"]}}}`, "main toys"},
			{`{"id": "filter-subset", "filterBy": {"main": {"category": "toys"}}}`, miss},
			{`{"id": "token", "token": "AAEC"}`, "token starts 00 01"},
			{`{"id": "token", "token": "AQID"}`, miss},
			{`{"id": "tagged-filters", "filters": [{"category": "books", "minPrice": 5, "tags": ["rare", "old", "old"]}, {"category": "toys", "tags": ["blue", "red"]}]}`, "filters and their tags in any order"},
			{`{"id": "tagged-filters", "filters": [{"category": "books", "minPrice": 5, "tags": ["rare", "old", "rare"]}, {"category": "toys", "tags": ["blue", "red"]}]}`, miss},
			{`{"id": "{{ .Request.user_id }}", "labels": {"tmpl": "{{ .Request.id }}"}}`, "the template as text"},
			{`{"id": "u-1", "userId": "u-1", "labels": {"tmpl": "u-1"}}`, miss},
			{`{"id": "{{ upper \"json\" }}", "userId": "{{ now }}"}`, "json matchers keep templates as text"},
			{`{"id": "JSON", "userId": "{{ now }}"}`, miss},
			{`{"id": "unquoted", "quantity": 12, "gift": true}`, "twelve gifts"},
			{`{"id": "unquoted", "quantity": 112, "gift": true}`, miss},
		})
		for i, c := range []struct {
			md   []string
			want string
		}{
			{[]string{"x-tenant", "acme", "x-role", "user"}, miss},
			{[]string{"x-tenant", "acme", "x-role", "admin"}, "shared by header alternatives"},
			{[]string{"x-tenant", "acme", "x-team", "platform"}, "shared by header alternatives"},
			{[]string{"x-tenant", "acme", "x-role", "admin"}, miss},
		} {
			if got := nameWithMetadata(t, conn, `{"id": "shared-headers"}`, c.md...); got != c.want {
				t.Errorf("%s: times with headers.anyOf, call %d %v: %s, want %s", stubs, i+1, c.md, got, c.want)
			}
		}
		if got := shopStream(t, conn, upload, "upload_id", nil, `{"uploadId": "two-step", "sequence": 1}`, `{"uploadId": "two-step", "sequence": 2}`); got != "two steps" {
			t.Errorf("%s: Upload with the anyOf of one of several inputs ignored = %s, want two steps", stubs, got)
		}
		if got := shopStream(t, conn, upload, "upload_id", nil, `{"uploadId": "two-step", "sequence": 1}`, `{"uploadId": "other", "sequence": 7}`); got != miss {
			t.Errorf("%s: Upload, the second message failing its input = %s, want %s", stubs, got, miss)
		}
		for i, c := range []struct {
			md   []string
			want string
		}{
			{[]string{"x-role", "user"}, miss},
			{[]string{"x-role", "admin"}, "pong"},
			{[]string{"x-team", "platform"}, "pong"},
			{[]string{"x-role", "admin"}, miss},
		} {
			if got := shopStream(t, conn, "/shop.v1.ShopService/Chat", "text", c.md, `{"text": "ping"}`); got != c.want {
				t.Errorf("%s: bidi times with headers.anyOf, call %d %v: %s, want %s", stubs, i+1, c.md, got, c.want)
			}
		}
		if err := stop(); err != nil {
			t.Error(err)
		}
	}
}

// nameWithMetadata calls GetItem with req and the metadata pairs md, and
// gives the answer's name, or the status code.
func nameWithMetadata(t *testing.T, conn *grpc.ClientConn, req string, md ...string) string {
	t.Helper()
	m := shopMethod(t, "/shop.v1.ShopService/GetItem")
	in, out := dynamicpb.NewMessage(m.Input()), dynamicpb.NewMessage(m.Output())
	if err := protojson.Unmarshal([]byte(req), in); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := conn.Invoke(metadata.NewOutgoingContext(ctx, metadata.Pairs(md...)), "/shop.v1.ShopService/GetItem", in, out); err != nil {
		return status.Code(err).String()
	}
	return out.Get(m.Output().Fields().ByName("name")).String()
}

// shopStream sends reqs, with the metadata pairs md, on a shop stream
// method, half-closes, and gives the field of every answer read, joined
// by spaces, or the status code when the call fails.
func shopStream(t *testing.T, conn *grpc.ClientConn, method, field string, md []string, reqs ...string) string {
	t.Helper()
	m := shopMethod(t, method)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	st, err := conn.NewStream(metadata.NewOutgoingContext(ctx, metadata.Pairs(md...)),
		&grpc.StreamDesc{ClientStreams: true, ServerStreams: m.IsStreamingServer()}, method)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		in := dynamicpb.NewMessage(m.Input())
		if err := protojson.Unmarshal([]byte(r), in); err != nil {
			t.Fatal(err)
		}
		if err := st.SendMsg(in); err != nil {
			break // the server ended the call: RecvMsg says how
		}
	}
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		out := dynamicpb.NewMessage(m.Output())
		err := st.RecvMsg(out)
		if errors.Is(err, io.EOF) {
			return strings.Join(got, " ")
		}
		if err != nil {
			return status.Code(err).String()
		}
		got = append(got, out.Get(m.Output().Fields().ByName(protoreflect.Name(field))).String())
	}
}
