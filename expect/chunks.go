package expect

import (
	"bytes"
	"cmp"
	"errors"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/internal/parallel"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// A big stub file in the usual shape, a block list of stubs, is parsed in
// chunks of whole stubs, on every core: the file's tree at once was most of
// the memory of loading 100,000 stubs (330 MB of nodes), and one core did
// all the work. The chunks are cut where a line at the list's indentation
// starts an item. A cut can only fall inside a quoted scalar or a flow
// collection (a block scalar or a plain one ends at such a line, as it does
// for the whole file), which leaves the chunk before it unparsable: any
// chunk that does not parse as its items, or any problem at all other than
// a stub's own, sends the file down the whole-file path, whose answer is
// the one that counts.

// itemsPerChunk is how many stubs a chunk holds.
const itemsPerChunk = 256

// stubItem is where an item of a block list of stubs starts.
type stubItem struct {
	off  int // byte offset of its line
	line int // 1-based
}

// listItems finds the items of data when it is a block list of stubs, at
// the top or under "stubs:" as the file's only key; ok is false for any
// other shape (a flow list, other keys, tabs, several documents).
func listItems(data []byte) (items []stubItem, ok bool) {
	k := -1 // the list's indentation, once known
	stubsKey := false
	line := 0
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		} else {
			end = len(data) - off
		}
		text := bytes.TrimRight(data[off:off+end], "\r")
		line++
		start, lineNo := off, line
		off = next
		ind := 0
		for ind < len(text) && text[ind] == ' ' {
			ind++
		}
		if ind == len(text) || text[ind] == '#' {
			continue // blank, or a comment
		}
		if text[ind] == '\t' || (ind == 0 && (bytes.HasPrefix(text, []byte("---")) || bytes.HasPrefix(text, []byte("...")) || text[0] == '%')) {
			return nil, false
		}
		item := text[ind] == '-' && (ind+1 == len(text) || text[ind+1] == ' ')
		switch {
		case k < 0 && ind == 0 && item:
			k = 0
		case k < 0 && ind == 0 && !stubsKey && isStubsKey(text):
			stubsKey = true
			continue
		case k < 0 && stubsKey && item:
			k = ind
		case k < 0:
			return nil, false
		case ind < k, ind == k && !item:
			return nil, false // another key, or not a list: the whole file decides
		case ind > k:
			continue
		}
		items = append(items, stubItem{start, lineNo})
	}
	return items, len(items) > 0
}

// isStubsKey is the line "stubs:", maybe with a comment.
func isStubsKey(text []byte) bool {
	rest, ok := bytes.CutPrefix(text, []byte("stubs:"))
	rest = bytes.TrimLeft(rest, " ")
	return ok && (len(rest) == 0 || rest[0] == '#')
}

// StubFileHead parses the start of a stub file, up to its second stub, as
// the whole file would parse as far as its first stub: what a reader that
// tells formats apart by their first item needs, without parsing the file
// whole. ok is false when the file is not a block list of items (at the
// top, or under its one key "stubs:"), or the head does not parse.
func StubFileHead(data []byte) (*yaml.Node, bool) {
	items, ok := listItems(data)
	if !ok {
		return nil, false
	}
	head := data
	if len(items) > 1 {
		head = data[:items[1].off]
	}
	var root yaml.Node
	if err := yaml.Unmarshal(head, &root); err != nil || len(root.Content) == 0 {
		return nil, false
	}
	return &root, true
}

// errWhole is a chunk that sends the file down the whole-file path.
var errWhole = errors.New("parse the file whole")

