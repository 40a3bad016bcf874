package expect_test

import (
	"encoding/json"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestStubFile(t *testing.T) {
	m := expect.New(t)
	require.NoError(t, m.LoadStubs("../testdata/stubs/routeguide.yaml", "../testdata/stubs/routeguide.json"))
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())

	// Unary with metadata matchers, headers, trailers, a full message.
	var hdr, trl metadata.MD
	c := metadata.AppendToOutgoingContext(ctx(t), "authorization", "Bearer x", "x-tenant", "acme", "trace-bin", "\x00\x01")
	f, err := client.GetFeature(c, &pb.Point{Latitude: 1, Longitude: 2}, grpc.Header(&hdr), grpc.Trailer(&trl))
	require.NoError(t, err)
	assert.Equal(t, "Big Tree", f.Name)
	assert.Equal(t, pb.Terrain_TERRAIN_FOREST, f.Terrain)
	assert.Equal(t, []string{"old", "tall"}, f.Tags)
	assert.Equal(t, "80m", f.Attributes["height"])
	assert.Equal(t, int64(1714564800), f.ObservedAt.GetSeconds())
	assert.Equal(t, []string{"stub"}, hdr.Get("x-served-by"))
	assert.Equal(t, []string{"3"}, trl.Get("x-cost"))

	// An error with details, found by a partial match.
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 404, Longitude: 9}, grpc.Trailer(&trl))
	st := status.Convert(err)
	assert.Equal(t, codes.NotFound, st.Code())
	assert.Equal(t, "no feature here", st.Message())
	require.Len(t, st.Details(), 2)
	assert.Equal(t, "FEATURE_MISSING", st.Details()[0].(*errdetails.ErrorInfo).Reason)
	assert.Equal(t, "latitude", st.Details()[1].(*errdetails.BadRequest).FieldViolations[0].Field)
	assert.Equal(t, []string{"missing"}, trl.Get("x-why"))

	// JSON file.
	f, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 7})
	require.NoError(t, err)
	assert.Equal(t, "from json", f.Name)

	// Server stream.
	ls, err := client.ListFeatures(ctx(t), &pb.Rectangle{})
	require.NoError(t, err)
	feats, err := recvAll[*pb.Feature](ls)
	require.NoError(t, err)
	var names []string
	for _, f := range feats {
		names = append(names, f.Name)
	}
	assert.Equal(t, []string{"a", "b", "c"}, names)

	// Client stream.
	rs, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	require.NoError(t, rs.Send(&pb.Point{}))
	require.NoError(t, rs.Send(&pb.Point{}))
	sum, err := rs.CloseAndRecv()
	require.NoError(t, err)
	assert.Equal(t, int32(2), sum.PointCount)

	// Bidi.
	bs, err := client.RouteChat(metadata.AppendToOutgoingContext(ctx(t), "x-present", "1"))
	require.NoError(t, err)
	require.NoError(t, bs.Send(note("ping")))
	got, err := bs.Recv()
	require.NoError(t, err)
	assert.Equal(t, "pong", got.Message)
	require.NoError(t, bs.Send(&pb.RouteNote{Location: &pb.Point{Latitude: 1, Longitude: 5}}))
	got, err = bs.Recv()
	require.NoError(t, err)
	assert.Equal(t, "second", got.Message)
	require.NoError(t, bs.Send(note("more")))
	require.NoError(t, bs.CloseSend())
	got, err = bs.Recv()
	require.NoError(t, err)
	assert.Equal(t, "bye", got.Message)
	_, err = bs.Recv()
	assert.Equal(t, io.EOF, err)

	infos := m.Stubs()
	require.Len(t, infos, 6)
	assert.Equal(t, "feature-ok", infos[0].ID)
	assert.Equal(t, "../testdata/stubs/routeguide.yaml:3", infos[0].Source)
	assert.Equal(t, 1, infos[0].Hits)
	assert.Equal(t, 0, infos[2].Min)
	assert.True(t, infos[2].Unlimited)
	assert.Equal(t, 0, infos[2].Max)
	assert.False(t, infos[0].Unlimited)
	assert.Equal(t, 1, infos[0].Max)
}

func TestStubErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"unknown stub field", "- method: routeguide.RouteGuide/GetFeature\n  respons: {}\n",
			"s.yaml:2: field respons not found in type stub"},
		{"unknown message field", "- method: routeguide.RouteGuide/GetFeature\n  response:\n    name: x\n    nmae: y\n",
			`s.yaml:4: response: not a routeguide.Feature: unknown field "nmae"`},
		{"wrong field type", "- method: routeguide.RouteGuide/GetFeature\n  request:\n    equal: {latitude: north}\n",
			"s.yaml:3: request.equal: not a routeguide.Point"},
		{"unknown method", "- method: routeguide.RouteGuide/Nope\n  response: {}\n",
			"s.yaml:1: method: service routeguide.RouteGuide has no method Nope"},
		{"unknown method, not on the stub's first line", "- id: a\n  response: {}\n  method: routeguide.RouteGuide/Nope\n",
			"s.yaml:3: method: service routeguide.RouteGuide has no method Nope"},
		{"malformed method, not on the stub's first line", "- id: a\n  method: nope\n",
			"s.yaml:2: method: "},
		{"no method", "- response: {}\n", "s.yaml:1: method: method is required"},
		{"bad code", "- method: routeguide.RouteGuide/GetFeature\n  status:\n    code: NOPE\n",
			`s.yaml:3: status.code: unknown status code "NOPE"`},
		{"bad detail", "- method: routeguide.RouteGuide/GetFeature\n  status:\n    code: 5\n    details:\n      - {\"@type\": type.googleapis.com/no.Such}\n",
			"s.yaml:5: status.details[0]: not a google.protobuf.Any"},
		{"wrong kind", "- method: routeguide.RouteGuide/ListFeatures\n  response: {}\n",
			"s.yaml:2: response: is for unary and client-stream methods"},
		{"recv in server stream", "- method: routeguide.RouteGuide/ListFeatures\n  steps:\n    - send: {}\n    - recv: {any: true}\n",
			"s.yaml:4: steps[1].recv: only bidi streams receive in steps"},
		{"two actions in a step", "- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - send: {}\n      delay: 1s\n",
			"s.yaml:3: steps[0]: a step does exactly one of"},
		{"bad delay", "- method: routeguide.RouteGuide/GetFeature\n  delay: soon\n  response: {}\n",
			`s.yaml:2: delay: want a duration like 250ms or 2s, got "soon"`},
		{"bad times", "- method: routeguide.RouteGuide/GetFeature\n  times: lots\n  response: {}\n",
			`s.yaml:2: times: want a count, "any", or {min, max}; got "lots"`},
		{"negative times", "- method: routeguide.RouteGuide/GetFeature\n  times: {max: -2}\n  response: {}\n",
			"s.yaml:2: times: min and max are counts: want 0 or more"},
		{"bad regex", "- method: routeguide.RouteGuide/GetFeature\n  metadata:\n    a: {regex: \"(\"}\n  response: {}\n",
			"s.yaml:3: metadata.a.regex: error parsing regexp"},
		{"no response", "- method: routeguide.RouteGuide/GetFeature\n", "s.yaml:1: response: unary"},
		{"syntax", "- method: [\n", "s.yaml:1: did not find expected node content"},
		{"renamed step key", "- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - send: {}\n    - sendHeaders: true\n",
			`s.yaml:4: steps[1].sendHeaders: unknown field; write "sendHeader" instead`},
		{"go name for a delay", "- method: routeguide.RouteGuide/GetFeature\n  after: 1s\n  response: {}\n",
			`s.yaml:2: after: unknown field; write "delay" instead`},
		{"singular trailer", "stubs:\n  - method: routeguide.RouteGuide/GetFeature\n    response: {}\n    trailer: {a: b}\n",
			`s.yaml:4: trailer: unknown field; write "trailers" instead`},
		// yaml drops a null item of a list of mappings without a word: it
		// is named.
		{"null step", "- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - {send: {message: a}}\n    - ~\n    - {}\n",
			"s.yaml:4: steps[1]: an empty item (null)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := expect.ParseStubs("s.yaml", []byte(tc.data), nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, expect.ErrStubFile)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestStubErrorsInJSON(t *testing.T) {
	data := "[\n  {\n    \"method\": \"routeguide.RouteGuide/GetFeature\",\n    \"response\": {\"name\": 5}\n  }\n]\n"
	_, err := expect.ParseStubs("s.json", []byte(data), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "s.json:4: response: not a routeguide.Feature")
}

