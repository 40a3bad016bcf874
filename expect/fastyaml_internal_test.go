package expect

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// yamlList is the sequence yaml.Unmarshal gives for data, or nil.
func yamlList(data []byte) *yaml.Node {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) != 1 || root.Content[0].Kind != yaml.SequenceNode {
		return nil
	}
	return root.Content[0]
}

// sameAsYAML fails when fastList reads data but not as yaml does.
func sameAsYAML(t *testing.T, data []byte) bool {
	t.Helper()
	fast, ok := fastList(data)
	if !ok {
		return false
	}
	want := yamlList(data)
	if want == nil {
		t.Fatalf("fastList read text yaml does not read as a list:\n%s", data)
	}
	if d := cmp.Diff(want, fast); d != "" {
		t.Fatalf("fastList's nodes differ from yaml's (-yaml +fastList):\n%s\nfor:\n%s", d, data)
	}
	return true
}

// randomList writes a block list of stubs, mostly in what fastList reads,
// with now and then something it must leave to yaml.
func randomList(r *rand.Rand) string {
	words := []string{"method", "request", "fields", "id", "response", "name", "price", "service", "input", "equals",
		"output", "data", "a b", "x_y", "q.r", "/s/t", "item-1", "true", "No", "null", "on", "~", "0", "7", "-3", "012",
		"1e3", "1.5", "\"q t\"", "'s q'", "\"e\\n\"", "'it''s'", "[1, 2]", "{a: 1}", "&a x", "*a", "!t x", "|", ">",
		"x # c", "k: v", "2024-01-02", "é", "x ", "\"#\"", "", "a:b", "+1", "_k", ".5", "-", "- x", "@x", "`x`", "%x"}
	word := func() string {
		if r.IntN(24) > 0 {
			return words[r.IntN(12)] // the usual ones
		}
		return words[r.IntN(len(words))]
	}
	var b strings.Builder
	base := []int{0, 0, 0, 2, 4}[r.IntN(5)]
	pad := func(n int) { b.WriteString(strings.Repeat(" ", max(n, 0))) }
	var mapping func(indent, depth int, first bool)
	mapping = func(indent, depth int, first bool) {
		for k := range 1 + r.IntN(4) {
			if !first || k > 0 {
				pad(indent)
			}
			switch r.IntN(80) {
			case 0:
				b.WriteString("# a comment\n")
				pad(indent)
			case 1:
				b.WriteString("\n")
				pad(indent)
			case 2:
				pad(r.IntN(3) - 1)
			case 3:
				b.WriteString("\t")
			}
			b.WriteString(word())
			if depth < 3 && r.IntN(3) == 0 {
				b.WriteString(":\n")
				mapping(indent+[]int{2, 2, 2, 2, 2, 2, 4, 1, 0}[r.IntN(9)], depth+1, false)
				continue
			}
			b.WriteString(":" + strings.Repeat(" ", 1+r.IntN(2)*r.IntN(2)))
			b.WriteString(word())
			if r.IntN(100) == 0 {
				b.WriteString(" ")
			}
			b.WriteString("\n")
		}
	}
	for range 1 + r.IntN(4) {
		pad(base)
		b.WriteString("- ")
		if r.IntN(30) == 0 {
			b.WriteString(" ")
		}
		mapping(base+2, 0, true)
		if r.IntN(10) == 0 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// TestFastListIsYAMLs: whatever fastList reads, it reads into exactly the
// nodes yaml.Unmarshal makes (lines, columns, tags, styles); and it reads
// the usual stub files, native and gripmock's.
func TestFastListIsYAMLs(t *testing.T) {
	for _, text := range []string{
		"- method: shop.v1.ShopService/GetItem\n  request:\n    fields:\n      id: item-1\n  response:\n    name: item 1\n    price: 1\n",
		"- service: shop.v1.ShopService\n  method: GetItem\n  input:\n    equals:\n      id: item-1\n  output:\n    data:\n      name: item 1\n      price: 1\n\n- service: s\n  method: \"M\"\n  output:\n    data:\n      name: 'x'\n",
		"  - method: /a.B/C\n    response:\n      x: -12\n",
	} {
		if !sameAsYAML(t, []byte(text)) {
			t.Fatalf("fastList does not read the usual stubs:\n%s", text)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	read := 0
	const n = 20000
	for range n {
		if sameAsYAML(t, []byte(randomList(r))) {
			read++
		}
	}
	t.Logf("fastList read %d of %d random lists, as yaml does", read, n)
	if read < n/10 || read > n*9/10 {
		t.Fatalf("fastList read %d of %d random lists: the generator no longer tries both sides", read, n)
	}
}

func FuzzFastList(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		f.Add(randomList(r))
	}
	f.Fuzz(func(t *testing.T, text string) {
		sameAsYAML(t, []byte(text))
	})
}
