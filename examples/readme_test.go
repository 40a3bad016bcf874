package examples_test

// The README's Go snippets, each run here (or in examples/dynamic) as
// written; TestREADMESnippetsAreRun fails when a snippet and its copy part.

import (
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
	"github.com/grpcdouble/grpcdouble/replay"
)

var update = flag.Bool("update", false, "re-record testdata/routeguide.cassette from liveRouteGuide")

// The README's cassette, recorded from liveRouteGuide (go test ./examples
// -run TestREADMECassette -update).
const readmeCassette = "testdata/routeguide.cassette"

var f1, f2 = &pb.Feature{Name: "f1"}, &pb.Feature{Name: "f2"}

func reply(s string) *pb.RouteNote { return &pb.RouteNote{Message: s + "!"} }

// useRouteGuide is the code under test of the README's first snippet.
func useRouteGuide(t *testing.T, client pb.RouteGuideClient) {
	t.Helper()
	ctx := metadata.AppendToOutgoingContext(testContext(t), "authorization", "Bearer t")
	var trailer metadata.MD
	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1}, grpc.Trailer(&trailer))
	require.NoError(t, err)
	assert.Equal(t, "x", f.GetName())
	assert.Equal(t, []string{"v"}, trailer.Get("k"))

	list, err := client.ListFeatures(ctx, &pb.Rectangle{})
	require.NoError(t, err)
	var names []string
	for {
		f, err := list.Recv()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, f.GetName())
	}
	assert.Equal(t, []string{"f1", "f2"}, names)

	chat, err := client.RouteChat(ctx)
	require.NoError(t, err)
	for _, s := range []string{"a", "b"} {
		require.NoError(t, chat.Send(note(s)))
		got, err := chat.Recv()
		require.NoError(t, err)
		assert.Equal(t, reply(strings.ToUpper(s)).GetMessage(), got.GetMessage())
	}
	require.NoError(t, chat.CloseSend())
	_, err = chat.Recv()
	assert.Equal(t, io.EOF, err)
}

func TestGetFeature(t *testing.T) {
	m := expect.New(t) // at cleanup: every expectation met, no unexpected call
	m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequest(&pb.Point{Latitude: 1}).
		WithMetadata("authorization", "Bearer t").
		Return(&pb.Feature{Name: "x"}).
		ReturnTrailer("k", "v")
	m.ServerStream("/routeguide.RouteGuide/ListFeatures").Send(f1, f2).ReturnCode(codes.OK)
	m.Bidi("/routeguide.RouteGuide/RouteChat").
		Recv(note("a")).Send(reply("A")).
		Recv(note("b")).Send(reply("B"))

	srv := mockserver.Start(t, m) // bufconn; services found from the methods used
	client := pb.NewRouteGuideClient(srv.ClientConn())
	useRouteGuide(t, client) // the code under test
	calls := srv.Calls()     // method, metadata, messages in order, headers, trailers, status, deadline
	require.Len(t, calls, 3)
}

// startLive serves liveRouteGuide on loopback TCP and returns its address.
func startLive(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	live := grpc.NewServer()
	pb.RegisterRouteGuideServer(live, liveRouteGuide{})
	served := make(chan struct{})
	go func() { defer close(served); _ = live.Serve(lis) }()
	t.Cleanup(func() { live.Stop(); <-served })
	return lis.Addr().String()
}

// The cassette the README's record and verify snippets use. With -update
// it is recorded again from liveRouteGuide.
func TestREADMECassette(t *testing.T) {
	if *update {
		t.Setenv(record.EnvMode, "all")
		conn := record.Connect(t, readmeCassette,
			record.Upstream(startLive(t), grpc.WithTransportCredentials(insecure.NewCredentials())))
		_, err := pb.NewRouteGuideClient(conn).GetFeature(testContext(t), &pb.Point{Latitude: 7})
		require.NoError(t, err)
		return
	}
	_, err := os.Stat(readmeCassette)
	require.NoError(t, err, "record it with: go test ./examples -run TestREADMECassette -update")
}

func TestREADMERecordAndReplay(t *testing.T) {
	if *update {
		t.Skip("re-recording the cassette")
	}
	t.Setenv(record.EnvMode, "none") // the README's server at localhost:50051 is not here: replay
	conn := record.Connect(t, "testdata/routeguide.cassette",
		record.Upstream("localhost:50051", grpc.WithTransportCredentials(insecure.NewCredentials())))
	client := pb.NewRouteGuideClient(conn)

	f, err := client.GetFeature(testContext(t), &pb.Point{Latitude: 7})
	require.NoError(t, err)
	assert.Equal(t, "peak 7", f.GetName())
}

func TestREADMEVerify(t *testing.T) {
	if *update {
		t.Skip("re-recording the cassette")
	}
	t.Setenv("STAGING_ADDR", startLive(t))
	t.Setenv("STAGING_TOKEN", "t")
	creds := grpc.WithTransportCredentials(insecure.NewCredentials())

	conn, _ := grpc.NewClient(os.Getenv("STAGING_ADDR"), creds)
	replay.Verify(t, "testdata/routeguide.cassette", conn,
		replay.SetMetadata("authorization", "Bearer "+os.Getenv("STAGING_TOKEN")),
		replay.IgnoreField("routeguide.Feature.observed_at"))

	require.NoError(t, conn.Close())
}

// Every Go snippet of the README is in one of these tests, line for line.
func TestREADMESnippetsAreRun(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	var sources []string
	for _, pat := range []string{"*_test.go", "dynamic/*_test.go"} {
		files, err := filepath.Glob(pat)
		require.NoError(t, err)
		for _, f := range files {
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			sources = append(sources, "\n"+trimLines(string(src))+"\n")
		}
	}
	blocks := strings.Split(string(readme), "```go\n")[1:]
	require.GreaterOrEqual(t, len(blocks), 4)
	for _, b := range blocks {
		snippet, _, _ := strings.Cut(b, "```")
		want := "\n" + trimLines(snippet) + "\n"
		found := false
		for _, src := range sources {
			found = found || strings.Contains(src, want)
		}
		assert.True(t, found, "this README snippet is in no example test (copy it into examples/readme_test.go):\n%s", snippet)
	}
}

// trimLines drops each line's indentation, so a snippet matches its copy
// inside a function.
func trimLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}