func TestRuntimeOperations(t *testing.T) {
	m := expect.NewMock()
	srv, err := mockserver.New(m, mockserver.WithServices("routeguide.RouteGuide"))
	require.NoError(t, err)
	defer srv.Close()
	client := pb.NewRouteGuideClient(srv.ClientConn())

	stubs, err := expect.ParseStubs("admin", []byte(`{"id": "a", "method": "routeguide.RouteGuide/GetFeature", "times": 1,
		"request": {"partial": {"latitude": 1}}, "metadata": {"x-k": "v"}, "response": {"name": "A"}}`), srv)
	require.NoError(t, err)
	ids, err := m.AddStubs(stubs...)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, ids)
	_, err = m.AddStubs(stubs...)
	assert.ErrorContains(t, err, `duplicate stub id "a"`)

	x, err := m.Explain("routeguide.RouteGuide/GetFeature", []byte(`{"latitude": 2}`), metadata.Pairs("x-k", "w"))
	require.NoError(t, err)
	assert.Empty(t, x.Match)
	assert.Contains(t, x.String(), `metadata "x-k": want ["v"], got ["w"]`)
	assert.Contains(t, x.String(), "request: latitude: want 1, got 2")
	x, err = m.Explain("/routeguide.RouteGuide/GetFeature", []byte(`{"latitude": 1}`), metadata.Pairs("x-k", "v"))
	require.NoError(t, err)
	assert.Equal(t, "a", x.Match)

	assert.ErrorIs(t, m.Verify(), expect.ErrUnmet)
	f, err := client.GetFeature(metadata.AppendToOutgoingContext(ctx(t), "x-k", "v"), &pb.Point{Latitude: 1})
	require.NoError(t, err)
	assert.Equal(t, "A", f.Name)
	assert.NoError(t, m.Verify())
	assert.Equal(t, 1, m.Stubs()[0].Hits)

	assert.True(t, m.HasExpectation("routeguide.RouteGuide/GetFeature"))
	require.NoError(t, m.Delete("a"))
	assert.ErrorIs(t, m.Delete("a"), expect.ErrUnknownStub)
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	assert.ErrorIs(t, m.Verify(), expect.ErrNoMatch)
	m.Reset()
	assert.NoError(t, m.Verify())
	assert.Empty(t, m.Stubs())
	// Still served, but nothing answers it any more.
	assert.Contains(t, m.Methods(), "/routeguide.RouteGuide/GetFeature")
	assert.False(t, m.HasExpectation("/routeguide.RouteGuide/GetFeature"))
}

// The schema and STUBS.md name the same fields the parser accepts.
func TestSchemaMatchesParser(t *testing.T) {
	data, err := os.ReadFile("stub.schema.json")
	require.NoError(t, err)
	var schema struct {
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(data, &schema))
	doc, err := os.ReadFile("STUBS.md")
	require.NoError(t, err)
	for def, fields := range expect.StubFields() {
		props := schema.Defs[def].Properties
		var got []string
		for k := range props {
			got = append(got, k)
		}
		slices.Sort(got)
		assert.Equal(t, fields, got, "schema $defs.%s", def)
		for _, f := range fields {
			assert.True(t, strings.Contains(string(doc), "`"+f+"`"), "STUBS.md does not mention %s.%s", def, f)
		}
	}
}