// parseChunked parses a big block list of stubs chunk by chunk, in
// parallel; ok is false when the file is not one, is small, or has a
// problem other than a stub's own (the caller then parses it whole).
func parseChunked(filename string, data []byte, resolver mockserver.Methods) ([]Stub, error, bool) {
	items, ok := listItems(data)
	if !ok || len(items) < 2*itemsPerChunk {
		return nil, nil, false
	}
	type result struct {
		stubs []Stub
		errs  []error
	}
	n := (len(items) + itemsPerChunk - 1) / itemsPerChunk
	results := make([]result, n)
	file := &stubData{name: filename, data: data}
	ok = parallel.Do(n, func(c int) bool {
		first, last := c*itemsPerChunk, min((c+1)*itemsPerChunk, len(items))
		end := len(data)
		if last < len(items) {
			end = items[last].off
		}
		// Each chunk its own names: an interning map, not shared.
		stubs, errs, err := parseChunk(filename, data[items[first].off:end], items[first:last], first, file, resolver, map[string]string{})
		if err != nil {
			return false
		}
		results[c] = result{stubs, errs}
		return true
	})
	if !ok {
		return nil, nil, false
	}
	var out []Stub
	var errs []error
	for _, r := range results {
		out = append(out, r.stubs...)
		errs = append(errs, r.errs...)
	}
	return out, errors.Join(errs...), true
}

// parseChunk parses the stubs of one chunk, whose first is the file's
// index-th. A stub's own problem is in errs; err sends the file whole.
func parseChunk(filename string, chunk []byte, want []stubItem, index int, file *stubData, resolver mockserver.Methods, names map[string]string) (stubs []Stub, errs []error, err error) {
	seq, ok := parseList(chunk)
	if !ok || len(seq.Content) != len(want) {
		return nil, nil, errWhole
	}
	shiftLines(seq, want[0].line-1)
	for i, it := range seq.Content {
		if it.Line != want[i].line {
			return nil, nil, errWhole
		}
	}
	var renamed problems
	if len(renamedKeys(filename, seq.Content, &renamed)) > 0 {
		return nil, nil, errWhole
	}
	for i, it := range seq.Content {
		var d stubDoc
		if err := it.Decode(&d); err != nil || !knownFields(it, stubDocType) {
			return nil, nil, errWhole
		}
		s, err := parseStub(filename, index+i, it, &d, resolver, false, false, names)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.release(file)
		stubs = append(stubs, s)
		seq.Content[i] = nil
	}
	return stubs, errs, nil
}

// parseList parses a chunk of a block list: by fastList when it can,
// else by yaml.
func parseList(chunk []byte) (*yaml.Node, bool) {
	if seq, ok := fastList(chunk); ok {
		return seq, true
	}
	var root yaml.Node
	if yaml.Unmarshal(chunk, &root) != nil || len(root.Content) != 1 || root.Content[0].Kind != yaml.SequenceNode {
		return nil, false
	}
	return root.Content[0], true
}

