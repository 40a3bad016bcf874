package parallel_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/grpcdouble/grpcdouble/internal/parallel"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDoRunsEveryIndexOnce(t *testing.T) {
	seen := make([]atomic.Int32, 1000)
	if !parallel.Do(len(seen), func(i int) bool { seen[i].Add(1); return true }) {
		t.Fatal("Do reported a failure no f returned")
	}
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("index %d ran %d times", i, n)
		}
	}
	if !parallel.Do(0, func(int) bool { t.Fatal("f ran for n = 0"); return false }) {
		t.Fatal("Do(0) failed")
	}
}

func TestDoStopsOnFalse(t *testing.T) {
	var ran atomic.Int32
	if parallel.Do(100000, func(i int) bool { ran.Add(1); return i != 3 }) {
		t.Fatal("Do succeeded though f(3) returned false")
	}
	if n := ran.Load(); n == 100000 {
		t.Fatalf("every index ran (%d) after f(3) returned false", n)
	}
}

// Do runs the chunks of a job on every core; results go by index.
func ExampleDo() {
	squares := make([]int, 5)
	parallel.Do(len(squares), func(i int) bool { squares[i] = i * i; return true })
	fmt.Println(squares)
	// Output: [0 1 4 9 16]
}