// STUBS.md maps every stub field and step to the Go methods it stands for,
// and every method it names exists.
func TestStubsTableNamesGoMethods(t *testing.T) {
	doc, err := os.ReadFile("STUBS.md")
	require.NoError(t, err)
	rows := map[string]map[string]string{} // table header -> field -> Go column
	var table string
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		switch {
		case strings.HasPrefix(line, "|---"):
		case !strings.HasPrefix(line, "|") || len(cells) != 2:
			table = ""
		case cells[1] == "Go method":
			table = cells[0]
			rows[table] = map[string]string{}
		case table != "":
			rows[table][strings.Trim(cells[0], "`")] = cells[1]
		}
	}
	fields := expect.StubFields()
	for table, def := range map[string]string{"stub field": "stub", "step": "step"} {
		require.Contains(t, rows, table)
		for _, f := range fields[def] {
			assert.Contains(t, rows[table], f, "STUBS.md's %q table has no row for %s", table, f)
		}
	}
	types := []reflect.Type{
		reflect.TypeFor[*expect.UnaryExpectation](), reflect.TypeFor[*expect.ServerStreamExpectation](),
		reflect.TypeFor[*expect.ClientStreamExpectation](), reflect.TypeFor[*expect.BidiExpectation](),
		reflect.TypeFor[*expect.Mock](),
	}
	name := regexp.MustCompile("(?:`|expect\\.)(?:Mock\\.)?([A-Z][A-Za-z]*)\\(")
	n := 0
	for table, rs := range rows {
		for field, goCol := range rs {
			for _, m := range name.FindAllStringSubmatch(goCol, -1) {
				n++
				found := false
				for _, typ := range types {
					if _, ok := typ.MethodByName(m[1]); ok {
						found = true
					}
				}
				if !found {
					_, found = exported[m[1]]
				}
				assert.True(t, found, "STUBS.md %s %s names %s, which no expectation type has", table, field, m[1])
			}
		}
	}
	assert.Greater(t, n, 30)
}

// exported are package-level functions the table may name.
var exported = map[string]any{
	"Anything": expect.Anything, "Messages": expect.Messages, "Partial": expect.Partial, "Field": expect.Field,
	"Each": expect.Each, "Some": expect.Some, "Latest": expect.Latest, "PutStubs": expect.PutStubs, "DeleteStubs": expect.DeleteStubs,
	"PutStubsFunc": expect.PutStubsFunc, "DeleteStubsFunc": expect.DeleteStubsFunc, "AnyOfMatchers": expect.AnyOfMatchers,
	"Metadata": expect.Metadata,
}

// A file with bad stubs still returns the others, and CheckStubs says
// what adding those would: together, every problem at once.
func TestParseStubsReturnsTheGoodOnesAndCheckStubsTheRest(t *testing.T) {
	srv := mockserver.Start(t, expect.NewMock(), mockserver.WithServices("routeguide.RouteGuide"))
	stubs, err := expect.ParseStubs("s.yaml", []byte(`- method: /routeguide.RouteGuide/GetFeature
  response: {nmae: x}
- method: /routeguide.RouteGuide/GetFeatur
  response: {}
- {id: dup, method: /routeguide.RouteGuide/GetFeature, response: {name: a}}
- {id: dup, method: /routeguide.RouteGuide/GetFeature, response: {name: b}}
`), srv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `s.yaml:2: response: not a routeguide.Feature: unknown field "nmae"`)
	assert.Contains(t, err.Error(), `s.yaml:3: method: service routeguide.RouteGuide has no method GetFeatur`)
	require.Len(t, stubs, 2, "the two that parsed")
	err = expect.CheckStubs(srv, stubs...)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `s.yaml:6: duplicate stub id "dup" (first at s.yaml:5)`)
	require.NoError(t, expect.CheckStubs(srv, stubs[0]))
}
