package expect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// math, randPick, formatJson, compactJson, timeAdd, inZone and parseTime,
// from a stub file and from Go.
func TestTemplateDecimalsJSONAndTimes(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 1}}
  response:
    name: '{{ math .Request.longitude "/" 4 }} {{ math "10.0" "/" 4 }} {{ math 0.1 "+" 0.2 }} {{ math 2 "*" "1.50" }} {{ math -7 "%" 3 }} {{ math "no" "+" 1 }}'
    tags:
      - '{{ formatJson "{\"b\":[1,{\"c\":true}],\"a\":{}}" }}'
      - '{{ compactJson "{ \"b\" : [ 1 , 2 ] , \"a\" : \"<&>\" }" }}'
      - '{{ format (timeAdd (parseTime "" "2024-01-31T10:00:00Z") 1 "months") "2006-01-02" }} {{ format (timeAdd (parseTime "" "2023-02-28T10:00:00Z") 1 "years") "2006-01-02" }} {{ format (timeAdd (parseTime "2006-01-02" "2024-03-01") -90 "minutes") "15:04" }}'
      - '{{ format (inZone (parseTime "" "Tue, 02 Jan 2024 10:00:00 GMT") "Asia/Tokyo") "2006-01-02T15:04:05Z07:00" }}'
      - '{{ randPick (list "a" "b") }}'
      - '{{ htmlEscape 3 }}{{ htmlEscape "=" }}'
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 2}}
  response: {name: '{{ math 1 "/" 0 }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 3}}
  response: {name: '{{ inZone .RequestTime "Mars/Olympus" }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 4}}
  response: {name: '{{ randPick (list) }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 5}}
  response: {name: '{{ formatJson "{" }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 7}}
  response: {name: '{{ urlEncode "a b~*é" }} {{ urlDecode "%41+b" }} {{ format (truncateTime (parseTime "" "2024-02-15T10:30:45Z") "month") "2006-01-02T15:04" }} {{ format (truncateTime (inZone (parseTime "" "2024-02-15T20:30:45Z") "Asia/Tokyo") "day") "2006-01-02T15:04Z07:00" }} {{ join "," (regexGroups "([a-z])([0-9])" "a1 b2") }} {{ format (parseTime "epoch" "1700000000123") "2006-01-02T15:04:05.000Z07:00" }} {{ unix (parseTime "unix" "-60") }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 8}}
  response: {name: '{{ urlDecode "%4" }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 9}}
  response: {name: '{{ truncateTime .RequestTime "week" }}'}
`)
	m.Unary(getFeature).WithRequestField("latitude", expect.Eq(6)).
		ReturnTemplate(`{"name": "{{ math .Request.longitude "x" 3 }} {{ format (inZone (timeAdd .RequestTime 2 "days") "UTC") "2006" | len }} {{ randPick (list .Request.longitude) }} {{ formatJson "[]" }}"}`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1, Longitude: 10})
	require.NoError(t, err)
	assert.Equal(t, "3 2.5 0.3 3.0 -1 1", f.Name, "BigDecimal's scale: 10/4 rounds half up to 3; 0.1+0.2 is exact; 3.00 is written as the double 3.0")
	require.Len(t, f.Tags, 6)
	assert.Equal(t, "{\n  \"b\" : [ 1, {\n    \"c\" : true\n  } ],\n  \"a\" : { }\n}", f.Tags[0], "Jackson's layout, keys in their order")
	assert.Equal(t, `{"b":[1,2],"a":"<&>"}`, f.Tags[1])
	assert.Equal(t, "2024-02-29 2024-02-28 22:30", f.Tags[2], "a month past the 31st keeps to the month's end")
	assert.Equal(t, "2024-01-02T19:00:00+09:00", f.Tags[3])
	assert.Contains(t, []string{"a", "b"}, f.Tags[4])
	assert.Equal(t, "3&#x3D;", f.Tags[5])

	f, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 6, Longitude: 7})
	require.NoError(t, err)
	assert.Equal(t, "21 4 7 [ ]", f.Name)

	f, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 7})
	require.NoError(t, err)
	assert.Equal(t, "a+b%7E*%C3%A9 A b 2024-02-01T00:00 2024-02-16T00:00+09:00 a,1,b,2 2023-11-14T22:13:20.123Z -60", f.Name, "form encoding as Java's URLEncoder; a day starts in the time's own zone; epoch milliseconds and unix seconds, in UTC")

	for lat, want := range map[int32]string{8: `urlDecode: "%4" ends inside an escape`, 9: `truncateTime: unknown unit "week"`, 2: "math: division by zero", 3: `inZone: unknown time zone "Mars/Olympus"`,
		4: "randPick: an empty list", 5: "formatJson: not JSON"} {
		_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: lat})
		assert.Equal(t, codes.Internal, status.Code(err), lat)
		assert.Contains(t, status.Convert(err).Message(), want, lat)
	}

	m.Reset() // the failed calls are misses: not this test's point
}

// Go: math and randPick in a ReturnTemplate, randPick seeded as randInt.
func TestTemplateDecimalsGoDSL(t *testing.T) {
	names := func() []string {
		m := expect.NewMock()
		m.Unary(getFeature).AnyTimes().ReturnTemplate(`{"name": "{{ math .Request.longitude "x" "1.5" }} {{ randPick (list "p" "q" "r" "s" "t") }} {{ join "" (randPick (list "p" "q" "r") 5) | len }}"}`)
		srv, err := mockserver.New(m)
		require.NoError(t, err)
		defer srv.Close()
		client := pb.NewRouteGuideClient(srv.ClientConn())
		var out []string
		for range 4 {
			f, err := client.GetFeature(ctx(t), &pb.Point{Longitude: 3})
			require.NoError(t, err)
			assert.Regexp(t, `^4\.5 [p-t] 3$`, f.Name, "randPick with a count past the list's length: all of it")
			out = append(out, f.Name)
		}
		return out
	}
	assert.Equal(t, names(), names(), "randPick is seeded by the stub and the call's number")
}

// .Matched and .MatchedIndex name the message a requests: {some: ...}
// matcher accepted (the first such; latest: the last such);
// messageJson writes a message as protobuf-java's printer does. In a stub
// file and in Go.
func TestTemplateMatchedMessage(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/RecordRoute
  requests: {some: {fields: {latitude: {gt: 10}}}}
  response: {pointCount: '{{ .Matched.latitude }}', featureCount: '{{ .MatchedIndex }}', distance: '{{ len (messageJson .MatchedIndex) }}'}
- method: routeguide.RouteGuide/RecordRoute
  requests: {latest: {fields: {latitude: {lt: 0}}}}
  response: {pointCount: '{{ .Matched.latitude }}', featureCount: '{{ .MatchedIndex }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 1}}
  response: {name: '{{ messageJson }}'}
`)
	m.ClientStream(recordRoute).WithRequestsMatching(expect.Some(expect.Partial(&pb.Point{Longitude: 9}))).
		ReturnTemplate(`{"pointCount": {{ .Matched.latitude }}, "featureCount": {{ .MatchedIndex }}}`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	got, err := record(t, client, 1, 11, 12)
	require.NoError(t, err)
	assert.Equal(t, int32(11), got.PointCount, "some: the first message that matched")
	assert.Equal(t, int32(1), got.FeatureCount)
	assert.Equal(t, int32(len("{\n  \"latitude\": 11\n}")), got.Distance)

	got, err = record(t, client, -1, 3, -2, 4)
	require.NoError(t, err)
	assert.Equal(t, int32(-2), got.PointCount, "latest: the last message that matched")
	assert.Equal(t, int32(2), got.FeatureCount)

	stream, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	for _, p := range []*pb.Point{{Latitude: 5}, {Latitude: 6, Longitude: 9}} {
		require.NoError(t, stream.Send(p))
	}
	got, err = stream.CloseAndRecv()
	require.NoError(t, err)
	assert.Equal(t, int32(6), got.PointCount, "Go: the message Some accepted")
	assert.Equal(t, int32(1), got.FeatureCount)

	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1, Longitude: -3})
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"latitude\": 1,\n  \"longitude\": -3\n}", f.Name)
}
