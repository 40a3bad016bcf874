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
