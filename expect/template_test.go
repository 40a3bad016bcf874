package expect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func loadStubs(t *testing.T, m *expect.Mock, data string) {
	t.Helper()
	stubs, err := expect.ParseStubs("t.yaml", []byte(data), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
}

// Templates in every place a stub answers: message fields (numbers and
// enums too), headers, trailers, status messages; they see the request with
// unset fields as zeros, the metadata, the hit count and the state.
func TestTemplateStub(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  scenario: s
  request: {fields: {latitude: {gte: 0}}}
  headers: {x-tenant: '{{ header "x-tenant" | upper }}'}
  trailers: {x-hit: "{{ .Hit }}", x-state: "{{ .State }}"}
  response:
    name: 'at {{ .Request.latitude }},{{ .Request.longitude }} for {{ header "x-tenant" | default "nobody" }}'
    location: {latitude: "{{ add .Request.latitude 1 }}", longitude: "{{ .Request.longitude }}"}
    terrain: '{{ if gt .Request.latitude 10 }}TERRAIN_WATER{{ else }}TERRAIN_ROAD{{ end }}'
    tags: ["{{ .Method }}", fixed]
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: {lt: 0}}}
  status: {code: NOT_FOUND, message: 'nothing at {{ .Request.latitude }}'}
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	var hdr, trl metadata.MD
	c := metadata.AppendToOutgoingContext(ctx(t), "x-tenant", "acme")
	f, err := client.GetFeature(c, &pb.Point{Latitude: 12}, grpc.Header(&hdr), grpc.Trailer(&trl))
	require.NoError(t, err)
	assert.Equal(t, "at 12,0 for acme", f.Name) // an unset longitude reads 0, not <no value>
	assert.Equal(t, int32(13), f.Location.Latitude)
	assert.Equal(t, pb.Terrain_TERRAIN_WATER, f.Terrain)
	assert.Equal(t, []string{getFeature, "fixed"}, f.Tags)
	assert.Equal(t, []string{"ACME"}, hdr.Get("x-tenant"))
	assert.Equal(t, []string{"1"}, trl.Get("x-hit"))
	assert.Equal(t, []string{"Started"}, trl.Get("x-state"))

	f, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 1}, grpc.Trailer(&trl))
	require.NoError(t, err)
	assert.Equal(t, "at 1,0 for nobody", f.Name)
	assert.Equal(t, pb.Terrain_TERRAIN_ROAD, f.Terrain)
	assert.Equal(t, []string{"2"}, trl.Get("x-hit"))

	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: -4})
	assert.Equal(t, codes.NotFound, status.Code(err))
	assert.Equal(t, "nothing at -4", status.Convert(err).Message())
}

// A whole-message template builds repeated fields with range; a server
// stream's template renders a JSON array, one message each; .Index counts
// the messages sent; client streams see .Requests and bidi .Message.
func TestTemplateWholeMessages(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  response:
    template: |
      {"name": "square", "tags": [{{ range $i, $n := until (int .Request.latitude) }}{{ if $i }},{{ end }}"t{{ mul $n $n }}"{{ end }}]}
- method: routeguide.RouteGuide/ListFeatures
  responses:
    template: |
      [{{ range $i, $lat := untilStep (int .Request.lo.latitude) (int .Request.hi.latitude) 1 }}{{ if $i }},{{ end }}
        {"name": "feature {{ $lat }}", "location": {"latitude": {{ $lat }}}}{{ end }}]
  steps:
    - send: {name: "then {{ .Index }}"}
- method: routeguide.RouteGuide/RecordRoute
  response: {pointCount: "{{ len .Requests }}", distance: '{{ range .Requests }}{{ .latitude }}{{ end }}'}
- method: routeguide.RouteGuide/RouteChat
  steps:
    - recv: {any: true}
    - send: {message: "echo {{ .Message.message }}"}
    - recv: {any: true}
    - send: {template: '{"message": "{{ .Message.message | upper }} after {{ .Index }}"}'}
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"t0", "t1", "t4"}, f.Tags)

	ls, err := client.ListFeatures(ctx(t), &pb.Rectangle{Lo: &pb.Point{Latitude: 5}, Hi: &pb.Point{Latitude: 8}})
	require.NoError(t, err)
	feats, err := recvAll[*pb.Feature](ls)
	require.NoError(t, err)
	var names []string
	for _, f := range feats {
		names = append(names, f.Name)
	}
	assert.Equal(t, []string{"feature 5", "feature 6", "feature 7", "then 3"}, names)
	assert.Equal(t, int32(7), feats[2].Location.Latitude)

	rs, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	for _, lat := range []int32{1, 2, 3} {
		require.NoError(t, rs.Send(&pb.Point{Latitude: lat}))
	}
	sum, err := rs.CloseAndRecv()
	require.NoError(t, err)
	assert.Equal(t, int32(3), sum.PointCount)
	assert.Equal(t, int32(123), sum.Distance)

	bs, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, bs.Send(note("hi")))
	got, err := bs.Recv()
	require.NoError(t, err)
	assert.Equal(t, "echo hi", got.Message)
	require.NoError(t, bs.Send(note("again")))
	got, err = bs.Recv()
	require.NoError(t, err)
	assert.Equal(t, "AGAIN after 1", got.Message)
	require.NoError(t, bs.CloseSend())
	_, err = bs.Recv()
	assert.Equal(t, io.EOF, err)
}

