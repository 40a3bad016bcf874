package expect_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/internal/boundedfile"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// A pad above the server's maximum send size plus one is refused before
// any call, wherever it comes from: the Go DSL or a stub file, checked at
// Bind when the server was not known at declaration. Allocating it on the
// first call took the process down.
func TestPadAboveServerLimitRefusedAtBind(t *testing.T) {
	limit := mockserver.DefaultMaxSendSize
	cases := []struct {
		name    string
		declare func(m *expect.Mock)
		want    string
	}{
		{"PadTo", func(m *expect.Mock) {
			m.Unary(getFeature).Return(&pb.Feature{Name: "a"}).PadTo(100_000_000_000)
		}, "PadTo: size 100000000000: above the server's maximum send size plus one (67108865 bytes)"},
		{"SendOversized", func(m *expect.Mock) {
			m.ServerStream(listFeatures).SendOversized(&pb.Feature{Name: "a"}, limit+2)
		}, "SendOversized: size 67108866: above the server's maximum send size plus one"},
		{"stub padTo", func(m *expect.Mock) {
			stubs, err := expect.ParseStubs("pad.yaml", []byte("- {method: /routeguide.RouteGuide/GetFeature, response: {name: a}, padTo: 100000000000}\n"), nil)
			require.NoError(t, err) // no server known yet: Bind checks
			_, err = m.AddStubs(stubs...)
			require.NoError(t, err)
		}, "pad.yaml:1: PadTo: size 100000000000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := expect.NewMock()
			tc.declare(m)
			_, err := mockserver.New(m)
			require.Error(t, err)
			assert.True(t, errors.Is(err, expect.ErrSetup), "%v", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// At the limit plus one, it is a test of the server's own limit.
	m := expect.NewMock()
	m.Unary(getFeature).Return(&pb.Feature{Name: "a"}).PadTo(limit + 1)
	srv, err := mockserver.New(m)
	require.NoError(t, err)
	require.NoError(t, srv.Close())
}

// A server whose limit is raised takes larger pads: the bound is the
// server's, not a constant.
func TestPadBoundFollowsServerLimit(t *testing.T) {
	m := expect.NewMock()
	m.Unary(getFeature).Return(&pb.Feature{Name: "a"}).PadTo(100 << 20)
	srv, err := mockserver.New(m, mockserver.WithMaxMessageSize(128<<20))
	require.NoError(t, err)
	require.NoError(t, srv.Close())

	// Bound to that server, a stub is checked at parse, with its line.
	srv2, err := mockserver.New(expect.NewMock(), mockserver.WithMaxMessageSize(1024), mockserver.WithServices("routeguide.RouteGuide"))
	require.NoError(t, err)
	defer srv2.Close()
	_, err = expect.ParseStubs("s.yaml", []byte("- method: /routeguide.RouteGuide/GetFeature\n  response: {name: a}\n  padTo: 2000\n"), srv2)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "s.yaml:3: padTo: 2000 bytes is above the server's maximum send size plus one (1025 bytes)")
}

// Counts and durations in stub files are bounded too.
func TestStubCountsAndDelaysBounded(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"- method: /routeguide.RouteGuide/RecordRoute\n  requests: {count: -1}\n  response: {}\n", "b.yaml:2: requests.count: want 0 or more messages, got -1"},
		{"- method: /routeguide.RouteGuide/GetFeature\n  delay: 2000h\n  response: {}\n", "b.yaml:2: delay: 2000h0m0s is longer than the longest allowed, 1h0m0s"},
		{"- method: /routeguide.RouteGuide/ListFeatures\n  pace: 90m\n", "b.yaml:2: pace: 1h30m0s is longer than the longest allowed, 1h0m0s"},
		{"- method: /routeguide.RouteGuide/ListFeatures\n  steps:\n    - delay: 5h\n", "b.yaml:3: steps[0].delay: 5h0m0s is longer than the longest allowed"},
	}
	for _, tc := range cases {
		_, err := expect.ParseStubs("b.yaml", []byte(tc.yaml), nil)
		if assert.Error(t, err, tc.yaml) {
			assert.True(t, errors.Is(err, expect.ErrStubFile))
			assert.True(t, strings.Contains(err.Error(), tc.want), "%v\nwant %q", err, tc.want)
		}
	}
}

