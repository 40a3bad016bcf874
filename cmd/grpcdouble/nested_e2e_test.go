package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/expect"
)

// TestServeFieldsAndEntries: the binary serves native stubs with fields
// (a list's message elements, a map's message values), entries and regex
// on bytes, takes them through the admin API, and serves gripmock's
// matches on lists of messages, map entries and bytes, and contains on a
// map of messages, and ignoreArrayOrder on lists inside a list's elements,
// as they are and converted.
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
	if code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: posted
      filterBy: {entries: {a: {fields: {tags: {unordered: [x, y]}}}}}
  response: {name: posted}
`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs with entries and fields: %d", code)
	}
	checkNames(t, "after POST /stubs", conn, name, []nameCase{
		{`{"id": "posted", "filterBy": {"a": {"tags": ["y", "x"]}}}`, "posted"},
		{`{"id": "posted", "filterBy": {"a": {"tags": ["y", "y"]}}}`, miss},
	})
	if err := stop(); err != nil {
		t.Error(err)
	}

	fixture := filepath.Join(moduleRoot(t), "stubformat/testdata/gripmock/nested.yaml")
	out, data := convertGripmock(t, protos, fixture)
	if !bytes.Contains(data, []byte("# inputs[1].anyOf: ignored, as gripmock ignores anyOf in one of several inputs")) {
		t.Errorf("the converted file does not say the anyOf of one of several inputs was ignored:\n%s", data)
	}
	if !bytes.Contains(data, []byte("entries:")) || !bytes.Contains(data, []byte("- fields:")) {
		t.Errorf("the converted file does not write map entries and message elements with entries and fields:\n%s", data)
	}
	for _, stubs := range []string{fixture, out} {
		addr, _, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--proto", protos, "--stubs", stubs)
		conn := dial(t, addr, nil)
		checkNames(t, stubs, conn, name, []nameCase{
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
		})
		if got := uploadID(t, conn, `{"uploadId": "two-step", "sequence": 1}`, `{"uploadId": "two-step", "sequence": 2}`); got != "two steps" {
			t.Errorf("%s: Upload with the anyOf of one of several inputs ignored = %s, want two steps", stubs, got)
		}
		if got := uploadID(t, conn, `{"uploadId": "two-step", "sequence": 1}`, `{"uploadId": "other", "sequence": 7}`); got != miss {
			t.Errorf("%s: Upload, the second message failing its input = %s, want %s", stubs, got, miss)
		}
		if err := stop(); err != nil {
			t.Error(err)
		}
	}
}

// uploadID sends reqs on a shop Upload stream and gives the answer's
// uploadId, or the status code.
func uploadID(t *testing.T, conn *grpc.ClientConn, reqs ...string) string {
	t.Helper()
	md := shopMethod(t, "/shop.v1.ShopService/Upload")
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	st, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true}, "/shop.v1.ShopService/Upload")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		in := dynamicpb.NewMessage(md.Input())
		if err := protojson.Unmarshal([]byte(r), in); err != nil {
			t.Fatal(err)
		}
		if err := st.SendMsg(in); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	out := dynamicpb.NewMessage(md.Output())
	if err := st.RecvMsg(out); err != nil {
		return status.Code(err).String()
	}
	return out.Get(md.Output().Fields().ByName("upload_id")).String()
}
