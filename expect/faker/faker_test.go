package faker_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/expect/faker"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const stubs = `
- method: routeguide.RouteGuide/GetFeature
  response:
    name: '{{ faker.Person.Name }}|{{ faker.Geo.City }}|{{ faker.Number.IntRange 5 6 }}|{{ faker.DateTime.PastDate }}'
`

// names calls GetFeature n times on a fresh double loaded with the faker stub.
func names(t *testing.T, n int) []string {
	t.Helper()
	m := expect.New(t)
	s, err := expect.ParseStubs("faker.yaml", []byte(stubs), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddStubs(s...); err != nil {
		t.Fatal(err)
	}
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	var out []string
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		before := time.Now()
		f, err := client.GetFeature(ctx, &pb.Point{})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(f.Name, "|")
		if len(parts) != 4 || parts[0] == "" || parts[1] == "" || (parts[2] != "5" && parts[2] != "6") {
			t.Fatalf("%q: want NAME|CITY|5 or 6|DATE", f.Name)
		}
		past, err := time.Parse(time.RFC3339Nano, parts[3])
		if err != nil || past.After(before) || past.Before(before.Add(-13*time.Hour)) {
			t.Errorf("%q: want a date 1 to 12 hours before the call (%v)", f.Name, err)
		}
		out = append(out, strings.Join(parts[:3], "|"))
	}
	return out
}

// A native stub file reads faker once this package is imported; the values
// are seeded by the stub and the call, so a second double answers the same.
func TestFakerInNativeStubs(t *testing.T) {
	first, again := names(t, 3), names(t, 3)
	if fmt.Sprint(first) != fmt.Sprint(again) {
		t.Errorf("%q, then %q: want the same values on a second double", first, again)
	}
	if first[0] == first[1] && first[1] == first[2] {
		t.Errorf("%q: want each call seeded by its number", first)
	}
}

// The same seed gives the same values.
func TestNewIsSeeded(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b := faker.New(7, now), faker.New(7, now)
	if x, y := a.Contact().Email()+a.DateTime().FutureDate(), b.Contact().Email()+b.DateTime().FutureDate(); x != y {
		t.Errorf("%q and %q: want the same for one seed", x, y)
	}
}

func ExampleNew() {
	g := faker.New(1, time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC))
	fmt.Println(g.Number().IntRange(3, 3), strings.Contains(g.Contact().Email(), "@"))
	// Output: 3 true
}

// A faker date fills a Timestamp field: the load renders the template once
// to check its output, on a call that starts now, not at time zero (whose
// PastDate is before year 1, out of a Timestamp's range).
func TestFakerDateInATimestamp(t *testing.T) {
	m := expect.New(t)
	s, err := expect.ParseStubs("faker.yaml", []byte(`
- method: routeguide.RouteGuide/GetFeature
  response: {name: dated, observedAt: '{{ faker.DateTime.PastDate }}'}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddStubs(s...); err != nil {
		t.Fatal(err)
	}
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := time.Now()
	f, err := client.GetFeature(ctx, &pb.Point{})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.GetObservedAt().AsTime(); got.After(before) || got.Before(before.Add(-13*time.Hour)) {
		t.Errorf("observedAt %v: want 1 to 12 hours before the call at %v", got, before)
	}
}