// LoadStubs reads regular files only: /dev/zero was read until 2.9 GB.
func TestLoadStubsRefusesSpecialFiles(t *testing.T) {
	_, err := expect.LoadStubs(nil, "/dev/zero")
	require.Error(t, err)
	assert.True(t, errors.Is(err, expect.ErrStubFile), "%v", err)
	assert.True(t, errors.Is(err, boundedfile.ErrNotRegular), "%v", err)
	assert.Contains(t, err.Error(), "/dev/zero: not a regular file (it is a character device)")
}

// A stubs folder skips the files editors leave beside the one being
// edited, dangling symbolic links (Emacs's locks) among them.
func TestLoadStubsSkipsEditorFiles(t *testing.T) {
	dir := t.TempDir()
	good := "- {method: /routeguide.RouteGuide/GetFeature, response: {name: a}}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(good), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml~"), []byte("broken: ["), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".a.yaml.swp"), []byte("broken: ["), 0o644))
	require.NoError(t, os.Symlink("user@host.1234:1700000000", filepath.Join(dir, ".#a.yaml")))
	files, err := expect.StubFiles(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(dir, "a.yaml")}, files)
	stubs, err := expect.LoadStubs(nil, dir)
	require.NoError(t, err)
	assert.Len(t, stubs, 1)
}

// payloads signals once the server's handlers have received n messages.
type payloads struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (p *payloads) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (p *payloads) HandleRPC(_ context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.InPayload); ok && p.n.Add(1) == p.want {
		close(p.done)
	}
}
func (p *payloads) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (p *payloads) HandleConn(context.Context, stats.ConnStats)                       {}