// A template that fails for a call answers INTERNAL naming the stub's
// file:line and the cause, shows among the misses, and never panics; its
// output is capped.
func TestTemplateCallFailure(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 1}}
  response: {name: '{{ index .Requests 5 }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 2}}
  response: {name: '{{ range until 100000 }}{{ repeat 100 "x" }}{{ end }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 3}}
  response: {name: '{{ fail "no such tree" }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 4}}
  response: {location: '{{ if eq (int .Request.latitude) 4 }}not json{{ else }}{}{{ end }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 5}}
  response: {location: {latitude: '{{ if eq (int .Request.latitude) 5 }}north{{ else }}1{{ end }}'}}
`)
	client, stop := serve(t, m, ft)
	for lat, want := range map[int32]string{
		1: "t.yaml:4: response.name: template: line 1:3: at <index .Requests 5>: error calling index: index out of range: 5",
		2: "t.yaml:7: response.name: template: the output passed 4194304 bytes",
		3: "t.yaml:10: response.name: template: line 1:3: at <fail \"no such tree\">: error calling fail: no such tree",
		4: "t.yaml:13: response: the template's output is not a routeguide.Feature",
		5: `t.yaml:16: response: the template's output is not a routeguide.Feature: invalid value for int32 field latitude: "north"`,
	} {
		_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: lat})
		assert.Equal(t, codes.Internal, status.Code(err), "latitude %d", lat)
		assert.Contains(t, status.Convert(err).Message(), "grpcdouble: template failed: "+want, "latitude %d", lat)
	}
	misses := m.Unexpected()
	require.Len(t, misses, 5)
	assert.Contains(t, misses[0].Reasons[0], "its template failed: t.yaml:")
	report := stop()
	assert.Contains(t, report, "its template failed")
}

