package expect_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// With many stubs a method finds candidates through an index, and the
// stub it picks is always the one trying every stub in order picks: random
// mixes of equal, partial, field Eq and unpinned matchers, priorities and
// used-up stubs.
func TestIndexPicksWhatTheScanPicks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		m := expect.NewMock()
		n := 20 + rng.IntN(200)
		for i := range n {
			lat := int32(rng.IntN(30))
			var u *expect.UnaryExpectation
			switch rng.IntN(6) {
			case 0:
				u = m.Unary(getFeature).WithRequest(&pb.Point{Latitude: lat, Longitude: int32(rng.IntN(3))})
			case 1:
				u = m.Unary(getFeature).WithRequestPartial(&pb.Point{Latitude: lat})
			case 2:
				u = m.Unary(getFeature).WithRequestField("latitude", expect.Eq(lat))
			case 3:
				u = m.Unary(getFeature).WithRequestField("longitude", expect.Gt(rng.IntN(3)))
			case 4:
				u = m.Unary(getFeature).WithRequestPartial(&pb.Point{Latitude: lat}).WithRequestField("latitude", expect.Eq(lat+1))
			default:
				u = m.Unary(getFeature).WithRequestPartial(&pb.Point{Longitude: int32(rng.IntN(3))})
			}
			u.Priority(rng.IntN(3) - 1).Times(rng.IntN(2)).Return(&pb.Feature{Name: fmt.Sprint(i)})
		}
		require.NoError(t, m.Err())
		hasIndex := false
		for range 200 {
			req := &pb.Point{Latitude: int32(rng.IntN(32)), Longitude: int32(rng.IntN(4))}
			indexed, scanned, idx := expect.PickBoth(m, getFeature, req)
			hasIndex = hasIndex || idx
			require.Equal(t, scanned, indexed, "round %d, request %v", round, req)
		}
		assert.True(t, hasIndex, "round %d: %d stubs and no index", round, n)
	}
}

// 10,000 stubs, each for a different id, answer real calls right, by
// equal, partial and a field's Eq, in Go and from a stub file.
func TestIndexManyStubs(t *testing.T) {
	for _, kind := range []string{"equal", "partial", "field"} {
		t.Run(kind, func(t *testing.T) {
			m := expect.NewMock()
			const n = 10_000
			for i := 1; i <= n; i++ { // from 1: a partial {latitude: 0} sets nothing and matches all
				u := m.Unary(getFeature)
				switch kind {
				case "equal":
					u.WithRequest(&pb.Point{Latitude: int32(i), Longitude: 2})
				case "partial":
					u.WithRequestPartial(&pb.Point{Latitude: int32(i)})
				default:
					u.WithRequestField("latitude", expect.Eq(i))
				}
				u.AnyTimes().Return(&pb.Feature{Name: fmt.Sprint(i)})
			}
			m.Unary(getFeature).Priority(-1).AnyTimes().Return(&pb.Feature{Name: "fallback"})
			srv, err := mockserver.New(m)
			require.NoError(t, err)
			defer srv.Close()
			client := pb.NewRouteGuideClient(srv.ClientConn())
			for _, lat := range []int32{1, 2, 4999, n, n + 1} {
				f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: lat, Longitude: 2})
				require.NoError(t, err)
				want := fmt.Sprint(lat)
				if lat == n+1 {
					want = "fallback"
				}
				assert.Equal(t, want, f.Name)
			}
			_, _, idx := expect.PickBoth(m, getFeature, &pb.Point{})
			assert.True(t, idx)
		})
	}
}
