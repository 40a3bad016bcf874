package stubformat_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat"
)

// loadedFor loads stubs against a server of its own (closed at once): a
// stub is compiled at load for that server's descriptors, and a Mock bound
// to another server must compile it again.
func loadedFor(t *testing.T, load func(mockserver.Methods) ([]expect.Stub, error)) []expect.Stub {
	t.Helper()
	srv, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	stubs, err := load(srv)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return stubs
}

// A translated stub keeps no nodes once compiled; a Mock bound to another
// server (its own descriptors, from the same .proto) compiles it again from
// its file translated anew, ranked across files as at load, with the values
// computed at load as they were: it answers as the stub loaded for it does.
func TestForeignStubsCompiledAgainForAnotherServer(t *testing.T) {
	stubs := loadedFor(t, func(r mockserver.Methods) ([]expect.Stub, error) {
		return stubformat.Load(r, stubformat.Auto, "testdata/gripmock/unary.yaml", "testdata/gripmock/streams.json",
			"testdata/gripmock/loadtime.yaml")
	})
	d := serveWith(t, func(mockserver.Methods) ([]expect.Stub, error) { return stubs, nil })
	runCalls(t, d, gripmockUnaryCalls)
	runCalls(t, d, gripmockStreamCalls)
	runCalls(t, d, loadTimeCalls)
	stubs = loadedFor(t, func(r mockserver.Methods) ([]expect.Stub, error) {
		return stubformat.Load(r, stubformat.Auto, "testdata/ranked")
	})
	runCalls(t, serveWith(t, func(mockserver.Methods) ([]expect.Stub, error) { return stubs, nil }), []call{
		{name: "ranked across files: specific", do: unary(getItem, `{"id": "item-1"}`), want: ok(`{"name":"specific"}`)},
		{name: "ranked across files: priority", do: unary(getItem, `{"id": "item-2"}`), want: ok(`{"name":"high"}`)},
		{name: "ranked across files: fallback", do: unary(getItem, `{"id": "other"}`), want: ok(`{"name":"fallback"}`)},
	})

	// A file given to Parse (the admin API's body), and WireMock's (with
	// global templating too).
	data, err := os.ReadFile("testdata/gripmock/unary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stubs = loadedFor(t, func(r mockserver.Methods) ([]expect.Stub, error) {
		return stubformat.Parse("unary.yaml", data, stubformat.Auto, r)
	})
	runCalls(t, serveWith(t, func(mockserver.Methods) ([]expect.Stub, error) { return stubs, nil }), gripmockUnaryCalls)
	stubs = loadedFor(t, func(r mockserver.Methods) ([]expect.Stub, error) {
		return stubformat.Load(r, stubformat.Auto, "testdata/wiremock")
	})
	runCalls(t, serveWith(t, func(mockserver.Methods) ([]expect.Stub, error) { return stubs, nil }), wiremockCalls)
	stubs = loadedFor(t, func(r mockserver.Methods) ([]expect.Stub, error) {
		return stubformat.Load(r, stubformat.Auto.WithGlobalTemplating(), "testdata/wiremock-global")
	})
	runCalls(t, serveWith(t, func(mockserver.Methods) ([]expect.Stub, error) { return stubs, nil }), wiremockGlobalCalls)
}

// A big file's stubs are compiled in chunks: each compiled again is the
// one at its own place in the file (of two stubs alike, the first answers).
func TestBigGripmockFileCompiledAgain(t *testing.T) {
	const n = 1500
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: GetItem\n  input:\n    equals:\n      id: item-%d\n  output:\n    data:\n      name: item %d\n      price: %d\n", i/2, i, i+1)
	}
	file := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var calls []call
	for _, i := range []int{0, 127, 128, 350, n/2 - 1} {
		calls = append(calls, call{name: fmt.Sprintf("stub %d", 2*i), do: unary(getItem, fmt.Sprintf(`{"id": "item-%d"}`, i)),
			want: ok(fmt.Sprintf(`{"name":"item %d","price":"%d"}`, 2*i, 2*i+1))})
	}
	runCalls(t, serve(t, stubformat.Auto, file), calls) // loaded for the server that serves them
	stubs := loadedFor(t, func(r mockserver.Methods) ([]expect.Stub, error) { return stubformat.Load(r, stubformat.Auto, file) })
	runCalls(t, serveWith(t, func(mockserver.Methods) ([]expect.Stub, error) { return stubs, nil }), calls)
}

