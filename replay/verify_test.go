package replay_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/internal/verifytest"
	vpb "github.com/grpcdouble/grpcdouble/internal/verifytest/verifypb"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
	"github.com/grpcdouble/grpcdouble/replay"
)

// recordInventory records verifytest.Exercise's calls to the live service
// at addr into a new cassette and returns its path. Interaction #2 is
// GetItem b1.
func recordInventory(t *testing.T, addr string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "inventory.cassette")
	rec, err := record.Create(path, record.WithoutTiming())
	require.NoError(t, err)
	conn, err := grpc.NewClient(addr, append(rec.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	require.NoError(t, err)
	verifytest.Exercise(t, conn)
	require.NoError(t, conn.Close())
	require.NoError(t, rec.Close())
	return path
}

// live starts the verifytest service and returns it with a connection.
func live(t *testing.T) (*verifytest.Server, string, *grpc.ClientConn) {
	t.Helper()
	s := verifytest.New()
	addr := verifytest.Start(t, s)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return s, addr, conn
}

func check(t *testing.T, path string, conn grpc.ClientConnInterface, opts ...replay.CheckOption) *replay.Report {
	t.Helper()
	c, err := cassette.Load(path)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	rep, err := replay.Check(ctx, c, conn, opts...)
	require.NoError(t, err)
	return rep
}

func outcomes(rep *replay.Report) []string {
	var out []string
	for _, r := range rep.Results {
		out = append(out, fmt.Sprintf("%s %s", r.Method, r.Outcome))
	}
	return out
}

const inv = "/verifytest.v1.Inventory/"

var allMatch = []string{
	inv + "GetItem match", inv + "GetItem match", inv + "GetItem match",
	inv + "ListItems match", inv + "PriceTotal match", inv + "Lookup match",
	inv + "Reserve skipped",
}

func TestCheckAllKindsMatch(t *testing.T) {
	s, addr, conn := live(t)
	path := recordInventory(t, addr)
	rep := check(t, path, conn)
	assert.Equal(t, allMatch, outcomes(rep), "%s", rep)
	kinds := map[string]bool{}
	for _, r := range rep.Results {
		if r.Outcome == replay.Match {
			kinds[r.Kind] = true
		}
	}
	assert.Len(t, kinds, 4, "every RPC kind verified: %v", kinds)
	assert.Equal(t, 1, s.Reservations(), "Reserve has side effects and no idempotency option: only the recording called it")
	assert.Contains(t, rep.Results[6].Reason, "not marked idempotency_level NO_SIDE_EFFECTS or IDEMPOTENT")
	// The recorded token is [REDACTED]: never sent, and said so.
	assert.NotContains(t, s.Authorizations(), cassette.Redacted)
	assert.Contains(t, strings.Join(rep.Results[0].Notes, "\n"), `request metadata "authorization" was recorded as [REDACTED]`)
	assert.Equal(t, 0, rep.Count(replay.Drift))
}

func TestCheckReportsExactlyTheDrift(t *testing.T) {
	s, addr, conn := live(t)
	path := recordInventory(t, addr)
	s.SetName("b1", "pail")
	s.SetStock("b1", 3)

	rep := check(t, path, conn)
	drifted := rep.Drifted()
	require.Len(t, drifted, 1, "%s", rep)
	d := drifted[0]
	assert.Equal(t, 1, d.Index, "interaction #2, GetItem b1")
	assert.Equal(t, path+":"+fmt.Sprint(d.Line)+" (interaction #2)", d.Where)
	require.Len(t, d.Diffs, 2, "%s", d)
	assert.Equal(t, "server message #1", d.Diffs[0].Part)
	assert.Contains(t, d.Diffs[0].Text, `-`)
	assert.Contains(t, d.Diffs[0].Text, `"bucket"`)
	assert.Contains(t, d.Diffs[0].Text, `"pail"`)
	assert.Equal(t, replay.Difference{Part: "trailer x-stock", Text: `recorded ["7"], live ["3"]`}, d.Diffs[1])
	assert.Contains(t, rep.String(), "interaction #2): drift /verifytest.v1.Inventory/GetItem")
	t.Logf("the report:\n%s", rep)

	// Ignoring the two makes it pass, and the report says they applied.
	rep = check(t, path, conn, replay.IgnoreField("verifytest.v1.Item.name"), replay.IgnoreHeader("X-Stock"))
	assert.Equal(t, allMatch, outcomes(rep), "%s", rep)
	assert.Equal(t, []string{"field verifytest.v1.Item.name", "header x-stock"}, rep.Ignores)
	assert.Equal(t, []string{"field verifytest.v1.Item.name", "header x-stock"}, rep.Results[1].Ignored)
	assert.Empty(t, rep.Results[0].Ignored, "nothing differed in #1, so no ignore applied there")
	assert.Contains(t, rep.String(), "ignoring field verifytest.v1.Item.name, header x-stock")
}

func TestCheckUpdateRewritesOnlyTheDrift(t *testing.T) {
	s, addr, conn := live(t)
	path := recordInventory(t, addr)
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	s.SetName("b1", "pail")
	s.SetStock("b1", 3)

	rep := check(t, path, conn)
	n, err := rep.Update()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	golden(t, "verify-update.diff", lineDiff(string(before), string(after)))
	assert.Equal(t, strings.Count(string(before), cassette.Redacted), strings.Count(string(after), cassette.Redacted), "redaction kept")

	// Checked again, it matches; replayed, it serves the new answer.
	assert.Equal(t, allMatch, outcomes(check(t, path, conn)))
	h, err := replay.Open(path, replay.Reusable(), replay.AllowUnused())
	require.NoError(t, err)
	srv := mockserver.Start(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer whatever", "x-user", "ann")
	var trailer metadata.MD
	got, err := vpb.NewInventoryClient(srv.ClientConn()).GetItem(ctx, &vpb.GetItemRequest{Id: "b1"}, grpc.Trailer(&trailer))
	require.NoError(t, err)
	assert.Equal(t, "pail", got.GetName())
	assert.Equal(t, []string{"3"}, trailer.Get("x-stock"))
}

func TestCheckBidiInterleaving(t *testing.T) {
	s, addr, conn := live(t)
	path := recordInventory(t, addr)
	// The same messages, in another order: the greeting now comes only
	// after the first request. Comparing the messages alone would pass.
	s.SetGreetFirst(false)
	rep := check(t, path, conn, replay.StepTimeout(300*time.Millisecond))
	drifted := rep.Drifted()
	require.Len(t, drifted, 1, "%s", rep)
	assert.Equal(t, inv+"Lookup", drifted[0].Method)
	require.Len(t, drifted[0].Diffs, 1, "%s", drifted[0])
	assert.Equal(t, "interleaving", drifted[0].Diffs[0].Part)
	assert.Contains(t, drifted[0].Diffs[0].Text, "recorded server message #1 before client event #1; the live service sent nothing for 300ms")
}

func TestCheckCredentials(t *testing.T) {
	s, addr, conn := live(t)
	path := recordInventory(t, addr)
	s.RequireToken("secret")

	rep := check(t, path, conn)
	assert.Equal(t, 6, rep.Count(replay.Drift), "without the token every call fails: %s", rep)
	assert.Contains(t, rep.Results[0].String(), "status code: recorded OK, live Unauthenticated")

	rep = check(t, path, conn, replay.SetMetadata("authorization", "Bearer secret"))
	assert.Equal(t, allMatch, outcomes(rep), "%s", rep)
	assert.NotContains(t, s.Authorizations(), cassette.Redacted)
}

func TestCheckAllowMethod(t *testing.T) {
	s, addr, conn := live(t)
	path := recordInventory(t, addr)
	rep := check(t, path, conn, replay.AllowMethod("verifytest.v1.Inventory/Reserve"))
	assert.Equal(t, replay.Match, rep.Results[6].Outcome, "%s", rep)
	assert.Equal(t, 2, s.Reservations(), "named, Reserve was called")
}

func TestCheckSetupErrors(t *testing.T) {
	_, addr, conn := live(t)
	path := recordInventory(t, addr)
	c, err := cassette.Load(path)
	require.NoError(t, err)
	for _, tc := range []struct {
		opt  replay.CheckOption
		want string
	}{
		{replay.IgnoreField("verifytest.v1.Item.nmae"), `IgnoreField "verifytest.v1.Item.nmae": message verifytest.v1.Item has no field "nmae" (it has id, name, price_cents, etag, color)`},
		{replay.IgnoreField("verifytest.v1.Itme.name"), `IgnoreField "verifytest.v1.Itme.name": no message verifytest.v1.Itme in the cassette's methods (they use verifytest.v1.GetItemRequest, verifytest.v1.Item,`},
		{replay.IgnoreField("name"), `IgnoreField "name": want pkg.Message.field`},
		{replay.AllowMethod("/verifytest.v1.Inventory/Delete"), `AllowMethod "/verifytest.v1.Inventory/Delete": unknown method: service verifytest.v1.Inventory has no method Delete`},
	} {
		_, err := replay.Check(context.Background(), c, conn, tc.opt)
		require.ErrorIs(t, err, replay.ErrCheckSetup)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestCheckUnknownMethod(t *testing.T) {
	_, _, conn := live(t)
	// A cassette of another service: its methods are not known.
	rep := check(t, "../testdata/cassettes/routeguide.cassette", conn, replay.WithDescriptors(inventoryOnly{}))
	require.NotEmpty(t, rep.Results)
	for _, r := range rep.Results {
		assert.Equal(t, replay.Failed, r.Outcome)
		assert.Contains(t, r.Reason, "the live service's descriptors have no such method")
	}
}

// inventoryOnly knows the methods of verifytest.v1.Inventory alone.
type inventoryOnly struct{}

func (inventoryOnly) Method(name string) (protoreflect.MethodDescriptor, error) {
	sd := vpb.File_verify_v1_inventory_proto.Services().Get(0)
	full, err := mockserver.NormalizeMethod(name)
	if err != nil {
		return nil, err
	}
	svc, m, _ := strings.Cut(strings.TrimPrefix(full, "/"), "/")
	if svc != string(sd.FullName()) || sd.Methods().ByName(protoreflect.Name(m)) == nil {
		return nil, fmt.Errorf("%w: %s (this server serves verifytest.v1.Inventory)", mockserver.ErrUnknownMethod, full)
	}
	return sd.Methods().ByName(protoreflect.Name(m)), nil
}

// recordingTB is a testing.TB that keeps what Verify reports.
type recordingTB struct {
	testing.TB
	errors, logs []string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func TestVerifyOneFailurePerDrift(t *testing.T) {
	s, addr, conn := live(t)
	path := recordInventory(t, addr)
	s.SetName("b1", "pail")
	s.SetName("a2", "hatchet") // drifts ListItems "a", and Lookup

	tb := &recordingTB{TB: t}
	rep := replay.Verify(tb, path, conn)
	require.Len(t, tb.errors, 3, "%q", tb.errors)
	assert.Equal(t, 3, rep.Count(replay.Drift))
	assert.Contains(t, tb.errors[0], "replay.Verify: "+path+":")
	assert.Contains(t, tb.errors[0], "drift /verifytest.v1.Inventory/GetItem")
	assert.Contains(t, tb.errors[1], "drift /verifytest.v1.Inventory/ListItems")
	assert.Contains(t, tb.errors[1], "server message #2 (-recorded +live)")
	assert.Contains(t, tb.errors[2], "drift /verifytest.v1.Inventory/Lookup")
	assert.Contains(t, tb.errors[2], "server message #3 (-recorded +live)")
	require.Len(t, tb.logs, 1, "the skipped Reserve is logged: %q", tb.logs)
	assert.Contains(t, tb.logs[0], "skipped /verifytest.v1.Inventory/Reserve")

	// Matching, it reports nothing.
	s.SetName("b1", "bucket")
	s.SetName("a2", "axe")
	replay.Verify(t, path, conn)
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or writes it there with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./replay -run %s -update to write it", t.Name())
	assert.Equal(t, string(want), got, "golden %s differs (rerun with -update if the change is intended)", path)
}

// lineDiff is a unified-style diff of two texts, line by line (longest
// common subsequence), with two lines of context: what a reviewer sees.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		c    byte
		line string
		at   int // line number in a (for ' ' and '-') or b ('+'), from 1
	}
	var ops []op
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, op{' ', x[i], i + 1})
			i++
			j++
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', x[i], i + 1})
			i++
		default:
			ops = append(ops, op{'+', y[j], j + 1})
			j++
		}
	}
	const context = 2
	var out strings.Builder
	last := -1
	for k, o := range ops {
		near := false
		for d := max(0, k-context); d <= min(len(ops)-1, k+context); d++ {
			if ops[d].c != ' ' {
				near = true
			}
		}
		if !near {
			continue
		}
		if last >= 0 && k != last+1 {
			out.WriteString("...\n")
		}
		if last < 0 || k != last+1 {
			fmt.Fprintf(&out, "@@ line %d @@\n", o.at)
		}
		fmt.Fprintf(&out, "%c%s\n", o.c, o.line)
		last = k
	}
	return out.String()
}

