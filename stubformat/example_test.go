package stubformat_test

import (
	"fmt"

	"github.com/grpcdouble/grpcdouble/stubformat"
)

// Parse reads a gripmock stub as it is; the stub it gives is the native
// expectation expect serves.
func ExampleParse() {
	gripmockStub := []byte(`{
  "service": "shop.v1.ShopService",
  "method": "GetItem",
  "input": {"equals": {"id": "item-1"}},
  "output": {"data": {"name": "Blue mug"}}
}`)
	stubs, err := stubformat.Parse("item.json", gripmockStub, stubformat.Auto, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(stubs[0].Method, stubs[0].Source())
	// Output: /shop.v1.ShopService/GetItem item.json:1
}

// WithGlobalTemplating reads WireMock mappings as WireMock started with
// --global-response-templating: a mapping without the response-template
// transformer is rendered too.
func ExampleFormat_WithGlobalTemplating() {
	mapping := []byte(`{
  "request": {"urlPath": "/shop.v1.ShopService/GetItem", "method": "POST"},
  "response": {"jsonBody": {"name": "{{jsonPath request.body '$.id'}}"}}
}`)
	_, err := stubformat.Parse("item.json", mapping, stubformat.Auto, nil)
	fmt.Println(err != nil)
	stubs, err := stubformat.Parse("item.json", mapping, stubformat.Auto.WithGlobalTemplating(), nil)
	fmt.Println(len(stubs), err)
	// Output:
	// true
	// 1 <nil>
}