// A translated stub compiled again for another server that cannot take it
// fails as it would at load there: naming the foreign file's line.
func TestGripmockStubCompiledAgainNamesItsLine(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "stubs.yaml")
	stub := "- service: shop.v1.ShopService\n  method: GetItem\n  input:\n    equals:\n      id: a\n  output:\n    data:\n      name: a\n      price: 3\n"
	if err := os.WriteFile(file, []byte(stub), 0o644); err != nil {
		t.Fatal(err)
	}
	stubs := loadedFor(t, func(r mockserver.Methods) ([]expect.Stub, error) { return stubformat.Load(r, stubformat.Auto, file) })

	// Another server's shop.v1 has no price.
	proto, err := os.ReadFile(filepath.Join(protoDir, shopProto))
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "protos")
	if err := os.MkdirAll(filepath.Join(other, "shop/v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, shopProto), []byte(strings.Replace(string(proto), "int64 price = 3;", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	m := expect.NewMock()
	mockserver.Start(t, m, mockserver.WithProtoFiles([]string{other}, shopProto))
	_, err = m.AddStubs(stubs...)
	want := file + ":9: response: "
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "price") {
		t.Fatalf("AddStubs: %v, want an error naming %q and the field price", err, want)
	}
	t.Log(err)
}

// Translated stubs keep what answering needs, not their nodes, as stubs
// of a native file do (expect's TestLoadedStubsKeepNoYAML): a count of
// bytes no load on the machine changes.
func TestGripmockStubsKeepNoNodes(t *testing.T) {
	const n = 2000
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: GetItem\n  input:\n    equals:\n      id: item-%d\n  output:\n    data:\n      name: item %d\n      price: %d\n", i, i, i)
	}
	file := filepath.Join(t.TempDir(), "many.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sessions := expect.NewSessions()
	srv, err := mockserver.New(sessions, mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var heap [2]runtime.MemStats // live heap before the load, and once the stubs are in
	runtime.GC()
	runtime.ReadMemStats(&heap[0])
	stubs, err := stubformat.Load(srv, stubformat.Auto, file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.ReplaceFiles(stubs); err != nil {
		t.Fatal(err)
	}
	stubs = nil
	runtime.GC()
	runtime.ReadMemStats(&heap[1])
	kept := int64(heap[1].HeapAlloc) - int64(heap[0].HeapAlloc)
	runtime.KeepAlive(sessions)
	perStub := kept / n
	t.Logf("%d stubs keep %d KB of heap: %d bytes each", n, kept>>10, perStub)
	if got := len(sessions.Global().Mock().Stubs()); got != n {
		t.Fatalf("%d stubs, want %d", got, n)
	}
	if perStub > 4<<10 {
		t.Fatalf("%d bytes of heap kept per stub, want at most 4 KB", perStub)
	}
}

// A big gripmock file is compiled chunk by chunk as it is translated: its
// stubs still rank as gripmock ranks them across chunks (priority, then
// the file's order), its bidi stubs of every chunk become one method's
// rules, a template run at load gives its value, and a Mock bound to
// another server compiles each stub again from its own place in the file.
// Read with another foreign file (the whole-file path) it answers alike.
func TestBigGripmockFileChunked(t *testing.T) {
	const n = 1500
	type stub struct{ id, priority, price int }
	var b strings.Builder
	var stubs []stub // the GetItem ones, by line
	for i := range n {
		if i%10 == 9 {
			fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: Chat\n  input:\n    equals:\n      text: q%d\n  output:\n    data:\n      text: a%d\n", i, i)
			continue
		}
		price := fmt.Sprint(i)
		if i == 602 {
			price = "{{ add 600 2 }}" // run at load
		}
		s := stub{i / 3, (i * 7) % 5, i}
		stubs = append(stubs, s)
		fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: GetItem\n  priority: %d\n  input:\n    equals:\n      id: item-%d\n  output:\n    data:\n      name: item %d\n      price: %s\n", s.priority, s.id, i, price)
	}
	dir := t.TempDir()
	file, other := filepath.Join(dir, "big.yaml"), filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte("- service: shop.v1.ShopService\n  method: ListItems\n  input: {}\n  output:\n    stream: [{name: listed}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var calls []call
	for _, id := range []int{0, 85, 86, 170, 200, 499} { // 85 and 170 straddle chunks
		best := stub{priority: -1}
		for _, s := range stubs {
			if s.id == id && s.priority > best.priority {
				best = s
			}
		}
		calls = append(calls, call{name: fmt.Sprintf("item-%d", id), do: unary(getItem, fmt.Sprintf(`{"id": "item-%d"}`, id)),
			want: ok(fmt.Sprintf(`{"name":"item %d","price":"%d"}`, best.price, best.price))})
	}
	calls = append(calls,
		call{name: "the template run at load", do: unary(getItem, `{"id": "item-200"}`), want: ok(`{"name":"item 602","price":"602"}`)},
		call{name: "bidi rules of every chunk", do: pingPong(chat, `{"text": "q9"}`, `{"text": "q1499"}`, `{"text": "q259"}`),
			want: ok(`{"text":"a9"}`, `{"text":"a1499"}`, `{"text":"a259"}`)})
	runCalls(t, serve(t, stubformat.Auto, file), calls)
	runCalls(t, serve(t, stubformat.Gripmock, file), calls)
	runCalls(t, serve(t, stubformat.Auto, file, other), calls) // read whole
	loaded := loadedFor(t, func(r mockserver.Methods) ([]expect.Stub, error) { return stubformat.Load(r, stubformat.Auto, file) })
	runCalls(t, serveWith(t, func(mockserver.Methods) ([]expect.Stub, error) { return loaded, nil }), calls)
}

// Stubs of one method ranked across files get priorities when converted,
// each with a comment saying why it ranks there.
func TestRankedAcrossFilesConvertedWithTheirReason(t *testing.T) {
	dir := convertTo(t, stubformat.Gripmock, "testdata/ranked")
	data, err := os.ReadFile(filepath.Join(dir, "b-specific.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"priority: 3 # gripmock ranks it by fields matched (1), then priority (9)\n",
		"priority: 1 # gripmock ranks it by fields matched (1), then priority (0)\n",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("converted file lacks %q:\n%s", want, data)
		}
	}
}

// A big gripmock file with a bad stub fails as a small one does, naming
// the bad stub's line and construct, though its chunks are compiled as
// they are read; an alias across chunks is followed as yaml follows it.
func TestBigGripmockFileWithAProblemOrAnAlias(t *testing.T) {
	stub := "- service: shop.v1.ShopService\n  method: GetItem\n  input:\n    equals:\n      id: item-%d\n  output:\n    data:\n      name: item %d\n"
	write := func(bad, alias int) string {
		var b strings.Builder
		for i := range 1500 {
			switch i {
			case bad:
				fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: GetItem\n  input:\n    equals:\n      id: item-%d\n  outptu:\n    data:\n      name: item %d\n", i, i)
			case 3:
				fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: GetItem\n  input:\n    equals:\n      id: item-%d\n  output: &out\n    data:\n      name: shared\n", i)
			case alias:
				fmt.Fprintf(&b, "- service: shop.v1.ShopService\n  method: GetItem\n  input:\n    equals:\n      id: item-%d\n  output: *out\n", i)
			default:
				fmt.Fprintf(&b, stub, i, i)
			}
		}
		file := filepath.Join(t.TempDir(), "big.yaml")
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}
	srv, err := mockserver.New(expect.NewMock(), mockserver.WithProtoFiles([]string{protoDir}, shopProto))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	file := write(1000, -1)
	_, err = stubformat.Load(srv, stubformat.Auto, file)
	// Stub 1000 starts on line 8000+1; its sixth line holds the bad key.
	if want := file + ":8006: outptu: unknown key in a gripmock stub"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("load: %v, want an error naming %q", err, want)
	}
	runCalls(t, serve(t, stubformat.Auto, write(-1, 1200)), []call{
		{name: "the alias in another chunk", do: unary(getItem, `{"id": "item-1200"}`), want: ok(`{"name":"shared"}`)},
		{name: "a stub beside it", do: unary(getItem, `{"id": "item-1201"}`), want: ok(`{"name":"item 1201"}`)},
	})
}
