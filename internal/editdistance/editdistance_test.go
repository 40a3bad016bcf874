package editdistance_test

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/grpcdouble/grpcdouble/internal/editdistance"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOf(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"", "ab", 2}, {"latitude", "lattitude", 1}, {"kitten", "sitting", 3}, {"same", "same", 0}} {
		if got := editdistance.Of(c.a, c.b); got != c.want {
			t.Errorf("Of(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func ExampleOf() {
	fmt.Println(editdistance.Of("lattitude", "latitude"))
	// Output: 1
}
