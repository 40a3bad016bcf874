package gripmock

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// TestChunkedReadIsTheSerialOne: a big file read by readers of chunks in
// parallel gives the stubs, problems and bidi rules (gathered across
// chunks into one stub per method) one reader gives, in the same order;
// with aliases too, to a node of the same chunk or of another.
func TestChunkedReadIsTheSerialOne(t *testing.T) {
	srv, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{"../testdata/protos"}, "shop/v1/shop.proto"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, aliases := range []bool{false, true} {
		chunkedIsSerial(t, srv, aliases)
	}
}

func chunkedIsSerial(t *testing.T, srv *mockserver.Server, aliases bool) {
	var b strings.Builder
	for i := range 1500 {
		switch {
		case aliases && i == 2:
			fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: GetItem\n  input: {equals: {id: shared}}\n  output: &shared {data: {name: \"{{ upper .Request.id }}\"}}\n")
			continue
		case aliases && (i == 7 || i == 1202):
			fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: GetItem\n  input: {equals: {id: s%d}}\n  output: *shared\n", i)
			continue
		}
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: Chat\n  input: {equals: {text: \"q%d\"}}\n  output: {data: {text: \"a%d\"}}\n", i, i)
		case 1:
			fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: GetItem\n  inptu: {equals: {id: x}}\n  output: {data: {name: n}}\n") // a problem
		default:
			fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: GetItem\n  priority: %d\n  input: {matches: {id: \"^i%d$\"}}\n  output: {data: {name: \"{{ upper .Request.id }}\"}}\n", i%3, i)
		}
	}
	read := func() string {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(b.String()), &root); err != nil {
			t.Fatal(err)
		}
		res := Read("big.yaml", &root, srv)
		var out strings.Builder
		for _, s := range res.Stubs {
			text, err := yaml.Marshal(s.Node)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "%d %s %d\n%s", s.Line, s.Method, s.Order, text)
		}
		for _, p := range res.Problems {
			fmt.Fprintf(&out, "problem %d %s %s\n", p.Line, p.Construct, p.Reason)
		}
		return out.String()
	}
	chunked := read()
	defer func(n int) { chunkItems = n }(chunkItems)
	chunkItems = 1 << 30
	serial := read()
	if chunked != serial {
		t.Fatalf("chunked read differs from the serial one (aliases: %v)", aliases)
	}
	for _, id := range []string{"s7", "s1202"} {
		if want := "id: " + id + "\nresponse: {name: \"{{upper .Request.id}}\"}"; aliases && !strings.Contains(serial, want) {
			i := strings.Index(serial, "id: "+id)
			t.Fatalf("want the stub for %s to answer the aliased output:\n%q", id, serial[max(0, i-100):i+200])
		}
	}
	if !strings.Contains(serial, "problem") || strings.Count(serial, "forEach") != 1 {
		i := strings.Index(serial, "Chat")
		t.Fatalf("the file should give problems and one bidi stub of 300 rules:\n%.1500s", serial[max(0, i-200):])
	}
}
