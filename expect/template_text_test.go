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

// capFirst, capWords, abbreviate, padLeft, padRight and center count
// characters, not bytes, from a stub file.
func TestTemplateTextFuncs(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 1}}
  response:
    name: '{{ capFirst "élan vital" }}|{{ capWords "hello-world  foo\tbar" }}|{{ capWords "a\u00a0b" }}'
    tags:
      - '{{ abbreviate 8 "Ünïcödé wörds" }}|{{ abbreviate 4 "abcd" }}|{{ abbreviate 4 "abcde" }}'
      - '[{{ padLeft 5 "0" "42" }}][{{ padRight 7 "ab" "é" }}][{{ center 8 "*-" "ab" }}][{{ center 1 "" "long" }}][{{ padLeft 4 "" "x" }}]'
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 2}}
  response: {name: '{{ abbreviate (int .Request.longitude) "abcdef" }}'}
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	require.NoError(t, err)
	assert.Equal(t, "Élan vital|Hello-world  Foo\tBar|A\u00a0b", f.Name, "words split at Java's whitespace, which a no-break space is not")
	require.Len(t, f.Tags, 2)
	assert.Equal(t, "Ünïcö...|abcd|a...", f.Tags[0])
	assert.Equal(t, "[00042][éababab][*-*ab*-*][long][   x]", f.Tags[1], "the pad repeated and cut; each side from its start")

	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 2, Longitude: 3})
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "abbreviate: a width of 3 (the least is 4)")
	m.Reset() // the failed call is a miss: not this test's point
}

// numberFormat writes as Java's DecimalFormat in en_US: grouping, 0 and #
// digits, affixes, % and a negative subpattern, half even on the exact
// value; a bad pattern or a value that is no number fails the call.
func TestTemplateNumberFormat(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 1}}
  response:
    name: '{{ numberFormat "#,##0.00" .Request.longitude }}|{{ numberFormat "#.##" 123.4567 }}|{{ numberFormat "0.00" 0.125 }}|{{ numberFormat "0.00" 1.015 }}|{{ numberFormat "#.#" 0.04 }}|{{ numberFormat "#.#" -0.04 }}'
    tags:
      - '{{ numberFormat "#%" 0.256 }}|{{ numberFormat "0.0;(0.0)" -2.25 }}|{{ numberFormat "''#''0" 7 }}|{{ numberFormat "#,##0.###" "12345678901234567890.5" }}|{{ numberFormat "00." 3 }}|{{ numberFormat "#" "NaN" }}'
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 2}}
  response: {name: '{{ numberFormat "#.#.#" 1 }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 3}}
  response: {name: '{{ numberFormat "#" "x" }}'}
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1, Longitude: -1234567})
	require.NoError(t, err)
	assert.Equal(t, "-1,234,567.00|123.46|0.12|1.01|0|-0", f.Name, "half even on the exact binary value; a negative rounded to zero keeps its sign, as DecimalFormat's")
	require.Len(t, f.Tags, 1)
	assert.Equal(t, "26%|(2.2)|#7|12,345,678,901,234,567,890.5|03.|NaN", f.Tags[0])

	for lat, want := range map[int32]string{2: `numberFormat "#.#.#": more than one decimal point`, 3: "numberFormat: want a number, got string x"} {
		_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: lat})
		assert.Equal(t, codes.Internal, status.Code(err), lat)
		assert.Contains(t, status.Convert(err).Message(), want, lat)
	}
	m.Reset() // the failed calls are misses: not this test's point
}

// parseJson reads JSON text (numbers as written), jsonAt walks it, nil
// where nothing is, and jsonText writes a value as Java writes what
// Jackson read; text that is not JSON, or a whole object written, fails
// the call.
func TestTemplateParseJson(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 1}}
  response:
    name: '{{ $v := parseJson (printf "{\"a\": {\"b\": [10, 2.50, 3e-4]}, \"s\": \"x\", \"n\": null, \"t\": true, \"lat\": %v}" .Request.longitude) }}{{ jsonText (jsonAt $v "a" "b" 0) }}|{{ jsonText (jsonAt $v "a" "b" "1") }}|{{ jsonText (jsonAt $v "a" "b" 2) }}|{{ jsonText (jsonAt $v "s") }}|[{{ jsonText (jsonAt $v "n") }}][{{ jsonText (jsonAt $v "nope" "x") }}][{{ jsonText (jsonAt $v "a" "b" 9) }}]|{{ jsonText (jsonAt $v "t") }}|{{ jsonText (jsonAt $v "lat") }}|{{ len (parseJson " { } ") }}{{ len (parseJson "[1,2]") }}'
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 2}}
  response: {name: '{{ parseJson "{ x" }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 3}}
  response: {name: '{{ jsonText (jsonAt (parseJson "{\"a\": {}}") "a") }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 4}}
  response: {name: '{{ parseJson "5" }}'}
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1, Longitude: 7})
	require.NoError(t, err)
	assert.Equal(t, "10|2.5|3.0E-4|x|[][][]|true|7|02", f.Name)

	for lat, want := range map[int32]string{2: "parseJson: not JSON", 3: "jsonText: a whole JSON object or list", 4: `parseJson: want an object or a list, got "5"`} {
		_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: lat})
		assert.Equal(t, codes.Internal, status.Code(err), lat)
		assert.Contains(t, status.Convert(err).Message(), want, lat)
	}
	m.Reset() // the failed calls are misses: not this test's point
}

// jsonMerge merges objects field by field, keys kept in their order, and
// fails the call on text that is no JSON object.
func TestTemplateJsonMerge(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 1}}
  response:
    name: '{{ jsonMerge "{\"z\": 1, \"o\": {\"b\": 1, \"a\": [1]}, \"k\": \"<é>\", \"d\": 1, \"d\": 2.50}" "{\"o\": {\"a\": {\"x\": null}, \"c\": true}, \"z\": {\"n\": 1}, \"y\": []}" }}'
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 2}}
  response: {name: '{{ jsonMerge "{}" "[]" }}'}
- method: routeguide.RouteGuide/GetFeature
  request: {fields: {latitude: 3}}
  response: {name: '{{ jsonMerge "{} x" "{}" }}'}
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	require.NoError(t, err)
	assert.Equal(t, `{"z":{"n":1},"o":{"b":1,"a":{"x":null},"c":true},"k":"<é>","d":2.50,"y":[]}`, f.Name, "a key seen again keeps its place")

	for lat, want := range map[int32]string{2: `jsonMerge: the JSON to merge is not a JSON object ("[]")`, 3: "jsonMerge: the base JSON is not JSON"} {
		_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: lat})
		assert.Equal(t, codes.Internal, status.Code(err), lat)
		assert.Contains(t, status.Convert(err).Message(), want, lat)
	}
	m.Reset() // the failed calls are misses: not this test's point
}