// shiftLines adds by to the line of n and of every node under it.
func shiftLines(n *yaml.Node, by int) {
	if by == 0 || n == nil {
		return
	}
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// ParseStubList parses a big block list of items at the top of a file (a
// foreign stub file's usual shape) chunk by chunk on every core, giving the
// tree the whole file would parse to: a document holding the sequence,
// with every line as in the file. ok is false when the file is not such a
// list, is small, or a chunk does not parse as its items (an alias to
// another chunk's anchor, a cut inside a flow collection): the caller then
// parses the file whole, whose answer is the one that counts.
func ParseStubList(data []byte) (*yaml.Node, bool) {
	items, ok := listItems(data)
	if !ok || len(items) < 2*itemsPerChunk || data[items[0].off] != '-' {
		return nil, false
	}
	n := (len(items) + itemsPerChunk - 1) / itemsPerChunk
	parts := make([][]*yaml.Node, n)
	ok = parallel.Do(n, func(c int) bool {
		part, ok := listChunk(data, items, c)
		parts[c] = part
		return ok
	})
	if !ok {
		return nil, false
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: items[0].line, Column: 1, Content: make([]*yaml.Node, 0, len(items))}
	for _, p := range parts {
		seq.Content = append(seq.Content, p...)
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Line: items[0].line, Column: 1, Content: []*yaml.Node{seq}}, true
}

// listChunk parses the c-th chunk of a block list of items at the top of
// data into its items, with every line as in the file; ok is false when it
// does not parse as them.
func listChunk(data []byte, items []stubItem, c int) ([]*yaml.Node, bool) {
	first, last := c*itemsPerChunk, min((c+1)*itemsPerChunk, len(items))
	end := len(data)
	if last < len(items) {
		end = items[last].off
	}
	seq, ok := parseList(data[items[first].off:end])
	if !ok || len(seq.Content) != last-first {
		return nil, false
	}
	shiftLines(seq, items[first].line-1)
	for i, it := range seq.Content {
		if it.Line != items[first+i].line {
			return nil, false
		}
	}
	return seq.Content, true
}

// Translated is a chunk of a foreign stub file translated into native stub
// nodes (see ParseStubNodes), each with its order: the stubs are sorted by
// it, highest first, ties in the order given.
type Translated struct {
	Nodes  []*yaml.Node
	Orders []int // as Nodes; nil: all 0
}

// ParseStubListChunked parses a big foreign stub file that is a block list
// of stubs at the top, as ParseStubList and then ParseStubNodes would, but
// chunk by chunk on every core: each chunk of the text is parsed, then
// translated (translate, given the chunk's number and its items) and its
// stubs compiled by the same core while its nodes are fresh, and let go.
// The whole file's tree at once, then translated whole, then compiled, was
// the memory and the time by which loading 10,000 gripmock stubs cost more
// than loading the same native ones. rest, when not nil, gives the stubs
// that follow every chunk's, once all are translated (those a reader
// gathers from the whole file).
//
// The stubs come sorted by their orders: again must give their nodes in
// that order. ok is false when the file is not such a list, is small, a
// chunk does not parse as its items, translate or rest is not ok, or a
// stub does not compile: the caller then reads the file whole, whose
// answer (and whose errors) count.
func ParseStubListChunked(filename string, data []byte, translate func(c int, items []*yaml.Node) (Translated, bool), rest func() (Translated, bool), again func() ([]*yaml.Node, error), resolver mockserver.Methods) ([]Stub, bool) {
	items, ok := listItems(data)
	if !ok || len(items) < 2*itemsPerChunk || data[items[0].off] != '-' {
		return nil, false
	}
	file := &stubData{name: filename, again: again}
	n := (len(items) + itemsPerChunk - 1) / itemsPerChunk
	stubs := make([][]Stub, n+1)
	orders := make([][]int, n+1)
	compile := func(c int, t Translated) bool {
		if t.Orders != nil && len(t.Orders) != len(t.Nodes) {
			return false
		}
		out, errs := parseStubNodes(filename, t.Nodes, 0, file, resolver)
		if len(errs) > 0 || len(out) != len(t.Nodes) {
			return false
		}
		stubs[c], orders[c] = out, t.Orders
		return true
	}
	ok = parallel.Do(n, func(c int) bool {
		chunk, ok := listChunk(data, items, c)
		if !ok {
			return false
		}
		t, ok := translate(c, chunk)
		return ok && compile(c, t)
	})
	if !ok {
		return nil, false
	}
	if rest != nil {
		t, ok := rest()
		if !ok || !compile(n, t) {
			return nil, false
		}
	}
	type at struct{ c, i, order int }
	var all []at
	for c := range stubs {
		for i := range stubs[c] {
			o := 0
			if orders[c] != nil {
				o = orders[c][i]
			}
			all = append(all, at{c, i, o})
		}
	}
	slices.SortStableFunc(all, func(a, b at) int { return cmp.Compare(b.order, a.order) })
	out := make([]Stub, len(all))
	for k, a := range all {
		out[k] = stubs[a.c][a.i]
		out[k].index = k // where again gives its nodes
	}
	return out, true
}