// Templates are parsed and checked when the stub is loaded: each mistake
// names file:line and the field.
func TestTemplateLoadErrors(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"syntax", "- method: routeguide.RouteGuide/GetFeature\n  response: {name: '{{ .Request.latitude '}\n",
			`t.yaml:2: response.name: template: line 1: unclosed action`},
		{"unknown field", "- method: routeguide.RouteGuide/GetFeature\n  response:\n    name: '{{ .Request.lattitude }}'\n",
			`t.yaml:3: response.name: template: .Request.lattitude: routeguide.Point has no field "lattitude" (did you mean latitude?)`},
		{"unknown nested field", "- method: routeguide.RouteGuide/ListFeatures\n  responses:\n    - {name: '{{ .Request.lo.lat }}'}\n",
			`t.yaml:3: responses[0].name: template: .Request.lo.lat: routeguide.Point has no field "lat"`},
		{"proto name", "- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - send: {message: '{{ with .Message.location }}{{ .lattitude }}{{ end }}'}\n",
			`t.yaml:3: steps[0].send.message: template: .lattitude: routeguide.Point has no field "lattitude" (did you mean latitude?)`},
		{"unknown value", "- method: routeguide.RouteGuide/GetFeature\n  response: {name: '{{ .Reqest.latitude }}'}\n",
			`t.yaml:2: response.name: template: .Reqest.latitude: a template has no value Reqest (it has Request, Requests, Message, MessageIndex, MessageHit, Matched, MatchedIndex, Method, Hit, RuleHit, Index, State, StubID and RequestTime) (did you mean Request?)`},
		{"unknown function", "- method: routeguide.RouteGuide/GetFeature\n  response: {name: '{{ env \"HOME\" }}'}\n",
			`t.yaml:2: response.name: template: line 1: function "env" not defined`},
		{"output not valid", "- method: routeguide.RouteGuide/GetFeature\n  response: {template: '{\"name\": {{ .Request.latitude }}}'}\n",
			`t.yaml:2: response.template: for a request with every field zero, the template's output is not a routeguide.Feature: invalid value for string field name: 0`},
		{"unknown field in a templated message", "- method: routeguide.RouteGuide/GetFeature\n  response: {nmae: '{{ .Method }}'}\n",
			`t.yaml:2: response: not a routeguide.Feature: unknown field "nmae" (did you mean name?)`},
		{"status message", "- method: routeguide.RouteGuide/GetFeature\n  status: {code: 5, message: '{{ .Request.x }}'}\n",
			`t.yaml:2: status.message: template: .Request.x: routeguide.Point has no field "x"`},
		{"header", "- method: routeguide.RouteGuide/GetFeature\n  headers: {a: '{{ nope }}'}\n  response: {}\n",
			`t.yaml:2: headers.a: template: line 1: function "nope" not defined`},
		// This test binary does not import expect/faker.
		{"faker not linked", "- method: routeguide.RouteGuide/GetFeature\n  response: {name: '{{ faker.Person.Name }}'}\n",
			`t.yaml:2: response.name: template: faker: this program has no faker functions: import github.com/grpcdouble/grpcdouble/expect/faker`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := expect.ParseStubs("t.yaml", []byte(tc.data), nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, expect.ErrStubFile)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// The seeded random functions give the same values on every run.
func TestTemplateSeededRandom(t *testing.T) {
	names := func() []string {
		m := expect.NewMock()
		loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  response: {name: '{{ randInt 0 1000000 }}-{{ randString 8 }}', tags: ['{{ uuid }}', '{{ now "2006" }}']}
`)
		srv, err := mockserver.New(m)
		require.NoError(t, err)
		defer srv.Close()
		client := pb.NewRouteGuideClient(srv.ClientConn())
		var out []string
		for range 3 {
			f, err := client.GetFeature(ctx(t), &pb.Point{})
			require.NoError(t, err)
			assert.Len(t, f.Tags[0], 36)
			assert.Len(t, f.Tags[1], 4)
			out = append(out, f.Name)
		}
		return out
	}
	a, b := names(), names()
	assert.Equal(t, a, b)
	assert.NotEqual(t, a[0], a[1])
}

// In Go: a template answer, and typed funcs that get the generated types.
func TestTemplateGoDSL(t *testing.T) {
	m := expect.New(t)
	m.Unary(getFeature).WithRequestField("latitude", expect.Eq(1)).
		ReturnTemplate(`{"name": "lat {{ .Request.latitude }}", "tags": [{{ range $i, $x := until 3 }}{{ if $i }},{{ end }}"{{ $x }}"{{ end }}]}`)
	m.Unary(getFeature).WithRequestField("latitude", expect.Eq(2)).
		ReturnFunc(expect.UnaryFunc(func(_ context.Context, p *pb.Point) (*pb.Feature, error) {
			return &pb.Feature{Name: fmt.Sprint("typed ", p.Latitude), Location: p}, nil
		}))
	m.ServerStream(listFeatures).SendTemplate(`[{"name": "a"}, {"name": "b {{ .Index }}"}]`).SendTemplate(`{"name": "c {{ .Index }}"}`)
	m.ClientStream(recordRoute).ReturnFunc(expect.ClientStreamFunc(func(_ context.Context, ps []*pb.Point) (*pb.RouteSummary, error) {
		return &pb.RouteSummary{PointCount: int32(len(ps)), Distance: ps[0].Latitude}, nil
	}))
	m.Bidi(routeChat).Run(expect.BidiFunc(func(_ context.Context, recv func() (*pb.RouteNote, error), send func(*pb.RouteNote) error) error {
		for {
			n, err := recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := send(&pb.RouteNote{Message: strings.ToUpper(n.Message)}); err != nil {
				return err
			}
		}
	}))
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	require.NoError(t, err)
	assert.Equal(t, "lat 1", f.Name)
	assert.Equal(t, []string{"0", "1", "2"}, f.Tags)
	f, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	require.NoError(t, err)
	assert.Equal(t, "typed 2", f.Name)

	ls, err := client.ListFeatures(ctx(t), &pb.Rectangle{})
	require.NoError(t, err)
	feats, err := recvAll[*pb.Feature](ls)
	require.NoError(t, err)
	require.Len(t, feats, 3)
	assert.Equal(t, "b 0", feats[1].Name) // rendered before any was sent
	assert.Equal(t, "c 2", feats[2].Name)

	rs, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	require.NoError(t, rs.Send(&pb.Point{Latitude: 9}))
	sum, err := rs.CloseAndRecv()
	require.NoError(t, err)
	assert.Equal(t, int32(9), sum.Distance)

	bs, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, bs.Send(note("quiet")))
	got, err := bs.Recv()
	require.NoError(t, err)
	assert.Equal(t, "QUIET", got.Message)
	require.NoError(t, bs.CloseSend())
	_, err = bs.Recv()
	assert.Equal(t, io.EOF, err)
}

func TestTemplateGoDSLSetupErrors(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Unary(getFeature).ReturnTemplate(`{"name": "{{ .Request.lattitude }}"}`)
	assert.ErrorIs(t, m.Err(), expect.ErrSetup)
	assert.Contains(t, m.Err().Error(), `template_test.go:`)
	assert.Contains(t, m.Err().Error(), `ReturnTemplate: template: .Request.lattitude: routeguide.Point has no field "lattitude" (did you mean latitude?)`)
	ft.finish()
}

// Simple templates skip text/template; what they print must not change.
func TestTemplateFastPathPrintsTheSame(t *testing.T) {
	at := timestamppb.New(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	for _, req := range []*pb.Feature{
		{}, {Name: "n", Location: &pb.Point{Latitude: -7, Longitude: 1 << 30}, Terrain: pb.Terrain_TERRAIN_WATER, ObservedAt: at},
		{Detail: &pb.Feature_Photo_{Photo: &pb.Feature_Photo{Data: []byte{0, 1, 2}, MimeType: "image/png"}}},
	} {
		for _, tc := range []struct {
			text string
			fast bool
		}{
			{"{{ .Request.name }}", true},
			{"at {{ .Request.location.latitude }},{{ $.Request.location.longitude }} ({{ .Request.terrain }}) {{ .Method }} {{ .Hit }} {{ .Index }}", true},
			{"{{ .Request.photo.data }}/{{ .Request.photo.mimeType }}", true},
			{"{{ .Message.name }}", true},
			{"{{ .Request.observedAt }}", false},
			{"{{ .Request.location }}", false},
			{"{{ .Request.tags }}", false},
			{"{{ .Request.name | upper }}", false},
		} {
			fast, slow, isFast, err := expect.RenderBoth(tc.text, req)
			require.NoError(t, err, tc.text)
			assert.Equal(t, tc.fast, isFast, tc.text)
			if isFast {
				assert.Equal(t, slow, fast, "%s for %v", tc.text, req)
			}
		}
	}
}

// Numbers, lists and time: sum and avg, sprig's float functions over a
// list, extract, and the call's start as .RequestTime, now, unix and
// format; a division by zero fails the call.
func TestTemplateNumbersAndTime(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/RecordRoute
  requests: {count: 3}
  response:
    pointCount: '{{ sum (extract .Requests "latitude") }}'
    featureCount: '{{ maxf (extract .Requests "latitude") }}'
    distance: '{{ mulf (extract .Requests "latitude") }}'
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 1}}
  response: {name: '{{ unix .RequestTime }} {{ now "2006" }} {{ format .RequestTime "2006" }} {{ addf 1 2 3 }} {{ divf 7 2 }} {{ avg (list 1 2 6) }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 2}}
  response: {name: '{{ divf 1 0 }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 3}}
  response: {name: '{{ modf .Request.latitude 2 }} {{ modf 7.5 2 }} {{ gtf .Request.latitude 2.5 }} {{ gef 3 .Request.latitude }} {{ ltf .Request.latitude "4" }} {{ lef 3.5 .Request.latitude }} {{ decimal .Request.latitude }} {{ decimal 0.25 }} {{ bytes "hi" | bytes2base64 }} {{ uuid2base64 "123e4567-e89b-12d3-a456-426614174000" }} {{ uuid2int64 "123e4567-e89b-12d3-a456-426614174000" }}'}
- id: named
  method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 7}}
  response: {name: '{{ .StubID }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 6}}
  response: {name: '{{ uuid2bytes "nope" }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 4}}
  response: {name: '{{ modf 1 0 }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 5}}
  response: {name: '{{ gtf "five" 1 }}'}
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	st, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	for _, lat := range []int32{2, 3, 7} {
		require.NoError(t, st.Send(&pb.Point{Latitude: lat}))
	}
	sum, err := st.CloseAndRecv()
	require.NoError(t, err)
	assert.Equal(t, int32(12), sum.PointCount)
	assert.Equal(t, int32(7), sum.FeatureCount)
	assert.Equal(t, int32(42), sum.Distance)

	before := time.Now().Unix()
	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	after := time.Now().Unix()
	require.NoError(t, err)
	var unix int64
	var y1, y2 string
	_, err = fmt.Sscanf(f.Name, "%d %s %s", &unix, &y1, &y2)
	require.NoError(t, err, f.Name)
	assert.True(t, unix >= before && unix <= after, "%d not in [%d, %d]", unix, before, after)
	year := time.Unix(unix, 0).UTC().Format("2006")
	assert.Equal(t, year+" "+year+" 6 3.5 3", strings.SplitN(f.Name, " ", 2)[1])

	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "divf: division by zero")

	f, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 3})
	require.NoError(t, err)
	assert.Equal(t, `1 1.5 true true true false 3.0 0.25 aGk= Ej5FZ+ibEtOkVkJmFBdAAA== {"high":-3237353759658656238,"low":18039774891890340}`, f.Name)
	f, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 7})
	require.NoError(t, err)
	assert.Equal(t, "named", f.Name)
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 6})
	assert.Contains(t, status.Convert(err).Message(), `not a UUID "nope"`)
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 4})
	assert.Contains(t, status.Convert(err).Message(), "modf: division by zero")
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 5})
	assert.Contains(t, status.Convert(err).Message(), "gtf: strconv.ParseFloat")
	m.Reset() // the failed calls are misses: not this test's point
}

// A template's output is capped at the server's own largest message when
// that is under 4 MiB: a response the server could not send fails as a
// template error naming the stub, not as a transport error.
func TestTemplateOutputCappedAtServerLimit(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  response: {name: '{{ repeat 3000 "x" }}'}
- method: routeguide.RouteGuide/ListFeatures
  responses: [{name: '{{ randString 5000 }}'}]
`)
	srv, err := mockserver.New(m, mockserver.WithMaxMessageSize(2000))
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err = client.GetFeature(ctx(t), &pb.Point{})
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "grpcdouble: template failed: t.yaml:3: response.name: template: the output passed 2000 bytes")
	stream, err := client.ListFeatures(ctx(t), &pb.Rectangle{})
	require.NoError(t, err)
	_, err = stream.Recv()
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "randString 5000: want 0 to 2000")
	_ = srv.Close()
	assert.Contains(t, ft.finish(), "its template failed")
}

