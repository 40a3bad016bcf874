package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// shopItemNames gives the shop protos' folder and a function calling
// GetItem that gives the answer's name, or the status code.
func shopItemNames(t *testing.T) (string, func(conn *grpc.ClientConn, req string) string) {
	t.Helper()
	md := shopMethod(t, "/shop.v1.ShopService/GetItem")
	return filepath.Join(moduleRoot(t), "stubformat/testdata/protos"), func(conn *grpc.ClientConn, req string) string {
		t.Helper()
		in, out := dynamicpb.NewMessage(md.Input()), dynamicpb.NewMessage(md.Output())
		if err := protojson.Unmarshal([]byte(req), in); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		if err := conn.Invoke(ctx, "/shop.v1.ShopService/GetItem", in, out); err != nil {
			return status.Code(err).String()
		}
		return out.Get(md.Output().Fields().ByName("name")).String()
	}
}

// TestServeUnorderedAndMapEntries: the binary serves native stubs with
// unordered (a value or operators per element) and contains with map
// entries, takes them and a request anyOf with one count through the admin
// API, and serves gripmock's ignoreArrayOrder, per-element patterns, map
// contains and options.times with anyOf as they are and converted.
func TestServeUnorderedAndMapEntries(t *testing.T) {
	protos, name := shopItemNames(t)
	miss := expect.NoMatchCode.String()

	dir := t.TempDir()
	native := filepath.Join(dir, "native.yaml")
	if err := os.WriteFile(native, []byte(`- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: tagged
      tags: {unordered: [a, a, {regex: "^c-[0-9]$"}]}
  response: {name: tags in any order}
- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: filtered
      filters: {unordered: [{equal: {category: toys}}, {equal: {category: books, minPrice: 3}}]}
  response: {name: filters in any order}
- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: labelled
      labels: {contains: {env: prod, team: web}}
  response: {name: prod web}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", protos, "--stubs", native)
	conn := dial(t, addr, nil)
	checkNames(t, "native", conn, name, []nameCase{
		{`{"id": "tagged", "tags": ["c-7", "a", "a"]}`, "tags in any order"},
		{`{"id": "tagged", "tags": ["a", "c-7", "c-8"]}`, miss},
		{`{"id": "tagged", "tags": ["a", "c-7", "a", "a"]}`, miss},
		{`{"id": "filtered", "filters": [{"category": "books", "minPrice": 3}, {"category": "toys"}]}`, "filters in any order"},
		{`{"id": "filtered", "filters": [{"category": "books"}, {"category": "toys"}]}`, miss},
		{`{"id": "labelled", "labels": {"team": "web", "env": "prod", "x": "y"}}`, "prod web"},
		{`{"id": "labelled", "labels": {"env": "prod"}}`, miss},
	})
	if code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: posted
      tags: {unordered: [{prefix: x}, {prefix: y}]}
  response: {name: posted}
- method: /shop.v1.ShopService/GetItem
  times: 2
  request:
    anyOf: [{fields: {id: either, quantity: 1}}, {partial: {id: either, gift: true}}]
  response: {name: either twice}
`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs with unordered: %d", code)
	}
	checkNames(t, "after POST /stubs", conn, name, []nameCase{
		{`{"id": "posted", "tags": ["yes", "xo"]}`, "posted"},
		{`{"id": "posted", "tags": ["xo", "xi"]}`, miss},
		{`{"id": "either", "gift": true}`, "either twice"},
		{`{"id": "either", "quantity": 2}`, miss},
		{`{"id": "either", "quantity": 1}`, "either twice"},
		{`{"id": "either", "quantity": 1}`, miss},
	})
	if err := stop(); err != nil {
		t.Error(err)
	}

	fixture := filepath.Join(moduleRoot(t), "stubformat/testdata/gripmock/unary.yaml")
	out, data := convertGripmock(t, protos, fixture)
	if !bytes.Contains(data, []byte("unordered: [a, b, c, d, e, f, a]")) {
		t.Errorf("the converted file does not write ignoreArrayOrder as unordered:\n%s", data)
	}
	for _, stubs := range []string{fixture, out} {
		addr, _, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--proto", protos, "--stubs", stubs)
		conn := dial(t, addr, nil)
		checkNames(t, stubs, conn, name, []nameCase{
			{`{"id": "unordered-7", "tags": ["f", "a", "e", "a", "d", "c", "b"]}`, "seven in any order"},
			{`{"id": "unordered-7", "tags": ["f", "a", "e", "b", "d", "c", "b"]}`, "NotFound"},
			{`{"id": "mixed-patterns", "tags": ["b-x", "a-12"]}`, "one a and one b"},
			{`{"id": "labelled", "labels": {"env": "prod", "team": "web"}}`, "in prod"},
			{`{"id": "labelled", "labels": {"env": "dev"}}`, "NotFound"},
			{`{"id": "shared", "userId": "b"}`, "shared count"},
			{`{"id": "shared", "userId": "a"}`, "shared count"},
			{`{"id": "shared", "userId": "b"}`, "NotFound"},
		})
		if err := stop(); err != nil {
			t.Error(err)
		}
	}
}

// convertGripmock converts one gripmock file with the protos given, as a
// user would, and gives the folder written and the converted file's text.
func convertGripmock(t *testing.T, protos, fixture string) (string, []byte) {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"convert", "--from", "gripmock", "--proto", protos, "--out", out, fixture}, &stdout, &stderr); err != nil {
		t.Fatalf("convert: %v\n%s", err, stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(out, strings.TrimSuffix(filepath.Base(fixture), filepath.Ext(fixture))+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return out, data
}

// nameCase is a GetItem request and the name (or status code) it gets.
type nameCase struct{ req, want string }

// checkNames calls GetItem on conn with each case's request.
func checkNames(t *testing.T, where string, conn *grpc.ClientConn, name func(*grpc.ClientConn, string) string, cases []nameCase) {
	t.Helper()
	for _, c := range cases {
		if got := name(conn, c.req); got != c.want {
			t.Errorf("%s: GetItem(%s) = %s, want %s", where, c.req, got, c.want)
		}
	}
}

// shopMethod is a shop method's descriptor, parsed from its .proto.
func shopMethod(t *testing.T, name string) protoreflect.MethodDescriptor {
	t.Helper()
	protos := filepath.Join(moduleRoot(t), "stubformat/testdata/protos")
	resolver, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protos}, "shop/v1/shop.proto"))
	if err != nil {
		t.Fatal(err)
	}
	defer resolver.Close()
	md, err := resolver.Method(name)
	if err != nil {
		t.Fatal(err)
	}
	return md
}
