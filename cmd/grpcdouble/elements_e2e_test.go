package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/grpcdouble/grpcdouble/expect"
)

// TestServeListElements: the binary serves native stubs testing a list's
// elements (someElement, with fields on a message element) and picking
// an element or a map's value in a path ([i], [-1], [key]), and takes them
// through the admin API.
func TestServeListElements(t *testing.T) {
	protos, name := shopItemNames(t)
	miss := expect.NoMatchCode.String()
	native := filepath.Join(t.TempDir(), "native.yaml")
	if err := os.WriteFile(native, []byte(`- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: some
      filters: {someElement: {fields: {category: toys, minPrice: {gte: 10}}}}
  response: {name: a toy from 10}
- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: picked
      filters[-1].category: last
      labels[env]: prod
  response: {name: picked}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", protos, "--stubs", native)
	conn := dial(t, addr, nil)
	checkNames(t, "native", conn, name, []nameCase{
		{`{"id": "some", "filters": [{"category": "mugs", "minPrice": 20}, {"category": "toys", "minPrice": 10}]}`, "a toy from 10"},
		{`{"id": "some", "filters": [{"category": "mugs", "minPrice": 20}, {"category": "toys", "minPrice": 9}]}`, miss},
		{`{"id": "picked", "filters": [{"category": "first"}, {"category": "last"}], "labels": {"env": "prod"}}`, "picked"},
		{`{"id": "picked", "filters": [{"category": "last"}, {"category": "first"}], "labels": {"env": "prod"}}`, miss},
		{`{"id": "picked", "filters": [{"category": "last"}], "labels": {"team": "prod"}}`, miss},
	})
	if code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: posted
      tags: {someElement: {regex: "^sale-[0-9]+$"}}
      tags[0]: new
  response: {name: posted}
- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: includes
      tags: {includes: [b, {prefix: a}]}
  response: {name: b and an a}
- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: no-sale
      tags: {not: {someElement: {prefix: sale-}}}
  response: {name: nothing on sale}
- method: /shop.v1.ShopService/GetItem
  request:
    fields:
      id: m-users
      userId: {gte: m, lt: n}
  response: {name: an m user}
`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs with someElement: %d", code)
	}
	checkNames(t, "after POST /stubs", conn, name, []nameCase{
		{`{"id": "posted", "tags": ["new", "x", "sale-20"]}`, "posted"},
		{`{"id": "posted", "tags": ["x", "new", "sale-20"]}`, miss},
		{`{"id": "posted", "tags": ["new", "sale-"]}`, miss},
		{`{"id": "includes", "tags": ["x", "ab", "b"]}`, "b and an a"},
		{`{"id": "includes", "tags": ["ab", "ac"]}`, miss},
		{`{"id": "no-sale", "tags": ["new", "x"]}`, "nothing on sale"},
		{`{"id": "no-sale"}`, "nothing on sale"},
		{`{"id": "no-sale", "tags": ["new", "sale-1"]}`, miss},
		{`{"id": "m-users", "userId": "mia"}`, "an m user"},
		{`{"id": "m-users", "userId": "nia"}`, miss},
	})
	if err := stop(); err != nil {
		t.Error(err)
	}
}