// randString draws from the characters given; htmlEscape writes the
// entities Handlebars' {{ }} does (WireMock's templates, translated).
// In a stub file and in Go.
func TestTemplateRandStringAlphabetAndHTMLEscape(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 1}}
  response: {name: '{{ randString 10 "AB" }}', tags: ['{{ htmlEscape (header "x-v") }}']}
`)
	m.Unary(getFeature).WithRequestField("latitude", expect.Eq(2)).
		ReturnTemplate(`{"name": "{{ randString 6 "7" }}", "tags": ["{{ htmlEscape "<a href='x'>" }}"]}`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	c := metadata.AppendToOutgoingContext(ctx(t), "x-v", "a\"b&c=`d'")
	f, err := client.GetFeature(c, &pb.Point{Latitude: 1})
	require.NoError(t, err)
	assert.Regexp(t, `^[AB]{10}$`, f.Name)
	assert.Equal(t, []string{"a&quot;b&amp;c&#x3D;&#x60;d&#x27;"}, f.Tags)

	f, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	require.NoError(t, err)
	assert.Equal(t, "777777", f.Name)
	assert.Equal(t, []string{"&lt;a href&#x3D;&#x27;x&#x27;&gt;"}, f.Tags)
}

func TestTemplateRandStringNoCharacters(t *testing.T) {
	m := expect.NewMock()
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  response: {name: '{{ randString 3 "" }}'}
`)
	srv, err := mockserver.New(m)
	require.NoError(t, err)
	defer srv.Close()
	_, err = pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx(t), &pb.Point{})
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), `t.yaml:3: response.name`)
	assert.Contains(t, status.Convert(err).Message(), `randString 3 "": no characters to draw from`)
}
