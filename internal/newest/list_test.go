package newest_test

import (
	"fmt"
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/grpcdouble/grpcdouble/internal/newest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestListKeepsNewest(t *testing.T) {
	l := newest.New[int](3)
	var dropped []int
	for i := 1; i <= 1000; i++ {
		if d, ok := l.Add(i); ok {
			dropped = append(dropped, d)
		}
		if l.Len() > 3 {
			t.Fatalf("after %d adds, %d kept", i, l.Len())
		}
	}
	if got := l.Items(); !slices.Equal(got, []int{998, 999, 1000}) {
		t.Errorf("Items() = %v", got)
	}
	if l.Dropped() != 997 || len(dropped) != 997 || dropped[0] != 1 || dropped[996] != 997 {
		t.Errorf("Dropped() = %d, dropped %d (first %d)", l.Dropped(), len(dropped), dropped[0])
	}
	if o, ok := l.Oldest(); !ok || o != 998 {
		t.Errorf("Oldest() = %d, %v", o, ok)
	}
	if c := cap(l.Items()); c > 2*64+3 {
		t.Errorf("backing array of %d for 3 items kept", c)
	}
	l.Reset()
	if l.Len() != 0 || l.Dropped() != 0 {
		t.Errorf("after Reset: %d kept, %d dropped", l.Len(), l.Dropped())
	}
}

func TestListUnlimitedAndDropOldest(t *testing.T) {
	l := newest.New[string](0)
	for i := range 100 {
		l.Add(fmt.Sprint(i))
	}
	if l.Len() != 100 {
		t.Fatalf("kept %d of 100 with no limit", l.Len())
	}
	for range 99 {
		l.DropOldest()
	}
	if got := l.Items(); !slices.Equal(got, []string{"99"}) {
		t.Errorf("Items() = %v", got)
	}
	l.DropOldest()
	if _, ok := l.DropOldest(); ok {
		t.Error("DropOldest of an empty List reported an item")
	}
	if _, ok := l.Oldest(); ok {
		t.Error("Oldest of an empty List reported an item")
	}
}

func ExampleList() {
	l := newest.New[string](2)
	for _, s := range []string{"a", "b", "c"} {
		if old, ok := l.Add(s); ok {
			fmt.Println("dropped", old)
		}
	}
	fmt.Println(l.Items(), l.Dropped())
	// Output:
	// dropped a
	// [b c] 1
}
