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
