package browser_test

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/grpcdouble/grpcdouble/internal/browser"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Path says where Chromium is, or why there is none.
func ExamplePath() {
	_, err := browser.Path()
	fmt.Println(err == nil || err.Error() != "")
	// Output: true
}
