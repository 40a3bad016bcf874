package expect_test

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/expect"
)

// TestParseStubListIsTheWholeFilesTree: a big list parsed in chunks gives
// the tree the whole file parses to, line for line; a list whose chunks
// cannot stand alone (an alias to an anchor in another chunk) is left to
// the whole-file parse.
func TestParseStubListIsTheWholeFilesTree(t *testing.T) {
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, "# stub %d\n- service: s\n  method: m\n  input:\n    equals: {id: \"item-%d\"}\n  output:\n    data:\n      name: |\n        item %d\n", i, i, i)
	}
	data := []byte(b.String())
	got, ok := expect.ParseStubList(data)
	if !ok {
		t.Fatal("a block list of 1,000 items was not parsed in chunks")
	}
	var want yaml.Node
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, a, b *yaml.Node)
	walk = func(path string, a, b *yaml.Node) {
		if a.Kind != b.Kind || a.Value != b.Value || a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) {
			t.Fatalf("%s: chunked %v %q line %d:%d (%d children), whole %v %q line %d:%d (%d children)", path, a.Kind, a.Value, a.Line, a.Column, len(a.Content), b.Kind, b.Value, b.Line, b.Column, len(b.Content))
		}
		for i := range a.Content {
			walk(fmt.Sprintf("%s/%d", path, i), a.Content[i], b.Content[i])
		}
	}
	walk("", got.Content[0], want.Content[0])

	aliased := "- &first {service: s, method: m}\n" + strings.Repeat("- {service: s, method: m}\n", 600) + "- *first\n"
	if _, ok := expect.ParseStubList([]byte(aliased)); ok {
		t.Fatal("an alias to another chunk's anchor was parsed in chunks")
	}
	if _, ok := expect.ParseStubList([]byte("- {service: s}\n- {service: t}\n")); ok {
		t.Fatal("a small list was parsed in chunks")
	}
}
