package webpage_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/grpcdouble/grpcdouble/internal/webpage"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestReportIsSelfContained: the report inlines the style and the script,
// and the data cannot end its script block early whatever it holds.
func TestReportIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	hostile := "</script><script>alert(1)</script>"
	if err := webpage.Report(&b, map[string]any{"title": hostile}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, ref := range []string{`href="app.css"`, `src="app.js"`} {
		if strings.Contains(page, ref) {
			t.Errorf("the report still refers to %s", ref)
		}
	}
	if strings.Contains(page, hostile) {
		t.Error("the report data can close its script block")
	}
	if n := strings.Count(page, "</script>"); n != 2 {
		t.Errorf("the report has %d script blocks, want 2 (data and app)", n)
	}
	js, _ := fs.ReadFile(webpage.FS(), "app.js")
	if !strings.Contains(page, string(js)) {
		t.Error("the report lacks the page's script")
	}
}

// The admin page's files, as the admin API serves them at /ui/.
func ExampleFS() {
	names, _ := fs.Glob(webpage.FS(), "*")
	fmt.Println(names)
	// Output: [app.css app.js index.html]
}

// A report opens offline: the page and its data in one file.
func ExampleReport() {
	f, err := os.CreateTemp("", "report-*.html")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	err = webpage.Report(f, map[string]any{"title": "TestCheckout", "calls": []any{}})
	fmt.Println(err, f.Close())
	// Output: <nil> <nil>
}
