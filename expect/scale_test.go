package expect_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// stubsFile writes n unary stubs, each for its own request, as a person
// would write them.
func stubsFile(n int) []byte {
	var b strings.Builder
	b.WriteString("stubs:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - method: routeguide.RouteGuide/GetFeature\n    request:\n      equal: {latitude: %d, longitude: %d}\n    response:\n      name: feature %d\n      location: {latitude: %d, longitude: %d}\n", i, 7*i, i, i, 7*i)
	}
	return []byte(b.String())
}

// heapLive is the bytes of live heap objects, after a collection.
func heapLive() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Loaded stubs keep what answering needs, not their YAML: 100,000 stubs
// holding their node trees and documents took 1.5 GB. The bound is on the
// heap each stub keeps once parsed and added (the file's own bytes aside),
// a count of bytes no load on the machine changes: it was 9,030 bytes per
// stub, and is about 1,400 (with the generated Go types; dynamicpb
// messages, as grpcdouble serve has, take more).
func TestLoadedStubsKeepNoYAML(t *testing.T) {
	const n = 2000
	sessions := expect.NewSessions()
	srv, err := mockserver.New(sessions, mockserver.WithProtoFiles([]string{"../examples/routeguide"}, "routeguide.proto"))
	require.NoError(t, err)
	defer srv.Close()
	data := stubsFile(n)
	before := heapLive()
	stubs, err := expect.ParseStubs("many.yaml", data, srv)
	require.NoError(t, err)
	_, err = sessions.ReplaceFiles(stubs)
	require.NoError(t, err)
	stubs, data = nil, nil
	kept := int64(heapLive()) - int64(before)
	runtime.KeepAlive(sessions)
	perStub := kept / n
	t.Logf("%d stubs keep %d KB of heap: %d bytes each", n, kept>>10, perStub)
	require.Len(t, sessions.Global().Mock().Stubs(), n)
	require.Less(t, perStub, int64(4<<10), "bytes of heap kept per stub")
}

// A stub is compiled once, at parse, for the server it was parsed against;
// a Mock bound to a server with another send limit compiles it again from
// its file (which the stub keeps, not its YAML), with the same file:line.
func TestStubCompiledAgainForAnotherServer(t *testing.T) {
	big, err := mockserver.New(expect.NewMock(), mockserver.WithMaxMessageSize(1<<20), mockserver.WithServices("routeguide.RouteGuide"))
	require.NoError(t, err)
	defer big.Close()
	file := []byte("# padded\n- method: /routeguide.RouteGuide/GetFeature\n  response: {name: a}\n  padTo: 2000\n")
	stubs, err := expect.ParseStubs("s.yaml", file, big)
	require.NoError(t, err)

	m := expect.NewMock()
	small, err := mockserver.New(m, mockserver.WithMaxMessageSize(1024), mockserver.WithServices("routeguide.RouteGuide"))
	require.NoError(t, err)
	defer small.Close()
	_, err = m.AddStubs(stubs...)
	require.ErrorContains(t, err, "s.yaml:4: padTo: 2000 bytes is above the server's maximum send size plus one (1025 bytes)")

	// Parsed without a server, it answers on one: compiled again, for it.
	stubs, err = expect.ParseStubs("s.yaml", file, nil)
	require.NoError(t, err)
	m2 := expect.NewMock()
	_, err = m2.AddStubs(stubs...)
	require.NoError(t, err)
	srv := mockserver.Start(t, m2)
	f, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(t.Context(), &pb.Point{})
	require.NoError(t, err)
	require.Equal(t, "a", f.GetName())
	require.GreaterOrEqual(t, proto.Size(f), 2000-8)
}

// Stub files are decoded from the tree they are parsed into, and a key the
// format does not know is refused at any depth with yaml's own message:
// the file and line, the key, and where it was.
func TestUnknownKeysFoundAtEveryDepth(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"- method: /routeguide.RouteGuide/GetFeature\n  request: {equal: {}, partail: {}}\n  response: {}\n", "s.yaml:2: field partail not found in type message match"},
		{"- method: /routeguide.RouteGuide/RouteChat\n  steps:\n    - recv: {any: true}\n      sned: {}\n", "s.yaml:4: field sned not found in type step"},
		{"stubs:\n  - method: /routeguide.RouteGuide/GetFeature\n    status: {code: NOT_FOUND, mesage: x}\n", "s.yaml:3: field mesage not found in type status"},
		{"- method: /routeguide.RouteGuide/RouteChat\n  steps:\n    - forEach:\n        - {recv: {any: true}, sent: {}}\n", "s.yaml:4: field sent not found in type forEach rule"},
		{"stubs: []\nother: 1\n", "s.yaml:2: field other not found in type stub file"},
		{"method: /routeguide.RouteGuide/GetFeature\nresponse: {}\ntimes: 1\nextra: {a: 1}\n", "s.yaml:4: field extra not found in type stub"},
	} {
		_, err := expect.ParseStubs("s.yaml", []byte(tc.file), nil)
		require.Error(t, err, tc.file)
		assert.Contains(t, err.Error(), tc.want, tc.file)
	}
	// Anchors and merge keys still work: such a file is decoded whole.
	stubs, err := expect.ParseStubs("s.yaml", []byte("- &a\n  method: /routeguide.RouteGuide/GetFeature\n  response: {name: x}\n- <<: *a\n  id: two\n"), nil)
	require.NoError(t, err)
	require.Len(t, stubs, 2)
	assert.Equal(t, "two", stubs[1].ID)
}
