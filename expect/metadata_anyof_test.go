package expect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// metadata anyOf: alternatives of metadata tests, one of which must hold,
// sharing the stub's count and answer; in Go, WithMetadataAnyOf.
func TestMetadataAnyOf(t *testing.T) {
	m := expect.NewMock()
	m.Unary(getFeature).Times(2).
		WithRequest(&pb.Point{Latitude: 1}).
		WithMetadata("x-tenant", "acme").
		WithMetadataAnyOf(
			expect.Metadata().WithMetadata("x-role", "admin"),
			expect.Metadata().WithMetadataRegexp("x-team", "^plat").WithMetadataAbsent("x-guest")).
		Return(&pb.Feature{Name: "from Go"})
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  times: 2
  request: {equal: {latitude: 2}}
  metadata:
    x-tenant: acme
    anyOf:
      - {x-role: admin}
      - {x-team: {regex: "^plat"}, x-guest: {absent: true}}
  response: {name: from a file}
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	for _, lat := range []int32{1, 2} {
		want := map[int32]string{1: "from Go", 2: "from a file"}[lat]
		for _, tc := range []struct {
			md   []string
			want string
		}{
			{[]string{"x-tenant", "acme", "x-role", "admin"}, want},
			{[]string{"x-tenant", "acme", "x-role", "user"}, "miss"},
			{[]string{"x-tenant", "acme", "x-team", "platform", "x-guest", "1"}, "miss"},
			{[]string{"x-tenant", "other", "x-role", "admin"}, "miss"},
			{[]string{"x-tenant", "acme", "x-team", "platform"}, want},
			{[]string{"x-tenant", "acme", "x-role", "admin"}, "miss"}, // the two calls are used up, by both alternatives
		} {
			got := "miss"
			f, err := client.GetFeature(metadata.NewOutgoingContext(ctx(t), metadata.Pairs(tc.md...)), &pb.Point{Latitude: lat})
			if err == nil {
				got = f.Name
			} else if status.Code(err) != expect.NoMatchCode {
				t.Fatal(err)
			}
			assert.Equal(t, tc.want, got, "latitude %d, metadata %v", lat, tc.md)
			if tc.want == "miss" && err != nil && tc.md[1] == "acme" && tc.md[3] == "user" {
				assert.Contains(t, err.Error(), `metadata: no alternative of anyOf holds: alternative 1: metadata "x-role": want ["admin"], got ["user"]; alternative 2: metadata "x-team": want matching /^plat/, got none`)
			}
		}
	}
}

func TestMetadataAnyOfErrors(t *testing.T) {
	for _, tc := range []struct{ md, want string }{
		{"anyOf: []", `s.yaml:4: metadata.anyOf: want a list of one or more metadata matches, one of which must hold`},
		{"anyOf: [x-a]", `s.yaml:4: metadata.anyOf[0]: want a mapping of metadata keys to matchers`},
		{"anyOf: [{anyOf: [{x-a: b}]}]", `s.yaml:4: metadata.anyOf[0].anyOf: anyOf does not nest: list every alternative in the one anyOf`},
		{"anyOf: [{x-a: {regex: \"[\"}}]", `s.yaml:4: metadata.anyOf[0].x-a.regex: error parsing regexp`},
	} {
		_, err := expect.ParseStubs("s.yaml", []byte("- method: routeguide.RouteGuide/GetFeature\n  response: {}\n  metadata:\n    "+tc.md+"\n"), nil)
		if assert.Error(t, err, tc.md) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
	ft := &fakeT{}
	m := expect.New(ft)
	m.Unary(getFeature).WithMetadataAnyOf(expect.Metadata().WithMetadataRegexp("x-a", "[")).Return(&pb.Feature{})
	m.Unary(getFeature).WithMetadataAnyOf().Return(&pb.Feature{})
	require.Len(t, ft.errs, 2)
	assert.Contains(t, ft.errs[0], `WithMetadataAnyOf: alternative 1: WithMetadataRegexp("x-a"): error parsing regexp`)
	assert.Contains(t, ft.errs[1], `WithMetadataAnyOf: want one or more alternatives`)
}