// A recvAll that matches nothing, or only counts, keeps no message: it
// kept every one, and a 300 MB stream took the server to 524 MB.
func TestRecvAllKeepsOnlyWhatItMatches(t *testing.T) {
	const (
		msgs    = 48
		size    = 1 << 20
		maxHeap = 30 << 20 // the stream is 48 MiB
		// streamTimeout bounds the stream: 48 MiB through bufconn under
		// the race detector on a shared machine.
		streamTimeout = 60 * time.Second
	)
	for _, tc := range []struct {
		name    string
		declare func(b *expect.BidiExpectation) *expect.BidiExpectation
	}{
		{"RecvAll", func(b *expect.BidiExpectation) *expect.BidiExpectation { return b.RecvAll() }},
		{"Count", func(b *expect.BidiExpectation) *expect.BidiExpectation { return b.RecvAllMatching(expect.Count(msgs)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := expect.New(t, expect.DiscardCalls())
			tc.declare(m.Bidi(routeChat)).Send(note("done"))
			p := &payloads{want: msgs, done: make(chan struct{})}
			srv := mockserver.Start(t, m, mockserver.WithoutJournal(), mockserver.WithServerOptions(grpc.StatsHandler(p)))
			ctx, cancel := context.WithTimeout(context.Background(), streamTimeout)
			defer cancel()
			s, err := pb.NewRouteGuideClient(srv.ClientConn()).RouteChat(ctx)
			require.NoError(t, err)
			big := &pb.RouteNote{Message: strings.Repeat("m", size)}
			for range msgs {
				require.NoError(t, s.Send(big))
			}
			select {
			case <-p.done:
			case <-ctx.Done():
				t.Fatal("the server did not receive every message in time")
			}
			heap := heapInUse()
			t.Logf("heap in use with %d MiB received: %.1f MiB", msgs*size>>20, float64(heap)/(1<<20))
			assert.Less(t, heap, uint64(maxHeap))
			require.NoError(t, s.CloseSend())
			got, err := s.Recv()
			require.NoError(t, err)
			assert.Equal(t, "done", got.GetMessage())
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// A stub without an ID gets a number no stub has: stub 1 named itself "2",
// and stub 2 was refused as a duplicate of it.
func TestAutomaticIDNeverTaken(t *testing.T) {
	m := expect.NewMock()
	stubs, err := expect.ParseStubs("ids.yaml", []byte(`- {id: "2", method: /routeguide.RouteGuide/GetFeature, response: {name: a}}
- {method: /routeguide.RouteGuide/GetFeature, response: {name: b}}
- {method: /routeguide.RouteGuide/GetFeature, response: {name: c}}
`), nil)
	require.NoError(t, err)
	ids, err := m.AddStubs(stubs...)
	require.NoError(t, err)
	assert.Equal(t, []string{"2", "3", "4"}, ids)
	// One at a time too, and past IDs a Go expectation took.
	stubs, err = expect.ParseStubs("more.yaml", []byte("- {id: \"6\", method: /routeguide.RouteGuide/GetFeature, response: {name: d}}\n"), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
	// Every stub counts one number; "6" is taken, so the next is 7.
	assert.Equal(t, "7", m.Unary(getFeature).Return(&pb.Feature{}).ID())
	assert.Equal(t, "8", m.Unary(getFeature).Return(&pb.Feature{}).ID())
}

// AddStubs adds all or nothing: with the third a duplicate, it added the
// first two.
func TestAddStubsAllOrNothing(t *testing.T) {
	m := expect.NewMock()
	first, err := expect.ParseStubs("a.yaml", []byte("- {id: x, method: /routeguide.RouteGuide/GetFeature, response: {name: a}}\n"), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(first...)
	require.NoError(t, err)
	three, err := expect.ParseStubs("b.yaml", []byte(`- {id: y, method: /routeguide.RouteGuide/GetFeature, response: {name: b}}
- {method: /routeguide.RouteGuide/GetFeature, response: {name: c}}
- {id: x, method: /routeguide.RouteGuide/GetFeature, response: {name: d}}
`), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(three...)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `b.yaml:3: duplicate stub id "x" (first at a.yaml:1)`)
	assert.Len(t, m.Stubs(), 1, "nothing of the failed batch is added")
}

// IDs are URL path segments: ".", "a%2Fb" and "%00" were accepted, and
// could not be deleted by their own URL.
func TestStubIDCharset(t *testing.T) {
	for _, id := range []string{".", "a%2Fb", "%00", "a/b", "has space", "-lead", strings.Repeat("a", 129)} {
		_, err := expect.ParseStubs("ids.yaml", []byte("- method: /routeguide.RouteGuide/GetFeature\n  id: '"+id+"'\n  response: {}\n"), nil)
		if assert.Error(t, err, "id %q", id) {
			assert.True(t, errors.Is(err, expect.ErrStubFile))
			assert.Contains(t, err.Error(), "ids.yaml:2: id: ")
		}
	}
	for _, id := range []string{"feature-1-2", "a.b", "A_b:c", "_x", "7"} {
		_, err := expect.ParseStubs("ids.yaml", []byte("- method: /routeguide.RouteGuide/GetFeature\n  id: '"+id+"'\n  response: {}\n"), nil)
		assert.NoError(t, err, "id %q", id)
	}
}

// countingMatcher matches nothing and counts the diffs asked of it.
type countingMatcher struct{ diffs *atomic.Int64 }

func (countingMatcher) Match(proto.Message) bool { return false }
func (countingMatcher) String() string           { return "nothing" }
func (c countingMatcher) Diff(proto.Message) string {
	c.diffs.Add(1)
	return "(-want +got): everything"
}

// A miss diffs only the few closest expectations, chosen by counting what
// fails: it diffed every one (0.6 s of CPU per miss with 10,000 stubs).
// The nearest is still the closest.
func TestMissDiffsOnlyTheClosest(t *testing.T) {
	var diffs atomic.Int64
	m := expect.New(&quietTB{TB: t})
	for i := range 1000 {
		m.Unary(getFeature).WithMetadata("x-n", fmt.Sprint(i)).WithRequestMatching(countingMatcher{&diffs}).AnyTimes().Return(&pb.Feature{})
	}
	srv := mockserver.Start(t, m)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(metadata.AppendToOutgoingContext(ctx, "x-n", "500"), &pb.Point{})
	require.Equal(t, expect.NoMatchCode, status.Code(err))
	assert.LessOrEqual(t, diffs.Load(), int64(4), "diffs for one miss")
	ms := m.Unexpected()
	require.Len(t, ms, 1)
	assert.Contains(t, ms[0].Nearest, "expectation 501 ", "the one whose metadata matches")
	assert.Equal(t, []string{"request: (-want +got): everything"}, ms[0].Reasons)
}

// quietTB swallows the Mock's report of the unexpected call this test
// makes on purpose.
type quietTB struct{ testing.TB }

func (q *quietTB) Errorf(string, ...any) {}