// The committed fixture testdata/cassettes/inventory.cassette, checked
// against the live service it was recorded from: the contract test a team
// runs. With -update it is recorded afresh.
func TestInventoryCassetteIsTrue(t *testing.T) {
	s, addr, conn := live(t)
	const path = "../testdata/cassettes/inventory.cassette"
	if *update {
		fresh := recordInventory(t, addr)
		data, err := os.ReadFile(fresh)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, data, 0o644))
	}
	rep := replay.Verify(t, path, conn, replay.SetMetadata("authorization", "Bearer secret"))
	assert.Equal(t, allMatch, outcomes(rep))
	assert.NotContains(t, s.Authorizations(), cassette.Redacted)
}

// Bind reports every interaction that does not fit the descriptors, each
// an InteractionError: what serve refuses and grpcdouble lint lists.
func TestBindReportsEveryProblem(t *testing.T) {
	c, err := cassette.Parse([]byte(`{"format": "grpcdouble-cassette", "version": 1}
{"method": "/routeguide.RouteGuide/GetFeatur", "events": [], "status": {"code": "OK"}}
{"method": "/routeguide.RouteGuide/GetFeatur", "events": [], "status": {"code": "OK"}}
{"method": "/routeguide.RouteGuide/GetFeature", "kind": "bidi-stream", "events": [], "status": {"code": "OK"}}
{"method": "/routeguide.RouteGuide/GetFeature", "kind": "unary",
 "events": [{"type": "client_message", "message": {"latitude": "north"}},
            {"type": "server_message", "message": {"nmae": "x"}}], "status": {"code": "OK"}}
{"method": "/routeguide.RouteGuide/GetFeature", "kind": "unary", "events": [], "status": {"code": "OK"}}
`), "c.cassette")
	require.NoError(t, err)
	h, err := replay.New([]*cassette.Cassette{c})
	require.NoError(t, err)
	srv := mockserver.Start(t, mockserver.HandlerFunc(func(*mockserver.Call) error { return nil }), mockserver.WithServices("routeguide.RouteGuide"))
	err = h.Bind(srv)
	require.Error(t, err)
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ie *replay.InteractionError
		require.ErrorAs(t, e, &ie)
		got = append(got, fmt.Sprintf("%d: %s", ie.Line, strings.SplitN(ie.Err.Error(), ":", 2)[0]))
	}
	// Every message of an interaction is checked, not only the first.
	assert.ElementsMatch(t, []string{"2: method", "3: method", "4: kind", "5: events[0].message", "5: events[1].message"}, got, "%v", err)
	assert.Contains(t, err.Error(), "replay: c.cassette:4 (interaction #3): kind: recorded as bidi-stream, but /routeguide.RouteGuide/GetFeature is unary")
}

func TestCheckKindChanged(t *testing.T) {
	_, addr, conn := live(t)
	path := recordInventory(t, addr)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	// The first interaction, GetItem, as if recorded when it streamed.
	data = []byte(strings.Replace(string(data), `"kind": "unary"`, `"kind": "server-stream"`, 1))
	require.NoError(t, os.WriteFile(path, data, 0o644))
	rep := check(t, path, conn)
	assert.Equal(t, replay.Failed, rep.Results[0].Outcome)
	assert.Equal(t, "recorded as a server-stream call, but the method is unary now", rep.Results[0].Reason)
	assert.Equal(t, replay.Match, rep.Results[1].Outcome)
}
